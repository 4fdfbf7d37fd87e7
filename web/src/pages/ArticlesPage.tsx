import { useEffect, useRef, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router-dom';

import { ApiError } from '../api/client';
import { listAllArticles, listArticles, listFolders, searchArticles } from '../api/endpoints';
import type { ArticleSummary, SearchHit, SearchMode } from '../api/types';
import { usePrincipal } from '../auth/session';
import { ErrorMessage, Loading, Notice } from '../components/Feedback';
import { ToolbarField } from '../components/Field';
import { FolderTree } from '../components/FolderTree';
import { PAGE_SIZES, Pagination } from '../components/Pagination';
import { useDocumentTitle } from '../components/useDocumentTitle';
import { folderLabel, formatDateTime } from '../lib/format';
import { useAsync } from '../lib/useAsync';

type SortKey = 'modified' | 'modified-asc' | 'created' | 'title' | 'title-desc';
type Mode = 'title' | SearchMode;

const SORTS: Array<{ value: SortKey; label: string }> = [
  { value: 'modified', label: 'Recently modified' },
  { value: 'modified-asc', label: 'Least recently modified' },
  { value: 'created', label: 'Recently created' },
  { value: 'title', label: 'Title A–Z' },
  { value: 'title-desc', label: 'Title Z–A' },
];

const MODES: Array<{ value: Mode; label: string }> = [
  { value: 'title', label: 'Titles' },
  { value: 'hybrid', label: 'Content (hybrid)' },
  { value: 'fulltext', label: 'Content (full text)' },
  { value: 'semantic', label: 'Content (semantic)' },
];

/** Number of hits requested from a content search. */
const SEARCH_RESULTS = 50;

function compareArticles(sort: SortKey): (a: ArticleSummary, b: ArticleSummary) => number {
  const byTitle = (a: ArticleSummary, b: ArticleSummary) => a.title.localeCompare(b.title, 'en', { sensitivity: 'base' });
  switch (sort) {
    case 'modified':
      return (a, b) => b.modified.localeCompare(a.modified);
    case 'modified-asc':
      return (a, b) => a.modified.localeCompare(b.modified);
    case 'created':
      return (a, b) => b.created.localeCompare(a.created);
    case 'title':
      return byTitle;
    case 'title-desc':
      return (a, b) => byTitle(b, a);
  }
}

/** Reads the folder filter from the URL: absent means all folders, "/" the root folder. */
function folderFromParam(value: string | null): string | undefined {
  if (value === null) return undefined;
  return value === '/' || value === '' ? '' : value;
}

function folderHeading(folder: string | undefined): string {
  if (folder === undefined) return 'All articles';
  if (folder === '') return 'Root folder';
  return folder;
}

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

type Listing =
  | { kind: 'articles'; items: ArticleSummary[]; total: number }
  | { kind: 'search'; hits: SearchHit[] }
  | { kind: 'search-unavailable'; items: ArticleSummary[]; total: number };

export function ArticlesPage() {
  const principal = usePrincipal();
  const location = useLocation();
  const flash = (location.state as { notice?: string } | null)?.notice;
  const [params, setParams] = useSearchParams();
  const folder = folderFromParam(params.get('folder'));
  const query = params.get('q') ?? '';
  const mode = (MODES.find((option) => option.value === params.get('mode'))?.value ?? 'title') as Mode;
  const sort = (SORTS.find((option) => option.value === params.get('sort'))?.value ?? 'modified') as SortKey;
  const pageSize = PAGE_SIZES.includes(Number(params.get('size'))) ? Number(params.get('size')) : PAGE_SIZES[0];
  const page = Math.max(1, Math.floor(Number(params.get('page')) || 1));

  const [draft, setDraft] = useState(query);
  // The folder panel starts open on wide screens and closed on phones, where it sits above the list.
  const [foldersOpen] = useState(() => window.matchMedia?.('(min-width: 50rem)').matches ?? true);
  const searchInput = useRef<HTMLInputElement>(null);
  useDocumentTitle(folder ? `Articles in ${folder}` : 'Articles');

  useEffect(() => setDraft(query), [query]);

  const update = (changes: Record<string, string | undefined>, resetPage = true) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined || value === '') next.delete(key);
      else next.set(key, value);
    }
    if (resetPage) next.delete('page');
    setParams(next);
  };

  // Title search follows typing after a short pause; content search waits for Enter.
  useEffect(() => {
    if (mode !== 'title' || draft === query) return;
    const timer = window.setTimeout(() => update({ q: draft.trim() || undefined }), 300);
    return () => window.clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [draft, mode]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === '/' && !isTyping(event.target) && !event.ctrlKey && !event.metaKey && !event.altKey) {
        event.preventDefault();
        searchInput.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const folders = useAsync((signal) => listFolders(signal), []);

  const listing = useAsync<Listing>(
    async (signal) => {
      const titleListing = async (): Promise<{ items: ArticleSummary[]; total: number }> => {
        if (sort === 'modified') {
          return listArticles({ folder, q: query, limit: pageSize, offset: (page - 1) * pageSize }, signal);
        }
        const all = await listAllArticles({ folder, q: query }, signal);
        all.sort(compareArticles(sort));
        return { items: all.slice((page - 1) * pageSize, page * pageSize), total: all.length };
      };

      if (mode !== 'title' && query !== '') {
        try {
          const hits = await searchArticles({ query, mode, k: SEARCH_RESULTS, folder: folder || undefined }, signal);
          return { kind: 'search', hits };
        } catch (error) {
          if (!(error instanceof ApiError && error.isMissingRoute)) throw error;
          return { kind: 'search-unavailable', ...(await titleListing()) };
        }
      }
      return { kind: 'articles', ...(await titleListing()) };
    },
    [folder, query, mode, sort, pageSize, page],
  );

  const folderHref = (value: string | undefined) => {
    const next = new URLSearchParams(params);
    next.delete('page');
    if (value === undefined) next.delete('folder');
    else next.set('folder', value === '' ? '/' : value);
    const text = next.toString();
    return text ? `/?${text}` : '/';
  };

  const newArticleHref = folder ? `/new?folder=${encodeURIComponent(folder)}` : '/new';
  const heading = folderHeading(folder);

  return (
    <div className="articles-page">
      <aside className="articles-page__folders">
        <details className="folder-panel" open={foldersOpen}>
          <summary>Folders</summary>
          {folders.error ? (
            <ErrorMessage error={folders.error} onRetry={folders.reload} />
          ) : folders.data ? (
            <FolderTree folders={folders.data} selected={folder} hrefFor={folderHref} />
          ) : (
            <Loading label="Loading folders…" />
          )}
        </details>
      </aside>

      <section className="articles-page__main" aria-labelledby="articles-heading">
        <div className="page-header">
          <h1 id="articles-heading">{heading}</h1>
          {principal.scope === 'write' && (
            <Link className="button button--primary" to={newArticleHref}>
              {folder ? `New article in ${folder}` : 'New article'}
            </Link>
          )}
        </div>

        <form
          className="toolbar"
          role="search"
          onSubmit={(event) => {
            event.preventDefault();
            update({ q: draft.trim() || undefined });
          }}
        >
          <div className="toolbar__search">
            <label htmlFor="article-search" className="visually-hidden">
              Search
            </label>
            <input
              id="article-search"
              ref={searchInput}
              type="search"
              placeholder={mode === 'title' ? 'Search titles (press / to focus)' : 'Search content, then press Enter'}
              value={draft}
              onChange={(event) => setDraft(event.target.value)}
            />
          </div>
          <ToolbarField label="Search in">
            <select value={mode} onChange={(event) => update({ mode: event.target.value === 'title' ? undefined : event.target.value })}>
              {MODES.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </ToolbarField>
          <ToolbarField label="Sort">
            <select
              value={sort}
              disabled={listing.data?.kind === 'search'}
              onChange={(event) => update({ sort: event.target.value === 'modified' ? undefined : event.target.value })}
            >
              {SORTS.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </ToolbarField>
          {mode !== 'title' && (
            <button type="submit" className="button">
              Search
            </button>
          )}
          {query && (
            <button type="button" className="button" onClick={() => update({ q: undefined })}>
              Clear
            </button>
          )}
        </form>

        {flash && (
          <Notice kind="success">
            <p>{flash}</p>
          </Notice>
        )}
        {listing.error && <ErrorMessage error={listing.error} onRetry={listing.reload} />}
        {!listing.data && listing.loading && <Loading label="Loading articles…" />}
        {listing.data?.kind === 'search-unavailable' && (
          <Notice kind="warning" title="Content search is not available">
            <p>This server does not provide content search yet, so the results below match titles only.</p>
          </Notice>
        )}
        {listing.data && (
          <div aria-busy={listing.loading}>
            {listing.data.kind === 'search' ? (
              <SearchResults hits={listing.data.hits} query={query} />
            ) : (
              <>
                <ArticleList items={listing.data.items} canEdit={principal.scope === 'write'} showFolder={folder !== ''} query={query} />
                <Pagination
                  page={page}
                  pageSize={pageSize}
                  total={listing.data.total}
                  onPage={(value) => update({ page: value === 1 ? undefined : String(value) }, false)}
                  onPageSize={(value) => update({ size: value === PAGE_SIZES[0] ? undefined : String(value) })}
                />
              </>
            )}
          </div>
        )}
      </section>
    </div>
  );
}

function ArticleList({ items, canEdit, showFolder, query }: { items: ArticleSummary[]; canEdit: boolean; showFolder: boolean; query: string }) {
  if (items.length === 0) {
    return <p className="empty-state">{query ? `No article titles contain “${query}”.` : 'No articles here yet.'}</p>;
  }
  return (
    <ul className="article-list">
      {items.map((article) => (
        <li key={article.slug} className="article-list__item">
          <div className="article-list__main">
            <Link to={`/article/${article.slug}`} className="article-list__title">
              {article.title}
            </Link>
            <p className="article-list__meta">
              {showFolder && <span className="chip">{folderLabel(article.folder)}</span>}
              <span>
                Modified <time dateTime={article.modified}>{formatDateTime(article.modified)}</time>
                {article.modifiedBy && ` by ${article.modifiedBy}`}
              </span>
              <span>v{article.version}</span>
              {article.isPublic && <span className="badge badge--success">Public</span>}
              {article.noRag && <span className="badge">Not in semantic search</span>}
            </p>
          </div>
          {canEdit && (
            <Link to={`/edit/${article.slug}`} className="button button--small" aria-label={`Edit ${article.title}`}>
              Edit
            </Link>
          )}
        </li>
      ))}
    </ul>
  );
}

function SearchResults({ hits, query }: { hits: SearchHit[]; query: string }) {
  if (hits.length === 0) return <p className="empty-state">No content matches “{query}”.</p>;
  return (
    <>
      <p className="muted" aria-live="polite">
        {hits.length} {hits.length === 1 ? 'match' : 'matches'}, best first
      </p>
      <ul className="article-list">
        {hits.map((hit, index) => (
          <li key={`${hit.slug}-${index}`} className="article-list__item">
            <div className="article-list__main">
              <Link to={`/article/${hit.slug}`} className="article-list__title">
                {hit.title}
              </Link>
              <p className="article-list__meta">
                <span className="chip">{folderLabel(hit.folder)}</span>
                {hit.headingPath.length > 0 && <span>{hit.headingPath.join(' › ')}</span>}
                <span>Score {Math.round(hit.score * 100)}%</span>
              </p>
              {hit.snippet && <p className="article-list__snippet">{hit.snippet}</p>}
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}
