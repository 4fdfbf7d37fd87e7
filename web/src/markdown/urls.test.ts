import { describe, expect, it } from 'vitest';

import { articleSlugFromHref, isExternalLink, markdownUrlTransform, safeImageUrl, safeLinkUrl } from './urls';

describe('safeLinkUrl', () => {
  it.each([
    ['https://example.com/a', 'https://example.com/a'],
    ['http://example.com', 'http://example.com'],
    ['mailto:someone@example.com', 'mailto:someone@example.com'],
    ['other-article.md', 'other-article.md'],
    ['../docs/guide', '../docs/guide'],
    ['#section', '#section'],
    ['/absolute/path', '/absolute/path'],
    ['//example.com/path', '//example.com/path'],
  ])('keeps %s', (url, expected) => {
    expect(safeLinkUrl(url)).toBe(expected);
  });

  it.each(['javascript:alert(1)', 'JavaScript:alert(1)', ' java\tscript:alert(1)', 'vbscript:msgbox', 'data:text/html,<b>x</b>', 'file:///etc/passwd', 'tel:+123'])(
    'drops %s',
    (url) => {
      expect(safeLinkUrl(url)).toBeNull();
    },
  );
});

describe('safeImageUrl', () => {
  it('keeps http, https and relative images', () => {
    expect(safeImageUrl('https://example.com/a.png')).toBe('https://example.com/a.png');
    expect(safeImageUrl('images/a.png')).toBe('images/a.png');
  });

  it('drops data and mailto images', () => {
    expect(safeImageUrl('data:image/png;base64,AAAA')).toBeNull();
    expect(safeImageUrl('mailto:a@example.com')).toBeNull();
  });
});

describe('markdownUrlTransform', () => {
  it('returns an empty string for a dropped URL', () => {
    expect(markdownUrlTransform('javascript:alert(1)', 'href')).toBe('');
  });

  it('applies the image rule to src', () => {
    expect(markdownUrlTransform('mailto:a@example.com', 'src')).toBe('');
    expect(markdownUrlTransform('mailto:a@example.com', 'href')).toBe('mailto:a@example.com');
  });
});

describe('isExternalLink', () => {
  const origin = 'https://notes.example.org';

  it('treats other origins and mailto as external', () => {
    expect(isExternalLink('https://example.com', origin)).toBe(true);
    expect(isExternalLink('//example.com/x', origin)).toBe(true);
    expect(isExternalLink('mailto:a@example.com', origin)).toBe(true);
  });

  it('treats the same origin and relative links as internal', () => {
    expect(isExternalLink('https://notes.example.org/article/a', origin)).toBe(false);
    expect(isExternalLink('other.md', origin)).toBe(false);
    expect(isExternalLink('#top', origin)).toBe(false);
  });
});

describe('articleSlugFromHref', () => {
  it('reads the slug of a sibling article filename', () => {
    expect(articleSlugFromHref('release-notes.md')).toBe('release-notes');
    expect(articleSlugFromHref('./release-notes.md#usage')).toBe('release-notes');
  });

  it('ignores paths, other extensions and invalid slugs', () => {
    expect(articleSlugFromHref('docs/release-notes.md')).toBeNull();
    expect(articleSlugFromHref('release-notes.txt')).toBeNull();
    expect(articleSlugFromHref('Release-Notes.md')).toBeNull();
    expect(articleSlugFromHref('https://example.com/a.md')).toBeNull();
  });
});
