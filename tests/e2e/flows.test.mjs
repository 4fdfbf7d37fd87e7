// Browser tests of the main flows against a real server: sign-in, articles, editor, versions,
// public pages, access tokens, folders and the security screen. The tests share one server and
// one signed-in page and run in order, because each builds on the articles the earlier ones made.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { adminRequest, openPage, seriousA11yViolations, signIn, startEnvironment, waitForCount } from './harness.mjs';

const ARTICLE_CONTENT = [
  '# Release checklist',
  '',
  'Steps for a release. See [the docs](https://example.com/docs) and [a bad link](javascript:alert(1)).',
  '',
  '| Step | Owner |',
  '| ---- | ----- |',
  '| Tag  | Ana   |',
  '',
  '- [x] Write notes',
  '- [ ] Publish',
  '',
  '<script>window.__injected = true</script>',
  '',
  '```js',
  'const answer = 42;',
  '```',
  '',
  '```mermaid',
  'graph TD',
  '  Tag --> Build',
  '  Build --> Publish',
  '```',
  '',
].join('\n');

describe('web UI flows', () => {
  let env;
  let admin;

  before(async () => {
    env = await startEnvironment();
    admin = await openPage(env.browser, { permissions: ['clipboard-read', 'clipboard-write'] });
  });

  after(async () => {
    await admin?.context.close();
    await env?.close();
  });

  async function assertClean(session = admin) {
    assert.deepEqual(session.problems(), [], 'CSP violations or page errors');
  }

  async function assertAccessible(page, screen) {
    assert.deepEqual(await seriousA11yViolations(page), [], `serious or critical axe violations on ${screen}`);
  }

  test('sign-in rejects a wrong token', async () => {
    const { page } = admin;
    await page.goto(`${env.server.baseUrl}/`);
    await page.getByLabel('Access token').fill('sk-md-not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token is not valid').waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0);
    await assertAccessible(page, 'sign-in');
    await assertClean();
  });

  test('sign-in with the admin token', async () => {
    const { page, context } = admin;
    await signIn(page, env.server.baseUrl, env.server.authToken);
    await page.getByRole('heading', { name: 'All articles' }).waitFor();

    const cookie = (await context.cookies()).find((entry) => entry.name === 'mdm_session');
    assert.ok(cookie, 'mdm_session cookie is set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');

    const storage = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
    assert.ok(!storage.includes(env.server.authToken), `web storage must not contain the token: ${storage}`);
    await assertAccessible(page, 'articles');
    await assertClean();
  });

  test('create an article', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'New article' }).click();
    await page.getByRole('heading', { name: 'New article' }).waitFor();
    await page.getByLabel('Title').fill('Release checklist');
    await page.getByLabel('Folder').fill('projects/alpha');
    await page.getByLabel('Content (markdown)').fill(ARTICLE_CONTENT);
    await page.getByRole('region', { name: 'Preview' }).getByRole('cell', { name: 'Ana' }).waitFor();
    await assertAccessible(page, 'new article');
    await page.getByRole('button', { name: 'Save' }).click();

    await page.waitForURL(/\/article\/release-checklist$/);
    await page.locator('.article-header').getByRole('heading', { name: 'Release checklist', level: 1 }).waitFor();
    const body = page.locator('.reader .markdown-body');
    await body.getByRole('cell', { name: 'Ana' }).waitFor();
    await body.locator('.mermaid-diagram svg').waitFor();
    assert.equal(await body.locator('.mermaid-diagram svg').getByText('Publish').count(), 1);
    assert.equal(await body.locator('.hljs-keyword').first().textContent(), 'const');

    const external = body.getByRole('link', { name: 'the docs' });
    assert.equal(await external.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await external.getAttribute('target'), '_blank');
    assert.equal(await body.locator('a[href^="javascript"]').count(), 0);
    assert.equal(await body.locator('script').count(), 0);
    assert.equal(await page.evaluate(() => window.__injected), undefined);

    await assertAccessible(page, 'article');
    await assertClean();
  });

  test('copy reference and fullscreen', async () => {
    const { page } = admin;
    await page.getByText('Copy reference').click();
    await page.getByRole('button', { name: 'Filename: release-checklist.md' }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), 'release-checklist.md');

    await page.getByRole('button', { name: 'MCP readArticle call' }).click();
    await page.waitForFunction(async () => (await navigator.clipboard.readText()).includes('readArticle'));
    const call = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
    assert.deepEqual(call, { name: 'readArticle', arguments: { filename: 'release-checklist.md' } });
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'MCP readArticle call' }).waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: 'Read fullscreen' }).click();
    await page.getByRole('button', { name: 'Exit fullscreen' }).waitFor();
    assert.equal(await page.evaluate(() => document.fullscreenElement?.classList.contains('reader')), true);
    await page.getByRole('button', { name: 'Exit fullscreen' }).click();
    await page.waitForFunction(() => document.fullscreenElement === null);
    await assertClean();
  });

  test('edit with live preview', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.getByRole('heading', { name: 'Edit “Release checklist”' }).waitFor();
    const content = page.getByLabel('Content (markdown)');
    await content.fill(`${ARTICLE_CONTENT}\n## Step two\n\nVerify the build.\n`);
    await page.getByRole('region', { name: 'Preview' }).getByRole('heading', { name: 'Step two' }).waitFor();
    await page.getByText('Unsaved changes').waitFor();
    await page.getByLabel('Change note (optional)').fill('Add step two');
    await assertAccessible(page, 'editor');

    await content.press('Control+s');
    await page.waitForURL(/\/article\/release-checklist$/);
    await page.getByText('Version 2', { exact: true }).waitFor();
    await page.locator('.reader').getByRole('heading', { name: 'Step two' }).waitFor();
    await assertClean();
  });

  test('unsaved changes guard', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page.getByLabel('Title').fill('Release checklist, draft');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Articles' }).click();

    const dialog = page.getByRole('dialog', { name: 'Leave without saving?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await page.getByLabel('Title').inputValue(), 'Release checklist, draft');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Articles' }).click();
    await dialog.getByRole('button', { name: 'Discard changes' }).click();
    await page.getByRole('heading', { name: 'All articles' }).waitFor();
    const stored = await adminRequest(env.server, 'GET', '/api/articles/release-checklist');
    assert.equal(stored.body.title, 'Release checklist');
    await assertClean();
  });

  test('title search filters the list', async () => {
    const { page } = admin;
    for (const title of ['Alpha notes', 'Beta notes']) {
      const created = await adminRequest(env.server, 'POST', '/api/articles', { title, content: `About ${title}.`, folder: 'notes' });
      assert.equal(created.status, 201);
    }
    await page.goto(`${env.server.baseUrl}/`);
    const list = page.locator('.article-list');
    await list.getByRole('link', { name: 'Beta notes', exact: true }).waitFor();

    await page.getByRole('searchbox', { name: 'Search' }).fill('checklist');
    await page.waitForURL(/q=checklist/);
    await list.getByRole('link', { name: 'Release checklist', exact: true }).waitFor();
    await waitForCount(list.getByRole('listitem'), 1);

    await page.getByRole('searchbox', { name: 'Search' }).fill('no such title');
    await page.getByText('No article titles contain “no such title”.').waitFor();

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('navigation', { name: 'Folders' }).getByRole('link', { name: 'notes' }).click();
    await page.getByRole('heading', { name: 'notes', level: 1 }).waitFor();
    await waitForCount(list.getByRole('listitem'), 2);

    // Content search: the server's /api/search when it exists, otherwise a title search with a notice.
    await page.getByLabel('Search in').selectOption('hybrid');
    await page.getByRole('searchbox', { name: 'Search' }).fill('Alpha');
    await page.getByRole('searchbox', { name: 'Search' }).press('Enter');
    const probe = await adminRequest(env.server, 'GET', '/api/search?query=Alpha&mode=hybrid');
    if (probe.status === 404) {
      await page.getByText('Content search is not available').waitFor();
    } else {
      assert.equal(probe.status, 200);
      await page.getByText(/best first/).waitFor();
    }
    await list.getByRole('link', { name: 'Alpha notes', exact: true }).waitFor();
    await page.getByLabel('Search in').selectOption('title');
    await page.getByRole('button', { name: 'Clear' }).click();

    await page.getByRole('link', { name: 'New article in notes' }).click();
    await page.getByRole('heading', { name: 'New article' }).waitFor();
    assert.equal(await page.getByLabel('Folder').inputValue(), 'notes');
    await assertClean();
  });

  test('pagination and sort', async () => {
    const { page } = admin;
    for (let index = 1; index <= 21; index++) {
      const title = `Bulk item ${String(index).padStart(2, '0')}`;
      const created = await adminRequest(env.server, 'POST', '/api/articles', { title, content: 'x', folder: 'bulk' });
      assert.equal(created.status, 201);
    }
    await page.goto(`${env.server.baseUrl}/?folder=bulk`);
    const list = page.locator('.article-list');
    await page.getByText('1–20 of 21').waitFor();
    assert.equal(await list.getByRole('listitem').first().locator('.article-list__title').textContent(), 'Bulk item 21');

    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByText('21–21 of 21').waitFor();
    await waitForCount(list.getByRole('listitem'), 1);
    assert.equal(await list.locator('.article-list__title').textContent(), 'Bulk item 01');

    await page.getByLabel('Sort').selectOption('title');
    await page.getByText('1–20 of 21').waitFor();
    await page.waitForFunction(() => document.querySelector('.article-list__title')?.textContent === 'Bulk item 01');

    await page.getByLabel('Per page').selectOption('50');
    await waitForCount(list.getByRole('listitem'), 21);
    assert.equal(await list.locator('.article-list__title').last().textContent(), 'Bulk item 21');
    await assertAccessible(page, 'articles with pagination');
    await assertClean();
  });

  test('theme choice persists', async () => {
    const { page } = admin;
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await page.reload();
    await page.getByRole('button', { name: 'Switch to light theme' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    assert.equal(await page.evaluate(() => localStorage.getItem('mdm-theme')), 'dark');
    await assertAccessible(page, 'articles in dark theme');

    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    assert.equal(await page.evaluate(() => localStorage.getItem('mdm-theme')), 'light');
    await assertClean();
  });

  test('save conflict offers overwrite', async () => {
    const { page } = admin;
    await page.goto(`${env.server.baseUrl}/edit/alpha-notes`);
    await page.getByLabel('Content (markdown)').fill('Edited in the browser.');
    const elsewhere = await adminRequest(env.server, 'PUT', '/api/articles/alpha-notes', { content: 'Changed elsewhere.' });
    assert.equal(elsewhere.status, 200);

    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Someone else changed this article').waitFor();
    await page.getByText('Version 2 was saved after you opened version 1.').waitFor();
    await page.getByRole('button', { name: 'Compare with the latest version' }).click();
    const compare = page.getByRole('dialog', { name: 'Your text compared with version 2' });
    await compare.getByText('Changed elsewhere.').waitFor();
    await compare.getByText('Edited in the browser.').waitFor();
    await assertAccessible(page, 'conflict comparison');
    await compare.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'Save mine over it' }).click();
    await page.waitForURL(/\/article\/alpha-notes$/);
    await page.locator('.reader').getByText('Edited in the browser.').waitFor();
    const stored = await adminRequest(env.server, 'GET', '/api/articles/alpha-notes');
    assert.equal(stored.body.version, 3);
    assert.equal(stored.body.content.trim(), 'Edited in the browser.');
    await assertClean();
  });

  test('restore an earlier version', async () => {
    const { page } = admin;
    await page.goto(`${env.server.baseUrl}/article/release-checklist`);
    await page.getByRole('button', { name: 'History' }).click();
    const history = page.getByRole('region', { name: 'History' });
    await history.getByRole('button', { name: /^v1/ }).click();
    await history.getByText('Step two').first().waitFor();
    await history.getByText(/lines/).first().waitFor();
    await assertAccessible(page, 'article history');

    await history.getByRole('button', { name: 'Restore this version' }).click();
    const dialog = page.getByRole('dialog', { name: 'Restore version 1?' });
    await dialog.getByRole('button', { name: 'Restore' }).click();
    await history.getByText('Version 1 was restored as version 3.').waitFor();
    await page.getByText('Version 3', { exact: true }).waitFor();
    assert.equal(await page.locator('.reader').getByRole('heading', { name: 'Step two' }).count(), 0);

    const stored = await adminRequest(env.server, 'GET', '/api/articles/release-checklist');
    assert.equal(stored.body.version, 3);
    assert.ok(!stored.body.content.includes('Step two'));
    await assertClean();
  });

  test('public page without a cookie', async () => {
    const { page } = admin;
    await page.goto(`${env.server.baseUrl}/article/release-checklist`);
    // The switch changes only after the server confirms, so click and wait for the link.
    await page.getByRole('switch', { name: 'Public link' }).click();
    const link = page.locator('.public-link__url a');
    await link.waitFor();
    const publicUrl = await link.getAttribute('href');
    assert.equal(publicUrl, `${env.server.baseUrl}/p/release-checklist`);

    const visitor = await openPage(env.browser, { colorScheme: 'dark' });
    try {
      await visitor.page.goto(publicUrl);
      await visitor.page.locator('.article-header').getByRole('heading', { name: 'Release checklist', level: 1 }).waitFor();
      await visitor.page.locator('.mermaid-diagram svg').waitFor();
      assert.deepEqual(await visitor.context.cookies(), []);
      await assertAccessible(visitor.page, 'public article');

      await visitor.page.goto(`${env.server.baseUrl}/p/alpha-notes`);
      await visitor.page.getByRole('heading', { name: 'Article not available' }).waitFor();
      await assertClean(visitor);
    } finally {
      await visitor.context.close();
    }
    await assertClean();
  });

  test('settings token works over REST', async () => {
    const { page } = admin;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    const form = page.getByRole('form', { name: 'Create an access token' });
    await form.getByLabel('Name').fill('CI reader');
    await form.getByLabel('Scope').selectOption('read-only');
    await form.getByLabel('Expires').selectOption('30');
    await form.getByRole('button', { name: 'Create token' }).click();

    const dialog = page.getByRole('dialog', { name: 'Token created' });
    const token = await dialog.getByLabel(/^Token/).inputValue();
    assert.match(token, /^sk-md-/);
    await assertAccessible(page, 'token dialog');
    await dialog.getByRole('button', { name: 'I have copied the token' }).click();
    const row = page.getByRole('row', { name: /CI reader/ });
    await row.getByText('read-only').waitFor();
    assert.ok(!(await row.textContent()).includes(token), 'the table shows only the masked token');

    const bearer = { Authorization: `Bearer ${token}` };
    const list = await fetch(`${env.server.baseUrl}/api/articles`, { headers: bearer });
    assert.equal(list.status, 200);
    const write = await fetch(`${env.server.baseUrl}/api/articles`, {
      method: 'POST',
      headers: { ...bearer, 'Content-Type': 'application/json' },
      body: JSON.stringify({ title: 'Not allowed', content: 'x' }),
    });
    assert.equal(write.status, 403);

    await page.getByRole('button', { name: 'Revoke CI reader' }).click();
    await page.getByRole('dialog', { name: 'Revoke “CI reader”?' }).getByRole('button', { name: 'Revoke token' }).click();
    await page.getByText('Revoked “CI reader”.').waitFor();
    const afterRevoke = await fetch(`${env.server.baseUrl}/api/articles`, { headers: bearer });
    assert.equal(afterRevoke.status, 401);
    await assertAccessible(page, 'settings');
    await assertClean();
  });

  test('folders rename and delete', async () => {
    const { page } = admin;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Folders' }).click();
    await page.getByRole('button', { name: 'Rename or move projects/alpha' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rename or move projects/alpha' });
    await dialog.getByLabel('New path').fill('projects/beta');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Moved projects/alpha to projects/beta.').waitFor();
    await page.getByRole('link', { name: 'projects/beta', exact: true }).waitFor();
    assert.equal((await adminRequest(env.server, 'GET', '/api/articles/release-checklist')).body.folder, 'projects/beta');
    await assertAccessible(page, 'folders');

    await page.getByRole('button', { name: 'Delete projects/beta' }).click();
    await page.getByRole('dialog', { name: 'Delete folder projects/beta?' }).getByRole('button', { name: 'Delete folder' }).click();
    await page.getByText('Deleted projects/beta.', { exact: false }).waitFor();
    assert.equal((await adminRequest(env.server, 'GET', '/api/articles/release-checklist')).body.folder, 'projects');
    await assertClean();
  });

  test('security screen shows failed sign-in', async () => {
    const { page } = admin;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Security' }).click();
    const events = page.getByRole('region', { name: 'Events, newest first' });
    await events.getByText('auth_failure').first().waitFor();
    await page.getByText('Live', { exact: true }).waitFor();

    await page.getByLabel('Type', { exact: true }).selectOption('auth_failure');
    const rowsSelector = '[aria-label="Events, newest first"] tbody tr';
    await page.waitForFunction(
      (selector) => [...document.querySelectorAll(selector)].every((row) => row.textContent.includes('auth_failure')),
      rowsSelector,
    );
    const before = await page.locator(rowsSelector).count();
    assert.ok(before >= 1, 'the failed sign-in of the first test is listed');

    // A new failed sign-in arrives through the live stream.
    const failed = await fetch(`${env.server.baseUrl}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: 'sk-md-another-wrong-token' }),
    });
    assert.equal(failed.status, 401);
    await page.waitForFunction(
      ({ selector, count }) => document.querySelectorAll(selector).length > count,
      { selector: rowsSelector, count: before },
      { timeout: 15_000 },
    );

    const clients = page.getByRole('tablist', { name: 'MCP clients' });
    await clients.getByRole('tab', { name: 'Cursor' }).click();
    await page.getByRole('tabpanel').getByText(`${env.server.baseUrl}/mcp`).waitFor();
    await assertAccessible(page, 'security');
    await assertClean();
  });

  test('security screen ends MCP sessions', async () => {
    const { page } = admin;
    const created = await adminRequest(env.server, 'POST', '/api/access-tokens', { name: 'Agent laptop', scope: 'write' });
    assert.equal(created.status, 201);
    const mcpHeaders = {
      Authorization: `Bearer ${created.body.token}`,
      Accept: 'application/json, text/event-stream',
      'Content-Type': 'application/json',
    };
    const initialize = await fetch(`${env.server.baseUrl}/mcp`, {
      method: 'POST',
      headers: mcpHeaders,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1.0.0' } },
      }),
    });
    assert.equal(initialize.status, 200);
    const sessionId = initialize.headers.get('mcp-session-id');
    assert.ok(sessionId, 'initialize returns an Mcp-Session-Id');
    await initialize.body?.cancel();

    await page.goto(`${env.server.baseUrl}/security`);
    const sessions = page.getByRole('region', { name: 'MCP sessions' });
    await sessions.getByRole('cell', { name: 'Agent laptop', exact: true }).waitFor();
    await sessions.getByRole('button', { name: /^End session of Agent laptop/ }).click();
    await page.getByRole('dialog', { name: 'End this MCP session?' }).getByRole('button', { name: 'End' }).click();
    await page.getByText('Ended 1 MCP session.').waitFor();
    await page.getByText('No MCP client is connected.').waitFor();

    const afterEnd = await fetch(`${env.server.baseUrl}/mcp`, {
      method: 'POST',
      headers: { ...mcpHeaders, 'Mcp-Session-Id': sessionId, 'Mcp-Protocol-Version': '2025-06-18' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    assert.equal(afterEnd.status, 404, 'the ended session is unknown to the server');
    await afterEnd.body?.cancel();
    await assertClean();
  });

  test('MCP switch turns the endpoint off', async () => {
    const { page } = admin;
    await page.goto(`${env.server.baseUrl}/security`);
    const mcpSwitch = page.getByRole('switch', { name: 'Accept MCP connections' });
    await mcpSwitch.waitFor();
    assert.equal(await mcpSwitch.isChecked(), true);

    await mcpSwitch.click();
    await page.getByRole('dialog', { name: 'Turn off MCP?' }).getByRole('button', { name: 'Turn off' }).click();
    await page.getByText('MCP requests are rejected.', { exact: false }).waitFor();
    assert.equal((await adminRequest(env.server, 'GET', '/api/settings/mcp')).body.enabled, false);

    await mcpSwitch.click();
    await page.getByText('MCP clients can connect with an access token.').waitFor();
    assert.equal((await adminRequest(env.server, 'GET', '/api/settings/mcp')).body.enabled, true);
    await assertClean();
  });

  test('read-only session cannot edit', async () => {
    const created = await adminRequest(env.server, 'POST', '/api/access-tokens', { name: 'Viewer', scope: 'read-only' });
    assert.equal(created.status, 201);
    const viewer = await openPage(env.browser);
    try {
      await signIn(viewer.page, env.server.baseUrl, created.body.token, '/article/release-checklist');
      await viewer.page.locator('.article-header').getByRole('heading', { name: 'Release checklist', level: 1 }).waitFor();
      assert.equal(await viewer.page.getByRole('link', { name: 'Edit', exact: true }).count(), 0);
      assert.equal(await viewer.page.getByRole('button', { name: 'Delete' }).count(), 0);
      await viewer.page.goto(`${env.server.baseUrl}/new`);
      await viewer.page.getByText('You are signed in with a read-only token').waitFor();
      assert.equal(await viewer.page.getByRole('link', { name: 'Security' }).count(), 0);
      await assertClean(viewer);
    } finally {
      await viewer.context.close();
    }
  });

  test('sign out ends the session', async () => {
    const { page, context } = admin;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Access token').waitFor();
    const session = await page.evaluate(async () => (await fetch('api/auth/session')).status);
    assert.equal(session, 401);
    assert.equal((await context.cookies()).filter((cookie) => cookie.name === 'mdm_session' && cookie.value !== '').length, 0);
    await assertClean();
  });
});
