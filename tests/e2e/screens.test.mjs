// Screenshots of every screen in light and dark themes at desktop and phone sizes, each with an
// axe-core scan (no serious or critical violations) and no CSP violations or page errors.
// The images go to test-artifacts/screenshots/<screen>-<theme>-<size>.png.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { adminRequest, DESKTOP, openPage, PHONE, saveScreenshot, seriousA11yViolations, signIn, startEnvironment } from './harness.mjs';

const GUIDE = [
  '# Deploying the service',
  '',
  'This guide covers **build**, *release* and `rollback`. Read [the changelog](https://example.com/changes) first.',
  '',
  '## Checklist',
  '',
  '- [x] Tag the release',
  '- [ ] Announce it',
  '',
  '| Environment | URL | Owner |',
  '| --- | --- | --- |',
  '| staging | https://staging.example.com | Ana |',
  '| production | https://example.com | Ben |',
  '',
  '```rust',
  'fn main() {',
  '    println!("deploy {}", env!("CARGO_PKG_VERSION"));',
  '}',
  '```',
  '',
  '```mermaid',
  'sequenceDiagram',
  '  Developer->>CI: push tag',
  '  CI->>Registry: publish image',
  '  Registry-->>Developer: done',
  '```',
  '',
  '> Roll back with the previous tag when a check fails.',
  '',
].join('\n');

/** Each screen: its route and a function that waits until the page shows its content. */
const SCREENS = [
  { name: 'articles', route: '/', ready: (page) => page.getByRole('heading', { name: 'All articles' }).waitFor() },
  {
    name: 'article',
    route: '/article/deploying-the-service',
    ready: (page) => page.locator('.reader .mermaid-diagram svg').waitFor(),
  },
  {
    name: 'history',
    route: '/article/deploying-the-service',
    ready: async (page) => {
      await page.locator('.reader .mermaid-diagram svg').waitFor();
      await page.getByRole('button', { name: 'History' }).click();
      await page.getByRole('region', { name: 'History' }).getByRole('button', { name: /^v1/ }).click();
      await page.getByText(/added/).first().waitFor();
    },
  },
  {
    name: 'editor',
    route: '/edit/deploying-the-service',
    ready: async (page) => {
      await page.getByLabel('Content (markdown)').waitFor();
      // Phones show the text and the preview as two tabs; the preview is checked separately there.
      if (!(await page.getByRole('button', { name: 'Preview', exact: true }).isVisible())) {
        await page.getByRole('region', { name: 'Preview' }).getByRole('heading', { name: 'Checklist' }).waitFor();
      }
    },
  },
  { name: 'new-article', route: '/new?folder=guides', ready: (page) => page.getByRole('heading', { name: 'New article' }).waitFor() },
  { name: 'folders', route: '/folders', ready: (page) => page.getByRole('link', { name: 'guides/ops', exact: true }).waitFor() },
  { name: 'settings', route: '/settings', ready: (page) => page.getByRole('row', { name: /Claude Desktop/ }).waitFor() },
  { name: 'security', route: '/security', ready: (page) => page.getByRole('tablist', { name: 'MCP clients' }).waitFor() },
  { name: 'not-found', route: '/no/such/page', ready: (page) => page.getByRole('heading', { name: 'Page not found' }).waitFor() },
];

const VARIANTS = [
  { theme: 'light', size: 'desktop', viewport: DESKTOP },
  { theme: 'dark', size: 'desktop', viewport: DESKTOP },
  { theme: 'light', size: 'phone', viewport: PHONE },
  { theme: 'dark', size: 'phone', viewport: PHONE },
];

describe('screens', () => {
  let env;

  before(async () => {
    env = await startEnvironment();
    const { server } = env;
    const guide = await adminRequest(server, 'POST', '/api/articles', { title: 'Deploying the service', folder: 'guides/ops', content: GUIDE });
    assert.equal(guide.status, 201);
    const edited = await adminRequest(server, 'PUT', '/api/articles/deploying-the-service', {
      content: `${GUIDE}\n## Rollback\n\nRun the previous tag.\n`,
      message: 'Add rollback section',
    });
    assert.equal(edited.status, 200);
    assert.equal((await adminRequest(server, 'POST', '/api/articles/deploying-the-service/public', { isPublic: true })).status, 200);
    for (const [title, folder] of [['Team onboarding', 'guides'], ['Meeting notes 2026-12-01', 'notes'], ['Ideas', '']]) {
      assert.equal((await adminRequest(server, 'POST', '/api/articles', { title, folder, content: `# ${title}\n\nText.` })).status, 201);
    }
    assert.equal((await adminRequest(server, 'POST', '/api/access-tokens', { name: 'Claude Desktop', scope: 'write' })).status, 201);
    assert.equal((await adminRequest(server, 'POST', '/api/access-tokens', { name: 'Search bot', scope: 'read-only' })).status, 201);
    const failed = await fetch(`${server.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: 'wrong' }),
    });
    assert.equal(failed.status, 401);
  });

  after(async () => {
    await env?.close();
  });

  for (const variant of VARIANTS) {
    test(`screens in ${variant.theme} on ${variant.size}`, async () => {
      const session = await openPage(env.browser, { viewport: variant.viewport, colorScheme: variant.theme });
      const { page } = session;
      const suffix = `${variant.theme}-${variant.size}`;
      const failures = [];
      try {
        await page.goto(`${env.server.baseUrl}/`);
        await page.getByLabel('Access token').waitFor();
        await saveScreenshot(page, `sign-in-${suffix}`);
        failures.push(...(await seriousA11yViolations(page)).map((line) => `sign-in: ${line}`));

        await page.goto(`${env.server.baseUrl}/p/deploying-the-service`);
        await page.locator('.mermaid-diagram svg').waitFor();
        await saveScreenshot(page, `public-article-${suffix}`);
        failures.push(...(await seriousA11yViolations(page)).map((line) => `public-article: ${line}`));

        await signIn(page, env.server.baseUrl, env.server.authToken);
        for (const screen of SCREENS) {
          await page.goto(`${env.server.baseUrl}${screen.route}`);
          await screen.ready(page);
          await saveScreenshot(page, `${screen.name}-${suffix}`);
          failures.push(...(await seriousA11yViolations(page)).map((line) => `${screen.name}: ${line}`));
        }

        if (variant.size === 'phone') {
          await page.goto(`${env.server.baseUrl}/edit/deploying-the-service`);
          await page.getByRole('button', { name: 'Preview', exact: true }).click();
          await page.getByRole('region', { name: 'Preview' }).locator('.mermaid-diagram svg').waitFor();
          await saveScreenshot(page, `editor-preview-${suffix}`);
          failures.push(...(await seriousA11yViolations(page)).map((line) => `editor-preview: ${line}`));

          await page.goto(`${env.server.baseUrl}/`);
          await page.getByRole('button', { name: 'Menu' }).click();
          await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).waitFor();
          await saveScreenshot(page, `menu-${suffix}`);
        }
      } finally {
        await session.context.close();
      }
      assert.deepEqual(failures, [], 'serious or critical axe violations');
      assert.deepEqual(session.problems(), [], 'CSP violations or page errors');
    });
  }
});
