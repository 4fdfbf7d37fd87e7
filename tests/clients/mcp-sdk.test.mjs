// End-to-end test of the /mcp endpoint with the official TypeScript SDK client
// (@modelcontextprotocol/sdk) over Streamable HTTP, against a server this file starts itself.
//
// The tests in the "article tools" suite run in order and share the articles they create, the
// way an agent's session would: later tests read what earlier ones wrote.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

import { startTestEnvironment } from './harness.mjs';

const READ_TOOL_NAMES = ['getFolderTree', 'listArticles', 'listFolders', 'listVersions', 'multiSearchArticles', 'readArticle', 'readVersion', 'searchArticles', 'semanticSearch', 'multiSemanticSearch'].sort();
const WRITE_TOOL_NAMES = ['createArticle', 'deleteArticle', 'editArticle', 'moveArticle', 'renameArticle', 'restoreVersion', 'updateArticle'].sort();
const PROTOCOL_VERSION = '2025-11-25';

let environment;
const openClients = [];

/** Connects an SDK client with `token` as bearer token. `after()` ends its session and closes it. */
async function connect(token) {
  const transport = new StreamableHTTPClientTransport(new URL(environment.server.mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'mcp-sdk-test', version: '1.0.0' });
  await client.connect(transport);
  openClients.push({ client, transport });
  return { client, transport };
}

/** Sends one JSON-RPC message to /mcp with fetch, outside the SDK, with the given headers. */
async function rawMcpPost(headers, message) {
  const response = await fetch(environment.server.mcpUrl, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'MCP-Protocol-Version': PROTOCOL_VERSION,
      ...headers,
    },
    body: JSON.stringify(message),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

function parseJson(text, description) {
  try {
    return JSON.parse(text);
  } catch (error) {
    assert.fail(`${description} is not JSON (${error.message}): ${text}`);
  }
}

/** Calls a tool that must succeed and returns its structuredContent. */
async function callOk(client, name, args) {
  const result = await client.callTool({ name, arguments: args });
  assert.notEqual(result.isError, true, `${name} returned isError: ${JSON.stringify(result.content)}`);
  assert.ok(result.structuredContent, `${name} returned no structuredContent: ${JSON.stringify(result)}`);
  const text = result.content.find((block) => block.type === 'text');
  assert.ok(text, `${name} returned no text content block`);
  assert.deepEqual(parseJson(text.text, `${name} text content`), result.structuredContent);
  return result.structuredContent;
}

/** Calls a tool that must fail as a tool result (isError: true) and returns its message. */
async function callError(client, name, args) {
  const result = await client.callTool({ name, arguments: args });
  assert.equal(result.isError, true, `${name} should fail but returned ${JSON.stringify(result)}`);
  const text = result.content.find((block) => block.type === 'text');
  assert.ok(text, `${name} failed without a text content block`);
  assert.ok(text.text.length > 0, `${name} failed with an empty message`);
  return text.text;
}

before(async () => {
  environment = await startTestEnvironment();
});

after(async () => {
  // Ending each session first closes its server-sent event stream, which would otherwise hold
  // the server's graceful shutdown open until actix-web's shutdown timeout.
  for (const { client, transport } of openClients) {
    await transport.terminateSession().catch(() => {});
    await client.close().catch(() => {});
  }
  if (environment) await environment.close();
});

describe('tools/list', () => {
  it('lists all tools for a write token', async () => {
    const { client, transport } = await connect(environment.writer.token);
    assert.ok(transport.sessionId, 'initialize returned no Mcp-Session-Id');
    assert.equal(client.getServerVersion()?.name, 'mcp-markdown-manager');
    assert.ok(client.getServerCapabilities()?.tools, 'server does not declare the tools capability');

    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name).sort();
    assert.deepEqual(names, [...READ_TOOL_NAMES, ...WRITE_TOOL_NAMES].sort());
    for (const tool of tools) {
      assert.equal(tool.inputSchema?.type, 'object', `${tool.name} has no object inputSchema`);
      const readOnly = READ_TOOL_NAMES.includes(tool.name);
      assert.equal(tool.annotations?.readOnlyHint, readOnly, `${tool.name} readOnlyHint`);
    }
  });

  it('declares an outputSchema for every tool', async () => {
    const { client } = await connect(environment.writer.token);
    const { tools } = await client.listTools();
    for (const tool of tools) {
      assert.equal(tool.outputSchema?.type, 'object', `${tool.name} has no object outputSchema`);
    }
  });

  it('lists only read tools for a read-only token', async () => {
    const { client } = await connect(environment.reader.token);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), READ_TOOL_NAMES);
  });
});

describe('article tools', () => {
  let client;
  let rust;
  let python;
  let checklist;

  before(async () => {
    ({ client } = await connect(environment.writer.token));
    // The SDK validates structuredContent against outputSchemas it has seen in tools/list.
    await client.listTools();
  });

  it('createArticle stores articles in folders', async () => {
    rust = await callOk(client, 'createArticle', {
      title: 'Rust Async Guide',
      content: '# Rust Async Guide\n\nFutures do nothing unless polled.\n',
      folder: 'guides/rust',
      message: 'first draft',
    });
    assert.equal(rust.slug, 'rust-async-guide');
    assert.equal(rust.filename, 'rust-async-guide.md');
    assert.equal(rust.title, 'Rust Async Guide');
    assert.equal(rust.folder, 'guides/rust');
    assert.equal(rust.content, '# Rust Async Guide\n\nFutures do nothing unless polled.\n');
    assert.equal(rust.version, 1);
    assert.equal(rust.noRag, false);
    assert.equal(rust.isPublic, false);
    assert.equal(rust.createdBy, 'client-test-writer');
    assert.equal(rust.modifiedBy, 'client-test-writer');
    assert.ok(!Number.isNaN(Date.parse(rust.created)), `created is not a timestamp: ${rust.created}`);

    python = await callOk(client, 'createArticle', {
      title: 'Python Packaging Notes',
      content: 'Use a virtual environment.',
      folder: 'guides/python/tools',
      noRag: true,
    });
    assert.equal(python.slug, 'python-packaging-notes');
    assert.equal(python.folder, 'guides/python/tools');
    assert.equal(python.noRag, true);

    checklist = await callOk(client, 'createArticle', { title: 'Release Checklist', content: '- tag\n- publish\n' });
    assert.equal(checklist.slug, 'release-checklist');
    assert.equal(checklist.folder, '');
  });

  it('createArticle rejects a title whose slug is taken', async () => {
    const message = await callError(client, 'createArticle', { title: 'Rust Async Guide', content: 'again' });
    assert.match(message, /rust-async-guide/);
    const read = await callOk(client, 'readArticle', { filename: 'rust-async-guide' });
    assert.equal(read.content, rust.content);
  });

  it('listArticles pages with maxArticles and nextCursor', async () => {
    const seen = [];
    let cursor;
    let pages = 0;
    do {
      const page = await callOk(client, 'listArticles', cursor === undefined ? { maxArticles: 1 } : { maxArticles: 1, cursor });
      pages += 1;
      assert.equal(page.total, 3);
      assert.equal(page.articles.length, 1);
      assert.equal(page.articles[0].content, undefined, 'list entries must not carry content');
      seen.push(page.articles[0].slug);
      cursor = page.nextCursor;
      assert.ok(pages <= 3, `nextCursor did not end after 3 pages: ${cursor}`);
    } while (cursor !== undefined);

    assert.equal(pages, 3);
    // Most recently modified first.
    assert.deepEqual(seen, ['release-checklist', 'python-packaging-notes', 'rust-async-guide']);
  });

  it('listArticles filters by folder subtree and root', async () => {
    const guides = await callOk(client, 'listArticles', { folder: 'guides' });
    assert.equal(guides.total, 2);
    assert.deepEqual(guides.articles.map((article) => article.slug).sort(), ['python-packaging-notes', 'rust-async-guide']);
    assert.equal(guides.nextCursor, undefined);

    const root = await callOk(client, 'listArticles', { folder: '' });
    assert.deepEqual(root.articles.map((article) => article.slug), ['release-checklist']);

    const error = await callError(client, 'listArticles', { maxArticles: 0 });
    assert.match(error, /maxArticles/);
  });

  it('listFolders includes parent folders', async () => {
    const { folders } = await callOk(client, 'listFolders', {});
    for (const folder of ['guides', 'guides/rust', 'guides/python', 'guides/python/tools']) {
      assert.ok(folders.includes(folder), `${folder} is missing from ${JSON.stringify(folders)}`);
    }
    assert.deepEqual(folders, [...folders].sort(), 'folders are not sorted');
    assert.equal(new Set(folders).size, folders.length, 'folders contain duplicates');
  });

  it('searchArticles matches title substrings', async () => {
    const rustHits = await callOk(client, 'searchArticles', { query: 'ASYNC' });
    assert.deepEqual(rustHits.articles.map((article) => article.slug), ['rust-async-guide']);

    const inFolder = await callOk(client, 'searchArticles', { query: 'notes', folder: 'guides/python' });
    assert.deepEqual(inFolder.articles.map((article) => article.slug), ['python-packaging-notes']);

    const outsideFolder = await callOk(client, 'searchArticles', { query: 'notes', folder: 'guides/rust' });
    assert.deepEqual(outsideFolder.articles, []);

    // A word that occurs only in the body must not match, because the search covers titles.
    const bodyOnly = await callOk(client, 'searchArticles', { query: 'polled' });
    assert.deepEqual(bodyOnly.articles, []);
  });

  it('multiSearchArticles merges results without duplicates', async () => {
    const result = await callOk(client, 'multiSearchArticles', { titles: ['rust', 'async', 'packaging', 'nothing-matches'] });
    const slugs = result.articles.map((article) => article.slug);
    assert.deepEqual([...slugs].sort(), ['python-packaging-notes', 'rust-async-guide']);

    const scoped = await callOk(client, 'multiSearchArticles', { titles: ['rust', 'checklist'], folder: 'guides' });
    assert.deepEqual(scoped.articles.map((article) => article.slug), ['rust-async-guide']);
  });

  it('readArticle accepts a slug or a filename', async () => {
    const bySlug = await callOk(client, 'readArticle', { filename: 'rust-async-guide' });
    const byFilename = await callOk(client, 'readArticle', { filename: 'rust-async-guide.md' });
    assert.deepEqual(byFilename, bySlug);
    assert.equal(bySlug.content, rust.content);
    assert.equal(bySlug.version, 1);

    const missing = await callError(client, 'readArticle', { filename: 'no-such-article' });
    assert.match(missing, /not found/);
  });

  it('updateArticle changes only the given fields', async () => {
    const contentUpdate = await callOk(client, 'updateArticle', {
      filename: 'rust-async-guide.md',
      content: 'Futures are lazy.',
      expectedVersion: 1,
    });
    assert.equal(contentUpdate.version, 2);
    assert.equal(contentUpdate.content, 'Futures are lazy.');
    assert.equal(contentUpdate.title, 'Rust Async Guide');
    assert.equal(contentUpdate.folder, 'guides/rust');

    const titleUpdate = await callOk(client, 'updateArticle', { filename: 'rust-async-guide', title: 'Rust Async Handbook' });
    assert.equal(titleUpdate.version, 3);
    assert.equal(titleUpdate.slug, 'rust-async-guide', 'a title change must keep the slug');
    assert.equal(titleUpdate.title, 'Rust Async Handbook');
    assert.equal(titleUpdate.content, 'Futures are lazy.');
    assert.equal(titleUpdate.folder, 'guides/rust');
    assert.equal(titleUpdate.created, rust.created);

    const read = await callOk(client, 'readArticle', { filename: 'rust-async-guide' });
    assert.equal(read.version, 3);
    assert.equal(read.title, 'Rust Async Handbook');
  });

  it('updateArticle rejects a stale expectedVersion', async () => {
    const message = await callError(client, 'updateArticle', {
      filename: 'rust-async-guide',
      content: 'overwritten by a stale writer',
      title: 'Stale Title',
      expectedVersion: 1,
    });
    assert.match(message, /version 3/, `message does not name the current version: ${message}`);

    const read = await callOk(client, 'readArticle', { filename: 'rust-async-guide' });
    assert.equal(read.version, 3);
    assert.equal(read.content, 'Futures are lazy.');
    assert.equal(read.title, 'Rust Async Handbook');
  });

  it('deleteArticle rejects a stale expectedVersion', async () => {
    const message = await callError(client, 'deleteArticle', { filename: 'rust-async-guide', expectedVersion: 2 });
    assert.match(message, /version 3/, `message does not name the current version: ${message}`);
    const read = await callOk(client, 'readArticle', { filename: 'rust-async-guide' });
    assert.equal(read.version, 3);
  });

  it('deleteArticle removes the article', async () => {
    const deleted = await callOk(client, 'deleteArticle', { filename: 'rust-async-guide.md', expectedVersion: 3 });
    assert.deepEqual(deleted, { success: true, filename: 'rust-async-guide.md' });

    const missing = await callError(client, 'readArticle', { filename: 'rust-async-guide' });
    assert.match(missing, /not found/);
    const list = await callOk(client, 'listArticles', {});
    assert.equal(list.total, 2);
    assert.ok(!list.articles.some((article) => article.slug === 'rust-async-guide'));

    const again = await callError(client, 'deleteArticle', { filename: 'rust-async-guide' });
    assert.match(again, /not found/);
  });

  it('read-only token cannot write', async () => {
    const reader = (await connect(environment.reader.token)).client;
    await reader.listTools();

    const readable = await callOk(reader, 'readArticle', { filename: 'release-checklist' });
    assert.equal(readable.title, 'Release Checklist');

    const createMessage = await callError(reader, 'createArticle', { title: 'Written By Reader', content: 'nope' });
    assert.match(createMessage, /createArticle/);
    const missing = await callError(client, 'readArticle', { filename: 'written-by-reader' });
    assert.match(missing, /not found/);
    const search = await callOk(client, 'searchArticles', { query: 'Written By Reader' });
    assert.deepEqual(search.articles, []);

    await callError(reader, 'updateArticle', { filename: 'release-checklist', content: 'changed by reader' });
    await callError(reader, 'deleteArticle', { filename: 'release-checklist' });
    const unchanged = await callOk(client, 'readArticle', { filename: 'release-checklist' });
    assert.equal(unchanged.version, 1);
    assert.equal(unchanged.content, '- tag\n- publish\n');
  });
});

describe('HTTP authentication and sessions', () => {
  it('rejects a session used with another token', async () => {
    const { client, transport } = await connect(environment.writer.token);
    const sessionId = transport.sessionId;
    assert.ok(sessionId);

    const hijack = await rawMcpPost(
      { Authorization: `Bearer ${environment.reader.token}`, 'Mcp-Session-Id': sessionId },
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    );
    assert.equal(hijack.status, 403, `expected 403, got ${hijack.status}: ${hijack.text}`);
    const body = parseJson(hijack.text, '403 body');
    assert.equal(typeof body.error?.code, 'number');

    // The owner's session keeps working after the rejected attempt.
    const { tools } = await client.listTools();
    assert.equal(tools.length, READ_TOOL_NAMES.length + WRITE_TOOL_NAMES.length);
  });

  it('returns 404 for a terminated session', async () => {
    const { transport } = await connect(environment.writer.token);
    const sessionId = transport.sessionId;
    assert.ok(sessionId);
    await transport.terminateSession();

    const response = await rawMcpPost(
      { Authorization: `Bearer ${environment.writer.token}`, 'Mcp-Session-Id': sessionId },
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    );
    assert.equal(response.status, 404, `expected 404, got ${response.status}: ${response.text}`);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    const body = parseJson(response.text, '404 body');
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(typeof body.error?.code, 'number', `no numeric error.code in ${response.text}`);
  });

  it('returns 401 with WWW-Authenticate without a token', async () => {
    const response = await rawMcpPost(
      {},
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
      },
    );
    assert.equal(response.status, 401, `expected 401, got ${response.status}: ${response.text}`);
    const challenge = response.headers.get('www-authenticate');
    assert.ok(challenge, '401 without a WWW-Authenticate header');
    assert.match(challenge, /^Bearer\b/);
    assert.equal(response.headers.get('mcp-session-id'), null, 'a rejected initialize must not open a session');
  });

  it('rejects an unknown token through the SDK', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(environment.server.mcpUrl), {
      requestInit: { headers: { Authorization: `Bearer sk-md-${'0'.repeat(64)}` } },
    });
    const client = new Client({ name: 'mcp-sdk-test', version: '1.0.0' });
    await assert.rejects(client.connect(transport), (error) => {
      assert.ok(error instanceof StreamableHTTPError, `unexpected error type: ${error}`);
      assert.equal(error.code, 401);
      return true;
    });
  });

  it('rejects the admin token', async () => {
    const response = await rawMcpPost(
      { Authorization: `Bearer ${environment.server.authToken}` },
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
      },
    );
    assert.equal(response.status, 403, `expected 403, got ${response.status}: ${response.text}`);
    assert.equal(response.headers.get('mcp-session-id'), null);
  });
});
