import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { Link, useBlocker, useNavigate, useParams, useSearchParams } from 'react-router-dom';

import { ApiError } from '../api/client';
import { createArticle, getArticle, listFolders, renameSlug, setArticlePublic, updateArticle } from '../api/endpoints';
import type { Article } from '../api/types';
import { usePrincipal } from '../auth/session';
import { ConfirmDialog, Dialog } from '../components/Dialog';
import { DiffView } from '../components/DiffView';
import { ErrorMessage, Loading, Notice } from '../components/Feedback';
import { Field, Switch } from '../components/Field';
import { useDocumentTitle } from '../components/useDocumentTitle';
import { articleFieldErrors, type ArticleField } from '../lib/fieldErrors';
import { useAsync } from '../lib/useAsync';
import { Markdown } from '../markdown/LazyMarkdown';

interface Draft {
  title: string;
  folder: string;
  slug: string;
  content: string;
  noRag: boolean;
  isPublic: boolean;
}

const EMPTY_DRAFT: Draft = { title: '', folder: '', slug: '', content: '', noRag: false, isPublic: false };

function draftOf(article: Article): Draft {
  return {
    title: article.title,
    folder: article.folder,
    slug: article.slug,
    content: article.content,
    noRag: article.noRag,
    isPublic: article.isPublic,
  };
}

function sameDraft(a: Draft, b: Draft): boolean {
  return a.title === b.title && a.folder === b.folder && a.slug === b.slug && a.content === b.content && a.noRag === b.noRag && a.isPublic === b.isPublic;
}

/** Edit page for `/edit/:slug`, and the new-article page for `/new?folder=…`. */
export function EditorPage() {
  const { slug } = useParams();
  const [params] = useSearchParams();
  const principal = usePrincipal();
  const loaded = useAsync(async (signal) => (slug ? getArticle(slug, signal) : null), [slug]);
  useDocumentTitle(slug ? `Edit ${loaded.data?.title ?? slug}` : 'New article');

  if (principal.scope !== 'write') {
    return (
      <div className="page">
        <h1>{slug ? 'Edit article' : 'New article'}</h1>
        <Notice kind="warning" title="Read-only access">
          <p>You are signed in with a read-only token, so you cannot create or change articles.</p>
        </Notice>
      </div>
    );
  }
  if (loaded.error) {
    return (
      <div className="page">
        <h1>Edit article</h1>
        <ErrorMessage error={loaded.error} onRetry={loaded.error.status === 404 ? undefined : loaded.reload} />
      </div>
    );
  }
  if (loaded.loading && loaded.data === undefined) return <Loading label="Loading article…" />;

  const article = loaded.data ?? null;
  const initial = article ? draftOf(article) : { ...EMPTY_DRAFT, folder: params.get('folder') ?? '' };
  return <Editor key={article ? `${article.slug}-${article.version}` : 'new'} article={article} initial={initial} onReload={loaded.reload} />;
}

interface Conflict {
  currentVersion: number | null;
  latest: Article | null;
  comparing: boolean;
}

interface EditorProps {
  article: Article | null;
  initial: Draft;
  /** Loads the article again; a newer version replaces this editor and its unsaved text. */
  onReload(): void;
}

function Editor({ article, initial, onReload }: EditorProps) {
  const navigate = useNavigate();
  const [baseline, setBaseline] = useState<Draft>(initial);
  const [draft, setDraft] = useState<Draft>(initial);
  const [version, setVersion] = useState<number | null>(article?.version ?? null);
  const [message, setMessage] = useState('');
  const [saving, setSaving] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<ArticleField, string>>>({});
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [previewVisible, setPreviewVisible] = useState(true);
  const [mobileTab, setMobileTab] = useState<'write' | 'preview'>('write');
  const [slugDialog, setSlugDialog] = useState(false);
  const allowNavigation = useRef(false);
  const folders = useAsync((signal) => listFolders(signal), []);
  // The preview renders a deferred copy of the text, so typing stays responsive in long articles.
  const previewContent = useDeferredValue(draft.content);

  const dirty = !sameDraft(draft, baseline) || message !== '';

  // Unsaved-changes guard: in-app navigation needs a confirmation, and closing or reloading the tab shows the browser's warning.
  const blocker = useBlocker(({ currentLocation, nextLocation }) => dirty && !allowNavigation.current && currentLocation.pathname !== nextLocation.pathname);
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((current) => ({ ...current, [key]: value }));
    if (key in fieldErrors) setFieldErrors((errors) => ({ ...errors, [key]: undefined }));
  };

  const save = useCallback(
    async (options: { overwriteVersion?: number } = {}) => {
      if (saving) return;
      const errors: Partial<Record<ArticleField, string>> = {};
      if (draft.title.trim() === '') errors.title = 'Enter a title.';
      if (Object.keys(errors).length > 0) {
        setFieldErrors(errors);
        return;
      }
      setSaving(true);
      setFieldErrors({});
      setFormError(null);
      try {
        let saved: Article;
        if (article === null) {
          saved = await createArticle({
            title: draft.title,
            content: draft.content,
            folder: draft.folder.trim(),
            slug: draft.slug.trim() || undefined,
            message: message.trim() || undefined,
            noRag: draft.noRag,
            isPublic: draft.isPublic,
          });
        } else {
          saved = await updateArticle(article.slug, {
            title: draft.title !== baseline.title ? draft.title : undefined,
            content: draft.content !== baseline.content ? draft.content : undefined,
            folder: draft.folder.trim() !== baseline.folder ? draft.folder.trim() : undefined,
            noRag: draft.noRag !== baseline.noRag ? draft.noRag : undefined,
            message: message.trim() || undefined,
            expectedVersion: options.overwriteVersion ?? version ?? undefined,
          });
          if (draft.isPublic !== baseline.isPublic) {
            const result = await setArticlePublic(saved.slug, draft.isPublic);
            saved = { ...saved, isPublic: result.isPublic };
          }
        }
        allowNavigation.current = true;
        setBaseline(draftOf(saved));
        setMessage('');
        setVersion(saved.version);
        navigate(`/article/${saved.slug}`);
      } catch (cause) {
        const error = cause as ApiError;
        if (error.code === 'version_mismatch') {
          const currentVersion = typeof error.details.currentVersion === 'number' ? error.details.currentVersion : null;
          setConflict({ currentVersion, latest: null, comparing: false });
        } else {
          const mapped = articleFieldErrors(error);
          setFieldErrors(mapped.fields);
          setFormError(mapped.form);
        }
      } finally {
        setSaving(false);
      }
    },
    [article, baseline, draft, message, navigate, saving, version],
  );

  // Ctrl+S / Cmd+S saves instead of opening the browser's "Save page" dialog.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === 's') {
        event.preventDefault();
        void save();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [save]);

  async function compareWithLatest() {
    if (!article) return;
    try {
      const latest = await getArticle(article.slug);
      setConflict({ currentVersion: latest.version, latest, comparing: true });
    } catch (cause) {
      setFormError(cause as ApiError);
    }
  }

  function discardAndReload() {
    setConflict(null);
    setDraft(baseline);
    setMessage('');
    onReload();
  }

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void save();
  };

  const folderOptions = useMemo(() => folders.data ?? [], [folders.data]);
  let cancelTarget = '/';
  if (article) cancelTarget = `/article/${article.slug}`;
  else if (initial.folder) cancelTarget = `/?folder=${encodeURIComponent(initial.folder)}`;

  return (
    <div className="page editor-page">
      <form onSubmit={onSubmit} noValidate aria-labelledby="editor-heading">
        <div className="page-header">
          <h1 id="editor-heading">{article ? `Edit “${baseline.title}”` : 'New article'}</h1>
          <div className="page-header__actions">
            {dirty && (
              <span className="badge badge--warning" role="status">
                Unsaved changes
              </span>
            )}
            <Link className="button" to={cancelTarget}>
              Cancel
            </Link>
            <button type="submit" className="button button--primary" disabled={saving} aria-keyshortcuts="Control+S Meta+S">
              {saving ? 'Saving…' : 'Save'}
            </button>
          </div>
        </div>

        {formError && <ErrorMessage error={formError} title="The article was not saved" />}
        {conflict && (
          <div className="notice notice--warning" role="alert">
            <p className="notice__title">Someone else changed this article</p>
            <p>
              {conflict.currentVersion
                ? `Version ${conflict.currentVersion} was saved after you opened version ${version}.`
                : `A newer version was saved after you opened version ${version}.`}{' '}
              Your changes are not saved yet.
            </p>
            <div className="button-row">
              <button type="button" className="button" onClick={() => void compareWithLatest()}>
                Compare with the latest version
              </button>
              {conflict.currentVersion !== null && (
                <button type="button" className="button button--danger" onClick={() => void save({ overwriteVersion: conflict.currentVersion ?? undefined })}>
                  Save mine over it
                </button>
              )}
              <button type="button" className="button" onClick={discardAndReload}>
                Discard mine and load the latest
              </button>
            </div>
          </div>
        )}

        <div className="editor-fields">
          <Field label="Title" error={fieldErrors.title} className="editor-fields__title">
            <input type="text" value={draft.title} required maxLength={500} onChange={(event) => set('title', event.target.value)} autoFocus={!article} />
          </Field>
          <Field label="Folder" hint="Pick a folder or type a new path such as guides/rust. Empty means the root folder." error={fieldErrors.folder}>
            <input type="text" list="folder-options" value={draft.folder} onChange={(event) => set('folder', event.target.value)} spellCheck={false} />
          </Field>
          <datalist id="folder-options">
            {folderOptions.map((folder) => (
              <option key={folder} value={folder} />
            ))}
          </datalist>
          {article ? (
            <div className="field">
              <span className="field__label">Slug</span>
              <p className="editor-fields__slug">
                <code>{article.slug}</code>{' '}
                <button type="button" className="button button--small" disabled={dirty} onClick={() => setSlugDialog(true)}>
                  Change slug
                </button>
              </p>
              {dirty && <p className="field__hint">Save or discard your changes before you change the slug.</p>}
              {fieldErrors.slug && (
                <p className="field__error" role="alert">
                  {fieldErrors.slug}
                </p>
              )}
            </div>
          ) : (
            <Field label="Slug (optional)" hint="Lowercase letters, digits and hyphens. Empty: made from the title." error={fieldErrors.slug}>
              <input type="text" value={draft.slug} onChange={(event) => set('slug', event.target.value)} spellCheck={false} pattern="[a-z0-9-]*" />
            </Field>
          )}
          <Field label="Change note (optional)" hint="Saved with this version in the history." error={fieldErrors.message}>
            <input type="text" value={message} maxLength={1000} onChange={(event) => setMessage(event.target.value)} />
          </Field>
          <div className="editor-fields__switches">
            <Switch label="Exclude from semantic search" checked={draft.noRag} onChange={(value) => set('noRag', value)} hint="The article is not indexed for semantic (RAG) search." />
            <Switch label="Public link" checked={draft.isPublic} onChange={(value) => set('isPublic', value)} hint="Anyone with the link can read it without signing in." />
          </div>
        </div>

        <div className="editor-tabs tabs" role="group" aria-label="Editor view">
          <button type="button" className="tabs__tab" aria-pressed={mobileTab === 'write'} onClick={() => setMobileTab('write')}>
            Write
          </button>
          <button type="button" className="tabs__tab" aria-pressed={mobileTab === 'preview'} onClick={() => setMobileTab('preview')}>
            Preview
          </button>
        </div>
        <div className="editor-split-toggle">
          <button type="button" className="button button--small" aria-pressed={previewVisible} onClick={() => setPreviewVisible((value) => !value)}>
            {previewVisible ? 'Hide preview' : 'Show preview'}
          </button>
        </div>

        <div className={['editor', previewVisible ? 'editor--split' : null, `editor--show-${mobileTab}`].filter(Boolean).join(' ')}>
          <div className="editor__source">
            <Field label="Content (markdown)" error={fieldErrors.content}>
              <textarea value={draft.content} onChange={(event) => set('content', event.target.value)} spellCheck rows={24} />
            </Field>
          </div>
          {previewVisible && (
            <section className="editor__preview" aria-label="Preview">
              <p className="editor__preview-label" aria-hidden="true">
                Preview
              </p>
              {previewContent.trim() === '' ? <p className="muted">Nothing to preview yet.</p> : <Markdown content={previewContent} />}
            </section>
          )}
        </div>
      </form>

      <Dialog
        open={conflict?.comparing === true}
        title={`Your text compared with version ${conflict?.latest?.version ?? ''}`}
        onClose={() => setConflict((value) => (value ? { ...value, comparing: false } : value))}
        wide
      >
        {conflict?.latest && (
          <DiffView before={conflict.latest.content} after={draft.content} beforeLabel={`version ${conflict.latest.version}`} afterLabel="your text" />
        )}
      </Dialog>

      {article && slugDialog && <SlugDialog article={article} onClose={() => setSlugDialog(false)} onRenamed={(renamed) => {
        allowNavigation.current = true;
        navigate(`/edit/${renamed.slug}`, { replace: true });
      }} />}

      <ConfirmDialog
        open={blocker.state === 'blocked'}
        title="Leave without saving?"
        confirmLabel="Discard changes"
        danger
        onConfirm={() => blocker.proceed?.()}
        onCancel={() => blocker.reset?.()}
      >
        <p>Your changes to this article are not saved. If you leave now, they are lost.</p>
      </ConfirmDialog>
    </div>
  );
}

function SlugDialog({ article, onClose, onRenamed }: { article: Article; onClose(): void; onRenamed(article: Article): void }) {
  const [value, setValue] = useState(article.slug);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onRenamed(await renameSlug(article.slug, value.trim()));
    } catch (cause) {
      setError(cause instanceof ApiError ? cause.message : String(cause));
      setBusy(false);
    }
  }

  return (
    <Dialog open title="Change slug" onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <Field label="New slug" hint="Links and MCP references that use the old slug stop working." error={error ?? undefined}>
          <input type="text" value={value} onChange={(event) => setValue(event.target.value)} spellCheck={false} autoFocus />
        </Field>
        <div className="dialog__actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={busy || value.trim() === '' || value.trim() === article.slug}>
            {busy ? 'Changing…' : 'Change slug'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
