// The UI under BASE_PATH=/docs: deep links, asset and API URLs, the public link and the MCP
// endpoint must all keep the prefix, which the page learns from the <base href> the server injects.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { adminRequest, openPage, seriousA11yViolations, signIn, startEnvironment } from './harness.mjs';

describe('UI under a base path', () => {
  let env;
  let session;

  before(async () => {
    env = await startEnvironment({ basePath: '/docs' });
    session = await openPage(env.browser);
    const created = await adminRequest(env.server, 'POST', '/api/articles', {
      title: 'Prefixed article',
      folder: 'team',
      content: 'Body with a [sibling](other-note.md) link.\n\n```mermaid\ngraph LR\n  A --> B\n```\n',
      isPublic: true,
    });
    assert.equal(created.status, 201);
  });

  after(async () => {
    await session?.context.close();
    await env?.close();
  });

  test('deep link keeps the prefix', async () => {
    const { page } = session;
    assert.match(env.server.baseUrl, /\/docs$/);
    const requests = [];
    page.on('request', (request) => requests.push(new URL(request.url()).pathname));

    await signIn(page, env.server.baseUrl, env.server.authToken, '/article/prefixed-article');
    await page.locator('.article-header').getByRole('heading', { name: 'Prefixed article' }).waitFor();
    await page.locator('.mermaid-diagram svg').waitFor();

    const outside = requests.filter((pathname) => !pathname.startsWith('/docs/'));
    assert.deepEqual(outside, [], 'every request stays under /docs/');
    assert.equal(await page.getByRole('link', { name: 'sibling' }).getAttribute('href'), '/docs/article/other-note');
    assert.equal(await page.locator('.public-link__url a').getAttribute('href'), `${env.server.baseUrl}/p/prefixed-article`);

    await page.getByRole('link', { name: 'team' }).click();
    await page.waitForURL(/\/docs\/?\?folder=team$/);
    await page.getByRole('heading', { name: 'team', level: 1 }).waitFor();
    assert.deepEqual(await seriousA11yViolations(page), []);
    assert.deepEqual(session.problems(), []);
  });

  test('security page shows the prefixed endpoint', async () => {
    const { page } = session;
    await page.goto(`${env.server.baseUrl}/security`);
    await page.locator('.endpoint').getByText(`${env.server.baseUrl}/mcp`).waitFor();
    assert.deepEqual(session.problems(), []);
  });

  test('public page loads under the prefix', async () => {
    const visitor = await openPage(env.browser);
    try {
      await visitor.page.goto(`${env.server.baseUrl}/p/prefixed-article`);
      await visitor.page.locator('.article-header').getByRole('heading', { name: 'Prefixed article' }).waitFor();
      assert.deepEqual(visitor.problems(), []);
    } finally {
      await visitor.context.close();
    }
  });
});
