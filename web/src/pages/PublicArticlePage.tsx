import { useRef } from 'react';
import { useParams } from 'react-router-dom';

import { getPublicArticle } from '../api/endpoints';
import { ErrorMessage, Loading } from '../components/Feedback';
import { ThemeToggle } from '../components/ThemeToggle';
import { useDocumentTitle } from '../components/useDocumentTitle';
import { formatDate } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { useFullscreen } from '../lib/useFullscreen';
import { Markdown } from '../markdown/LazyMarkdown';
import { withoutLeadingTitle } from '../markdown/leadingTitle';

/** Renders a public article at `p/:slug`, readable without signing in. */
export function PublicArticlePage() {
  const { slug = '' } = useParams();
  const article = useAsync((signal) => getPublicArticle(slug, signal), [slug]);
  const reader = useRef<HTMLElement>(null);
  const fullscreen = useFullscreen(reader);
  useDocumentTitle(article.data?.title ?? (article.error ? 'Article not available' : null));

  return (
    <div className="public-page">
      <header className="public-page__header">
        <span className="brand brand--static">
          <img src="favicon.svg" alt="" width="24" height="24" />
          <span>Markdown Manager</span>
        </span>
        <div className="button-row">
          {article.data && (
            <button type="button" className="button button--small" onClick={fullscreen.toggle} disabled={!fullscreen.supported}>
              {fullscreen.active ? 'Exit fullscreen' : 'Read fullscreen'}
            </button>
          )}
          <ThemeToggle />
        </div>
      </header>
      <main id="main" className="public-page__main">
        {article.error &&
          (article.error.status === 404 ? (
            <div className="page">
              <h1>Article not available</h1>
              <p>This article does not exist or is not public.</p>
            </div>
          ) : (
            <div className="page">
              <h1>Could not load the article</h1>
              <ErrorMessage error={article.error} onRetry={article.reload} />
            </div>
          ))}
        {!article.data && article.loading && <Loading label="Loading article…" />}
        {article.data && (
          <article ref={reader} className={fullscreen.active ? 'reader reader--fullscreen' : 'reader'}>
            {fullscreen.active && (
              <button type="button" className="button reader__exit" onClick={fullscreen.toggle}>
                Exit fullscreen
              </button>
            )}
            <header className="article-header">
              <h1>{article.data.title}</h1>
              <p className="article-header__meta">
                <span>
                  Published <time dateTime={article.data.created}>{formatDate(article.data.created)}</time>
                </span>
                <span>
                  Updated <time dateTime={article.data.modified}>{formatDate(article.data.modified)}</time>
                </span>
              </p>
            </header>
            <Markdown content={withoutLeadingTitle(article.data.content, article.data.title)} />
          </article>
        )}
      </main>
    </div>
  );
}
