/**
 * URL rules for rendered markdown. Links may use http, https, mailto, a relative path or a
 * `#fragment`, and images only http, https or a relative path. Anything else (javascript:, data:,
 * vbscript:, file:, …) is dropped, so the element renders without a URL.
 */

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;

/** Removes whitespace and control characters that browsers ignore inside a scheme (`java\tscript:`). */
function normalise(url: string): string {
  // eslint-disable-next-line no-control-regex
  return url.trim().replace(/[\u0000-\u0020\u007f]/g, '');
}

function schemeOf(url: string): string | null {
  const match = SCHEME.exec(normalise(url));
  return match ? match[1].toLowerCase() : null;
}

export function safeLinkUrl(url: string): string | null {
  const scheme = schemeOf(url);
  if (scheme === null) return url.trim();
  return scheme === 'http' || scheme === 'https' || scheme === 'mailto' ? url.trim() : null;
}

export function safeImageUrl(url: string): string | null {
  const scheme = schemeOf(url);
  if (scheme === null) return url.trim();
  return scheme === 'http' || scheme === 'https' ? url.trim() : null;
}

/** react-markdown `urlTransform`: returns the URL to keep, or '' to drop it. */
export function markdownUrlTransform(url: string, key: string): string {
  const safe = key === 'src' ? safeImageUrl(url) : safeLinkUrl(url);
  return safe ?? '';
}

/** True for links that leave this site: absolute http(s) URLs on another origin, and mailto. */
export function isExternalLink(href: string, origin: string = window.location.origin): boolean {
  const scheme = schemeOf(href);
  if (scheme === 'mailto') return true;
  if (href.startsWith('//')) return new URL(href, origin).origin !== origin;
  if (scheme !== 'http' && scheme !== 'https') return false;
  try {
    return new URL(href).origin !== origin;
  } catch {
    return true;
  }
}

/** Returns the slug when `href` points at another article by filename (`other-article.md`), else null. */
export function articleSlugFromHref(href: string): string | null {
  const match = /^(?:\.\/)?([a-z0-9]+(?:-[a-z0-9]+)*)\.md(#.*)?$/.exec(href.trim());
  return match ? match[1] : null;
}
