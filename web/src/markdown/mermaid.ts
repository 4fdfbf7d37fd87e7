/**
 * Renders mermaid diagrams under the server's Content Security Policy, which allows no inline
 * styles (`style-src 'self'`). Mermaid writes `<style>` elements and `style` attributes while it
 * lays a diagram out, and its own DOMPurify pass parses markup with style attributes. Chromium
 * blocks each of those and reports it as a violation (checked with Chromium 156 and mermaid 11.17).
 * So while mermaid renders, `withCspSafeStyles` routes those writes through the CSSOM, which the
 * policy allows:
 *
 * - `setAttribute('style', …)` becomes `element.style.cssText = …`;
 * - a `<style>` element mermaid inserts becomes a constructed stylesheet in `document.adoptedStyleSheets`;
 * - markup handed to `DOMParser` has its `style="…"` attributes renamed to `data-mdm-style="…"`.
 *
 * The SVG that comes back is sanitised once more with DOMPurify (SVG profile, no scripts), and the
 * saved styles are applied through the CSSOM after it is inserted.
 */

import DOMPurify from 'dompurify';

import type { Theme } from '../theme/theme';

type Mermaid = typeof import('mermaid').default;

const STYLE_DATA_ATTRIBUTE = 'data-mdm-style';

let mermaidPromise: Promise<Mermaid> | null = null;
let configuredTheme: Theme | null = null;
let renderCount = 0;

/** Loads mermaid on first use; it is a separate chunk of about a megabyte. */
function loadMermaid(): Promise<Mermaid> {
  mermaidPromise ??= import('mermaid').then((module) => module.default);
  return mermaidPromise;
}

/** Mermaid renders one diagram at a time; this chain keeps the prototype patches from overlapping. */
let queue: Promise<unknown> = Promise.resolve();

function isStyleElement(node: unknown): node is Element {
  return node instanceof Element && node.localName === 'style';
}

async function withCspSafeStyles<T>(sheets: CSSStyleSheet[], run: () => Promise<T>): Promise<T> {
  const original = {
    setAttribute: Element.prototype.setAttribute,
    setAttributeNS: Element.prototype.setAttributeNS,
    insertBefore: Node.prototype.insertBefore,
    appendChild: Node.prototype.appendChild,
    parseFromString: DOMParser.prototype.parseFromString,
  };

  const adoptStyleElement = <N extends Node>(node: N): N => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(node.textContent ?? '');
    sheets.push(sheet);
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    return node;
  };

  Element.prototype.setAttribute = function setAttribute(this: Element, name: string, value: string) {
    if (name.toLowerCase() === 'style' && (this instanceof HTMLElement || this instanceof SVGElement)) {
      this.style.cssText = String(value);
      return;
    }
    original.setAttribute.call(this, name, value);
  };
  Element.prototype.setAttributeNS = function setAttributeNS(this: Element, namespace: string | null, name: string, value: string) {
    if (namespace === null && name.toLowerCase() === 'style' && (this instanceof HTMLElement || this instanceof SVGElement)) {
      this.style.cssText = String(value);
      return;
    }
    original.setAttributeNS.call(this, namespace, name, value);
  };
  Node.prototype.insertBefore = function insertBefore<N extends Node>(this: Node, node: N, child: Node | null): N {
    return isStyleElement(node) ? adoptStyleElement(node) : (original.insertBefore.call(this, node, child) as N);
  };
  Node.prototype.appendChild = function appendChild<N extends Node>(this: Node, node: N): N {
    return isStyleElement(node) ? adoptStyleElement(node) : (original.appendChild.call(this, node) as N);
  };
  DOMParser.prototype.parseFromString = function parseFromString(this: DOMParser, markup: string, type: DOMParserSupportedType) {
    return original.parseFromString.call(this, String(markup).replace(/(\s)style="/g, `$1${STYLE_DATA_ATTRIBUTE}="`), type);
  } as typeof DOMParser.prototype.parseFromString;

  try {
    return await run();
  } finally {
    Element.prototype.setAttribute = original.setAttribute;
    Element.prototype.setAttributeNS = original.setAttributeNS;
    Node.prototype.insertBefore = original.insertBefore;
    Node.prototype.appendChild = original.appendChild;
    DOMParser.prototype.parseFromString = original.parseFromString;
  }
}

export interface RenderedDiagram {
  /** Sanitised SVG, ready to insert; its styles are applied by `insert`. */
  fragment: DocumentFragment;
  /** Stylesheets mermaid generated for the diagram, adopted by the document until `dispose`. */
  sheets: CSSStyleSheet[];
}

/** Renders mermaid source to sanitised SVG. Throws mermaid's parse error for invalid source. */
export function renderMermaid(source: string, theme: Theme): Promise<RenderedDiagram> {
  const job = queue.then(async () => {
    const mermaid = await loadMermaid();
    if (configuredTheme !== theme) {
      mermaid.initialize({
        startOnLoad: false,
        securityLevel: 'strict',
        theme: theme === 'dark' ? 'dark' : 'default',
        htmlLabels: false,
        flowchart: { htmlLabels: false },
        suppressErrorRendering: true,
      });
      configuredTheme = theme;
    }
    const sheets: CSSStyleSheet[] = [];
    const id = `mdm-mermaid-${++renderCount}`;
    try {
      const { svg } = await withCspSafeStyles(sheets, () => mermaid.render(id, source));
      // Mermaid's output has its style attributes renamed already; renaming again covers
      // diagram types that bypass its DOMPurify pass.
      const markup = svg.replace(/(\s)style="/g, `$1${STYLE_DATA_ATTRIBUTE}="`);
      const fragment = DOMPurify.sanitize(markup, {
        USE_PROFILES: { svg: true, svgFilters: true, html: true },
        ADD_TAGS: ['foreignObject'],
        ADD_ATTR: [STYLE_DATA_ATTRIBUTE],
        FORBID_TAGS: ['script'],
        RETURN_DOM_FRAGMENT: true,
      });
      return { fragment, sheets };
    } catch (error) {
      disposeSheets(sheets);
      throw error;
    }
  });
  queue = job.catch(() => undefined);
  return job;
}

/** Inserts a rendered diagram into `container` and applies its saved inline styles. */
export function insertDiagram(container: Element, diagram: RenderedDiagram): void {
  container.replaceChildren(diagram.fragment);
  for (const element of container.querySelectorAll(`[${STYLE_DATA_ATTRIBUTE}]`)) {
    const css = element.getAttribute(STYLE_DATA_ATTRIBUTE) ?? '';
    element.removeAttribute(STYLE_DATA_ATTRIBUTE);
    if (element instanceof HTMLElement || element instanceof SVGElement) element.style.cssText = css;
  }
}

/** Removes a diagram's stylesheets from the document. */
export function disposeSheets(sheets: readonly CSSStyleSheet[]): void {
  if (sheets.length === 0) return;
  document.adoptedStyleSheets = document.adoptedStyleSheets.filter((sheet) => !sheets.includes(sheet));
}
