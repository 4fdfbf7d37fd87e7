import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, describe, expect, it } from 'vitest';

import Markdown from './Markdown';

// React's act() warns unless the environment declares that it runs tests.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let container: HTMLDivElement | null = null;

async function render(content: string, linkArticles = false): Promise<HTMLDivElement> {
  container = document.createElement('div');
  document.body.appendChild(container);
  const root = createRoot(container);
  await act(async () => {
    root.render(
      <MemoryRouter>
        <Markdown content={content} linkArticles={linkArticles} />
      </MemoryRouter>,
    );
  });
  return container;
}

afterEach(() => {
  container?.remove();
  container = null;
});

describe('Markdown', () => {
  it('renders GFM tables and task lists', async () => {
    const html = await render('| a | b |\n| - | - |\n| 1 | 2 |\n\n- [x] done\n- [ ] open\n');
    expect(html.querySelectorAll('table td')).toHaveLength(2);
    const boxes = html.querySelectorAll<HTMLInputElement>('input[type="checkbox"]');
    expect(boxes).toHaveLength(2);
    expect(boxes[0].checked).toBe(true);
    expect(boxes[0].getAttribute('aria-label')).toBe('Done');
  });

  it('does not render raw HTML', async () => {
    const html = await render('<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">\n\ntext <b>bold</b>');
    expect(html.querySelector('script')).toBeNull();
    expect(html.querySelector('img')).toBeNull();
    expect(html.querySelector('b')).toBeNull();
  });

  it('drops unsafe link schemes', async () => {
    const html = await render('[x](javascript:alert(1)) [y](data:text/html,hi) ![z](javascript:alert(1))');
    expect(html.querySelector('a')).toBeNull();
    expect(html.querySelector('img')).toBeNull();
    expect(html.textContent).toContain('[image: z]');
  });

  it('opens external links safely', async () => {
    const html = await render('[docs](https://example.com/docs)');
    const link = html.querySelector('a');
    expect(link?.getAttribute('rel')).toBe('noopener noreferrer');
    expect(link?.getAttribute('target')).toBe('_blank');
  });

  it('links article filenames when asked', async () => {
    const html = await render('[next](next-steps.md)', true);
    expect(html.querySelector('a')?.getAttribute('href')).toBe('/article/next-steps');
  });

  it('highlights fenced code with a language', async () => {
    const html = await render('```js\nconst answer = 42;\n```');
    expect(html.querySelector('code.hljs .hljs-keyword')?.textContent).toBe('const');
  });
});
