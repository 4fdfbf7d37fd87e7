// End-to-end test of the HTTP+SSE transport of protocol 2024-11-05 at GET /sse, with the
// clients that still speak it: the TypeScript SDK v1 and v2 `SSEClientTransport` and the MCP
// Inspector CLI with `--transport sse`, against a server this file starts itself.
//
// Inspector 2.12.0 CLI exit codes used here: 0 success, 3 authentication required.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport as SSEClientTransportV1 } from '@modelcontextprotocol/sdk/client/sse.js';
import { Client as ClientV2, SSEClientTransport as SSEClientTransportV2 } from '@modelcontextprotocol/client';

import { adminRequest, startTestEnvironment } from './harness.mjs';

const CLIENTS_DIR = path.dirname(fileURLToPath(import.meta.url));
const INSPECTOR_TIMEOUT_MS = 60_000;
const ALL_TOOL_NAMES = ['createArticle', 'deleteArticle', 'editArticle', 'getFolderTree', 'listArticles', 'listFolders', 'listVersions', 'moveArticle', 'multiSearchArticles', 'multiSemanticSearch', 'readArticle', 'readVersion', 'renameArticle', 'restoreVersion', 'searchArticles', 'semanticSearch', 'updateArticle'];
const READ_TOOL_NAMES = ['getFolderTree', 'listArticles', 'listFolders', 'listVersions', 'multiSearchArticles', 'multiSemanticSearch', 'readArticle', 'readVersion', 'searchArticles', 'semanticSearch'];
const ARTICLE = {
  title: 'Legacy SSE Reads This',
  slug: 'legacy-sse-reads-this',
  folder: 'sse/checks',
  content: '# Legacy SSE Reads This\n\nWritten over REST, read over HTTP+SSE.\n',
};

let environment;
let inspectorHome;
const openClients = [];

function sseUrl() {
  return new URL(`${environment.server.baseUrl}/sse`);
}

/**
 * Connects `Client` over `Transport` to /sse with `token`. Returns `{ client, protocolVersion }`,
 * the version the client passed to its transport after `initialize`. The v1 client has no
 * getter for it. `after()` closes the client.
 */
async function connect(Client, Transport, token) {
  const transport = new Transport(sseUrl(), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const connection = { client: new Client({ name: 'legacy-sse-test', version: '1.0.0' }), protocolVersion: undefined };
  const setProtocolVersion = transport.setProtocolVersion.bind(transport);
  transport.setProtocolVersion = (version) => {
    connection.protocolVersion = version;
    setProtocolVersion(version);
  };
  await connection.client.connect(transport);
  openClients.push(connection.client);
  return connection;
}

/**
 * Runs `npx mcp-inspector --cli <url>/sse --transport sse [auth header] ...args --format json`
 * and returns `{ code, stdout, stderr, json, errorJson }`.
 */
function runInspector(token, args) {
  const command = ['--no', '--', 'mcp-inspector', '--cli', sseUrl().href, '--transport', 'sse'];
  if (token) command.push('--header', `Authorization: Bearer ${token}`);
  command.push(...args, '--format', 'json');
  return new Promise((resolve, reject) => {
    execFile(
      'npx',
      command,
      {
        cwd: CLIENTS_DIR,
        timeout: INSPECTOR_TIMEOUT_MS,
        // The Inspector stores a catalog under $HOME/.mcp-inspector, so a private HOME keeps
        // the test away from the user's.
        env: { ...process.env, HOME: inspectorHome, npm_config_update_notifier: 'false' },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`failed to run the Inspector CLI: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? error.code : 0, stdout, stderr, json: parseJsonOrUndefined(stdout), errorJson: lastJsonLine(stderr) });
      },
    );
  });
}

function parseJsonOrUndefined(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Returns the last line of `text` that parses as JSON, because stderr may also contain warnings. */
function lastJsonLine(text) {
  for (const line of text.split('\n').reverse()) {
    if (!line.trim().startsWith('{')) continue;
    const parsed = parseJsonOrUndefined(line);
    if (parsed !== undefined) return parsed;
  }
  return undefined;
}

function describeRun(run) {
  return `exit code ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
}

before(async () => {
  inspectorHome = await mkdtemp(path.join(tmpdir(), 'mcp-inspector-home-'));
  environment = await startTestEnvironment();
  const created = await adminRequest(environment.server, 'POST', '/api/articles', {
    title: ARTICLE.title,
    content: ARTICLE.content,
    folder: ARTICLE.folder,
  });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.slug, ARTICLE.slug);
});

after(async () => {
  // Closing a client ends its event stream, which would otherwise hold the server's shutdown open.
  for (const client of openClients) await client.close().catch(() => {});
  if (environment) await environment.close();
  if (inspectorHome) await rm(inspectorHome, { recursive: true, force: true });
});

for (const [label, Client, Transport] of [
  ['v1 (@modelcontextprotocol/sdk)', ClientV1, SSEClientTransportV1],
  ['v2 (@modelcontextprotocol/client)', ClientV2, SSEClientTransportV2],
]) {
  describe(`TypeScript SDK ${label} SSEClientTransport`, () => {
    let client;
    let protocolVersion;

    before(async () => {
      ({ client, protocolVersion } = await connect(Client, Transport, environment.writer.token));
    });

    it('negotiates 2025-11-25', (t) => {
      t.diagnostic(`negotiated protocol version: ${protocolVersion}`);
      assert.equal(protocolVersion, '2025-11-25');
      assert.equal(client.getServerVersion()?.name, 'mcp-markdown-manager');
    });

    it('lists all tools', async () => {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((tool) => tool.name).sort(), ALL_TOOL_NAMES);
    });

    it('calls readArticle and listFolders', async () => {
      const read = await client.callTool({ name: 'readArticle', arguments: { filename: ARTICLE.slug } });
      assert.notEqual(read.isError, true, JSON.stringify(read));
      assert.equal(read.structuredContent.content, ARTICLE.content);

      const folders = await client.callTool({ name: 'listFolders', arguments: {} });
      assert.notEqual(folders.isError, true, JSON.stringify(folders));
      assert.ok(folders.structuredContent.folders.includes(ARTICLE.folder), JSON.stringify(folders.structuredContent));
    });

    it('reads an article resource', async () => {
      const { resourceTemplates } = await client.listResourceTemplates();
      assert.deepEqual(resourceTemplates.map((template) => template.uriTemplate), ['article://{slug}']);
      const { contents } = await client.readResource({ uri: `article://${ARTICLE.slug}` });
      assert.equal(contents[0].text, ARTICLE.content);
      assert.equal(contents[0].mimeType, 'text/markdown');
    });
  });
}

describe('TypeScript SDK v1 SSEClientTransport, other tokens', () => {
  it('read-only token lists read tools only', async () => {
    const { client } = await connect(ClientV1, SSEClientTransportV1, environment.reader.token);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), READ_TOOL_NAMES);
  });

  it('invalid token fails to connect', async () => {
    const transport = new SSEClientTransportV1(sseUrl(), {
      requestInit: { headers: { Authorization: 'Bearer sk-md-not-a-valid-token' } },
    });
    const client = new ClientV1({ name: 'legacy-sse-test', version: '1.0.0' });
    await assert.rejects(client.connect(transport), (error) => {
      assert.match(String(error?.message ?? error), /401|Unauthorized|authentication/i);
      return true;
    });
    await client.close().catch(() => {});
  });
});

describe('Inspector CLI --transport sse', () => {
  it('tools/list shows all tools', async () => {
    const run = await runInspector(environment.writer.token, ['--method', 'tools/list']);
    assert.equal(run.code, 0, describeRun(run));
    assert.deepEqual(run.json?.result?.tools?.map((tool) => tool.name).sort(), ALL_TOOL_NAMES, describeRun(run));
  });

  it('tools/call readArticle returns the article', async () => {
    const run = await runInspector(environment.reader.token, ['--method', 'tools/call', '--tool-name', 'readArticle', '--tool-arg', `filename=${ARTICLE.slug}`]);
    assert.equal(run.code, 0, describeRun(run));
    assert.equal(run.json?.result?.isError, false, describeRun(run));
    assert.equal(run.json.result.structuredContent.content, ARTICLE.content);
  });

  it('resources/templates/list shows the article template', async () => {
    const run = await runInspector(environment.reader.token, ['--method', 'resources/templates/list']);
    assert.equal(run.code, 0, describeRun(run));
    assert.deepEqual(run.json?.result?.resourceTemplates?.map((template) => template.uriTemplate), ['article://{slug}'], describeRun(run));
  });

  it('resources/read returns the markdown', async () => {
    const run = await runInspector(environment.reader.token, ['--method', 'resources/read', '--uri', `article://${ARTICLE.slug}`]);
    assert.equal(run.code, 0, describeRun(run));
    assert.equal(run.json?.result?.contents?.[0]?.text, ARTICLE.content, describeRun(run));
  });

  it('no token exits with code 3', async () => {
    const run = await runInspector(undefined, ['--method', 'tools/list', '--stored-auth-only']);
    assert.equal(run.code, 3, describeRun(run));
    assert.equal(run.errorJson?.error?.code, 'auth_required', describeRun(run));
  });
});
