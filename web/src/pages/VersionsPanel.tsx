import { useState } from 'react';

import { ApiError } from '../api/client';
import { getVersion, listVersions, restoreVersion } from '../api/endpoints';
import type { Article } from '../api/types';
import { ConfirmDialog } from '../components/Dialog';
import { DiffView } from '../components/DiffView';
import { ErrorMessage, Loading, Notice } from '../components/Feedback';
import { formatBytes, formatDateTime } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { Markdown } from '../markdown/LazyMarkdown';

interface VersionsPanelProps {
  article: Article;
  canWrite: boolean;
  onRestored(article: Article): void;
}

/** The article's version history: browse versions, compare one with the current text, restore it. */
export function VersionsPanel({ article, canWrite, onRestored }: VersionsPanelProps) {
  const versions = useAsync((signal) => listVersions(article.slug, signal), [article.slug, article.version]);
  const [selected, setSelected] = useState<number | null>(null);
  const [view, setView] = useState<'changes' | 'content'>('changes');
  const [confirmRestore, setConfirmRestore] = useState(false);
  const [restoring, setRestoring] = useState(false);
  const [restoreError, setRestoreError] = useState<ApiError | null>(null);
  const [restoredNotice, setRestoredNotice] = useState<string | null>(null);

  const version = useAsync(
    async (signal) => (selected === null ? null : getVersion(article.slug, selected, signal)),
    [article.slug, selected],
  );

  async function restore() {
    if (selected === null) return;
    setRestoring(true);
    setRestoreError(null);
    try {
      const restored = await restoreVersion(article.slug, selected, `Restored from v${selected}`);
      setConfirmRestore(false);
      setRestoredNotice(`Version ${selected} was restored as version ${restored.version}.`);
      setSelected(null);
      onRestored(restored);
    } catch (cause) {
      setRestoreError(cause as ApiError);
      setConfirmRestore(false);
    } finally {
      setRestoring(false);
    }
  }

  return (
    <section id="article-history" className="history" aria-labelledby="history-heading">
      <h2 id="history-heading">History</h2>
      {restoredNotice && (
        <Notice kind="success">
          <p>{restoredNotice}</p>
        </Notice>
      )}
      {restoreError && <ErrorMessage error={restoreError} title="The version could not be restored" />}
      {versions.error && <ErrorMessage error={versions.error} onRetry={versions.reload} />}
      {!versions.data && versions.loading && <Loading label="Loading versions…" />}
      {versions.data && (
        <div className="history__layout">
          <ol className="history__list" aria-label="Versions, newest first">
            {versions.data.map((entry) => {
              const current = entry.version === article.version;
              return (
                <li key={entry.version}>
                  <button
                    type="button"
                    className="history__entry"
                    aria-pressed={selected === entry.version}
                    onClick={() => {
                      setSelected(entry.version);
                      setRestoredNotice(null);
                    }}
                  >
                    <span className="history__version">
                      v{entry.version}
                      {current && <span className="badge badge--success">current</span>}
                    </span>
                    <span className="history__date">{formatDateTime(entry.createdAt)}</span>
                    <span className="history__by">
                      {entry.createdBy ?? 'unknown'} · {formatBytes(entry.size)}
                    </span>
                    {entry.message && <span className="history__message">{entry.message}</span>}
                  </button>
                </li>
              );
            })}
          </ol>

          <div className="history__detail">
            {selected === null && <p className="muted">Choose a version to compare it with the current text or to restore it.</p>}
            {version.error && <ErrorMessage error={version.error} onRetry={version.reload} />}
            {selected !== null && !version.data && version.loading && <Loading label="Loading version…" />}
            {version.data && (
              <>
                <div className="history__detail-header">
                  <h3>
                    Version {version.data.version}: {version.data.title}
                  </h3>
                  {canWrite && version.data.version !== article.version && (
                    <button type="button" className="button button--primary" onClick={() => setConfirmRestore(true)}>
                      Restore this version
                    </button>
                  )}
                </div>
                <div className="tabs" role="group" aria-label="Show">
                  <button type="button" className="tabs__tab" aria-pressed={view === 'changes'} onClick={() => setView('changes')}>
                    Changes since this version
                  </button>
                  <button type="button" className="tabs__tab" aria-pressed={view === 'content'} onClick={() => setView('content')}>
                    Content of this version
                  </button>
                </div>
                {view === 'changes' ? (
                  <DiffView
                    before={version.data.content}
                    after={article.content}
                    beforeLabel={`version ${version.data.version}`}
                    afterLabel={`the current version (${article.version})`}
                  />
                ) : (
                  <div className="history__content">
                    <Markdown content={version.data.content} />
                  </div>
                )}
              </>
            )}
          </div>
        </div>
      )}

      <ConfirmDialog
        open={confirmRestore}
        title={`Restore version ${selected ?? ''}?`}
        confirmLabel="Restore"
        busy={restoring}
        onConfirm={() => void restore()}
        onCancel={() => setConfirmRestore(false)}
      >
        <p>
          The text of version {selected} becomes a new version {article.version + 1}. The current version {article.version} stays in the history.
        </p>
      </ConfirmDialog>
    </section>
  );
}
