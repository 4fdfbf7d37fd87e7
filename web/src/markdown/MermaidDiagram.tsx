import { useEffect, useRef, useState } from 'react';

import { useTheme } from '../theme/theme';
import { disposeSheets, insertDiagram, renderMermaid } from './mermaid';

/** Renders a mermaid diagram after mount, or its source and the error when the source does not parse. */
export function MermaidDiagram({ source }: { source: string }) {
  const { theme } = useTheme();
  const container = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<{ status: 'rendering' | 'done' } | { status: 'failed'; message: string }>({
    status: 'rendering',
  });

  useEffect(() => {
    let cancelled = false;
    let sheets: CSSStyleSheet[] = [];
    setState({ status: 'rendering' });
    renderMermaid(source, theme)
      .then((diagram) => {
        if (cancelled || !container.current) {
          disposeSheets(diagram.sheets);
          return;
        }
        sheets = diagram.sheets;
        insertDiagram(container.current, diagram);
        setState({ status: 'done' });
      })
      .catch((error: unknown) => {
        if (cancelled) return;
        const message = error instanceof Error ? error.message : String(error);
        setState({ status: 'failed', message });
      });
    return () => {
      cancelled = true;
      disposeSheets(sheets);
    };
  }, [source, theme]);

  return (
    <figure className="mermaid-diagram" aria-busy={state.status === 'rendering'}>
      <div ref={container} className="mermaid-diagram__svg" />
      {state.status === 'rendering' && <p className="muted">Rendering diagram…</p>}
      {state.status === 'failed' && (
        <div className="mermaid-diagram__error">
          <p role="alert">The diagram could not be rendered: {state.message}</p>
          <pre tabIndex={0}>
            <code>{source}</code>
          </pre>
        </div>
      )}
    </figure>
  );
}
