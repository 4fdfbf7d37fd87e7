import { useEffect } from 'react';

const PRODUCT = 'MCP Markdown Manager';

/** Sets the browser tab title to "<title> · MCP Markdown Manager". */
export function useDocumentTitle(title: string | null | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · ${PRODUCT}` : PRODUCT;
  }, [title]);
}
