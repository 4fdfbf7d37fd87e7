import { lazy, Suspense } from 'react';

import type { MarkdownProps } from './Markdown';

// The renderer, its GFM plugin and the highlight.js grammars load with the first article shown,
// not with the sign-in page or the article list.
const MarkdownRenderer = lazy(() => import('./Markdown'));

export function Markdown(props: MarkdownProps) {
  return (
    <Suspense fallback={<p className="muted">Rendering…</p>}>
      <MarkdownRenderer {...props} />
    </Suspense>
  );
}
