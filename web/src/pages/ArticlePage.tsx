import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';

import { ApiError } from '../api/client';
import { deleteArticle, getArticle, setArticlePublic } from '../api/endpoints';
import type { Article } from '../api/types';
import { usePrincipal } from '../auth/session';
import { CopyButton } from '../components/CopyButton';
import { ConfirmDialog } from '../components/Dialog';
import { ErrorMessage, Loading } from '../components/Feedback';
import { Menu } from '../components/Menu';
import { Switch } from '../components/Field';
import { useDocumentTitle } from '../components/useDocumentTitle';
import { folderAncestors } from '../lib/folders';
import { formatDateTime } from '../lib/format';
import { readArticleCall } from '../lib/mcpConfig';
import { useAsync } from '../lib/useAsync';
import { useFullscreen } from '../lib/useFullscreen';
import { Markdown } from '../markdown/LazyMarkdown';
import { withoutLeadingTitle } from '../markdown/leadingTitle';
import { VersionsPanel } from './VersionsPanel';

/** Returns the absolute URL of an article's public page, under the document base. */
export function publicArticleUrl(slug: string): string {
  return new URL(`p/${slug}`, document.baseURI).toString();
}

export function ArticlePage() {
  const { slug = '' } = useParams();
  const article = useAsync((signal) => getArticle(slug, signal), [slug]);
  useDocumentTitle(article.data?.title ?? (article.error ? 'Article not found' : 'Article'));

  if (article.error) {
    return (
      <div className="page">
        <h1>{article.error.status === 404 ? 'Article not found' : 'Could not load the article'}</h1>
        <ErrorMessage error={article.error} onRetry={article.error.status === 404 ? undefined : article.reload} />
        <p>
          <Link to="/">Back to all articles</Link>
        </p>
      </div>
    );
  }
  if (!article.data) return <Loading label="Loading article…" />;
  return <ArticleView article={article.data} onChange={article.setData} />;
}

function ArticleView({ article, onChange }: { article: Article; onChange(article: Article): void }) {
  const principal = usePrincipal();
  const canWrite = principal.scope === 'write';
  const navigate = useNavigate();
  const reader = useRef<HTMLDivElement>(null);
  const fullscreen = useFullscreen(reader);
  const [historyOpen, setHistoryOpen] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => setError(null), [article.slug]);

  async function togglePublic(isPublic: boolean) {
    setBusy(true);
    setError(null);
    try {
      const result = await setArticlePublic(article.slug, isPublic);
      onChange({ ...article, isPublic: result.isPublic });
    } catch (cause) {
      setError(cause as ApiError);
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    try {
      await deleteArticle(article.slug);
      navigate(article.folder ? `/?folder=${encodeURIComponent(article.folder)}` : '/', {
        state: { notice: `Deleted “${article.title}”.` },
      });
    } catch (cause) {
      setError(cause as ApiError);
      setConfirmDelete(false);
      setBusy(false);
    }
  }

  const reference = `Read article '${article.title}' (${article.filename})`;
  const publicUrl = publicArticleUrl(article.slug);

  return (
    <div className="page article-page">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <ol>
          <li>
            <Link to="/">Articles</Link>
          </li>
          {folderAncestors(article.folder).map((path) => (
            <li key={path}>
              <Link to={`/?folder=${encodeURIComponent(path)}`}>{path.split('/').pop()}</Link>
            </li>
          ))}
        </ol>
      </nav>

      <div className="article-actions" role="toolbar" aria-label="Article actions">
        {canWrite && (
          <Link className="button button--primary" to={`/edit/${article.slug}`}>
            Edit
          </Link>
        )}
        <Menu label="Copy reference">
          <p className="menu__hint">For an assistant connected over MCP:</p>
          <CopyButton text={article.filename} label={`Filename: ${article.filename}`} />
          <CopyButton text={reference} label="Prompt: Read article …" />
          <CopyButton text={readArticleCall(article.slug)} label="MCP readArticle call" />
        </Menu>
        <button type="button" className="button" aria-expanded={historyOpen} aria-controls="article-history" onClick={() => setHistoryOpen((open) => !open)}>
          {historyOpen ? 'Hide history' : 'History'}
        </button>
        <button type="button" className="button" onClick={fullscreen.toggle} disabled={!fullscreen.supported}>
          Read fullscreen
        </button>
        {canWrite && (
          <button type="button" className="button button--danger" onClick={() => setConfirmDelete(true)}>
            Delete
          </button>
        )}
      </div>

      {error && <ErrorMessage error={error} />}

      <section className="public-link" aria-label="Public link">
        {canWrite ? (
          <Switch
            label="Public link"
            checked={article.isPublic}
            disabled={busy}
            onChange={(value) => void togglePublic(value)}
            hint={article.isPublic ? 'Anyone with the link can read this article without signing in.' : 'Only signed-in users can read this article.'}
          />
        ) : (
          <p className="muted">{article.isPublic ? 'This article has a public link.' : 'This article is private.'}</p>
        )}
        {article.isPublic && (
          <div className="public-link__url">
            <a href={publicUrl} target="_blank" rel="noopener noreferrer">
              {publicUrl}
            </a>
            <CopyButton text={publicUrl} label="Copy public link" />
          </div>
        )}
      </section>

      {historyOpen && <VersionsPanel article={article} canWrite={canWrite} onRestored={onChange} />}

      <div ref={reader} className={fullscreen.active ? 'reader reader--fullscreen' : 'reader'}>
        {fullscreen.active && (
          <button type="button" className="button reader__exit" onClick={fullscreen.toggle}>
            Exit fullscreen
          </button>
        )}
        <header className="article-header">
          <h1>{article.title}</h1>
          <p className="article-header__meta">
            <span>
              Created <time dateTime={article.created}>{formatDateTime(article.created)}</time>
              {article.createdBy && ` by ${article.createdBy}`}
            </span>
            <span>
              Modified <time dateTime={article.modified}>{formatDateTime(article.modified)}</time>
              {article.modifiedBy && ` by ${article.modifiedBy}`}
            </span>
            <span className="badge">Version {article.version}</span>
            {article.isPublic && <span className="badge badge--success">Public</span>}
            {article.noRag && <span className="badge">Not in semantic search</span>}
          </p>
        </header>
        <Markdown content={withoutLeadingTitle(article.content, article.title)} linkArticles />
      </div>

      <ConfirmDialog
        open={confirmDelete}
        title="Delete article?"
        confirmLabel="Delete article"
        danger
        busy={busy}
        onConfirm={() => void remove()}
        onCancel={() => setConfirmDelete(false)}
      >
        <p>
          “{article.title}” and its version history will be deleted. This cannot be undone.
        </p>
      </ConfirmDialog>
    </div>
  );
}
