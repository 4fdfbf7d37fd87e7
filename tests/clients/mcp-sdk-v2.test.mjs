// End-to-end test of the /mcp endpoint with the TypeScript SDK v2 client
// (@modelcontextprotocol/client) in each of its version negotiation modes, against a server this
// file starts itself:
//   - 'legacy': the 2025 initialize handshake with a session (the client's default);
//   - 'auto': a server/discover probe first, then the modern protocol if the server offers it;
//   - { pin: '2026-07-28' }: the stateless 2026-07-28 protocol only, no fallback.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

import { adminRequest, startTestEnvironment } from './harness.mjs';

const READ_TOOL_NAMES = ['getFolderTree', 'listArticles', 'listFolders', 'listVersions', 'multiSearchArticles', 'multiSemanticSearch', 'readArticle', 'readVersion', 'searchArticles', 'semanticSearch'];
const WRITE_TOOL_NAMES = ['createArticle', 'deleteArticle', 'editArticle', 'moveArticle', 'renameArticle', 'restoreVersion', 'updateArticle'];
const ALL_TOOL_NAMES = [...READ_TOOL_NAMES, ...WRITE_TOOL_NAMES].sort();
const LEGACY_VERSION = '2025-11-25';
const MODERN_VERSION = '2026-07-28';

const MODES = [
  { label: 'legacy', mode: 'legacy', version: LEGACY_VERSION, era: 'legacy' },
  { label: 'auto', mode: 'auto', version: MODERN_VERSION, era: 'modern' },
  { label: 'pinned 2026-07-28', mode: { pin: MODERN_VERSION }, version: MODERN_VERSION, era: 'modern' },
];

let environment;
const openClients = [];

/** Connects a v2 client in negotiation `mode` with `token` as bearer token. `after()` closes it. */
async function connect(mode, token) {
  const transport = new StreamableHTTPClientTransport(new URL(environment.server.mcpUrl), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'mcp-sdk-v2-test', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(transport);
  openClients.push({ client, transport });
  return { client, transport };
}

/** Calls a tool that must succeed and returns its structuredContent. */
async function callOk(client, name, args) {
  const result = await client.callTool({ name, arguments: args });
  assert.notEqual(result.isError, true, `${name} returned isError: ${JSON.stringify(result.content)}`);
  assert.ok(result.structuredContent, `${name} returned no structuredContent: ${JSON.stringify(result)}`);
  return result.structuredContent;
}

before(async () => {
  environment = await startTestEnvironment();
});

after(async () => {
  // A legacy session keeps a server-sent event stream open, so ending it lets the server stop at once.
  for (const { client, transport } of openClients) {
    if (transport.sessionId) await transport.terminateSession().catch(() => {});
    await client.close().catch(() => {});
  }
  if (environment) await environment.close();
});

for (const { label, mode, version, era } of MODES) {
  describe(`TypeScript SDK v2 client, ${label} mode`, () => {
    const slug = `v2-${label.replace(/[^a-z0-9]+/g, '-')}-article`;
    const title = `V2 ${label.replace(/[^a-z0-9]+/g, ' ')} article`;
    let client;
    let transport;

    before(async () => {
      ({ client, transport } = await connect(mode, environment.writer.token));
    });

    it(`negotiates ${version}`, (t) => {
      t.diagnostic(`negotiated protocol version: ${client.getNegotiatedProtocolVersion()}, era: ${client.getProtocolEra()}, session: ${transport.sessionId ? 'yes' : 'none'}`);
      assert.equal(client.getNegotiatedProtocolVersion(), version);
      assert.equal(client.getProtocolEra(), era);
      assert.equal(client.getServerVersion()?.name, 'mcp-markdown-manager');
      if (era === 'legacy') {
        assert.ok(transport.sessionId, 'the legacy handshake returned no Mcp-Session-Id');
      } else {
        assert.equal(transport.sessionId, undefined, 'a 2026-07-28 connection must not get a session');
      }
    });

    it('lists all tools', async () => {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((tool) => tool.name).sort(), ALL_TOOL_NAMES);
      for (const tool of tools) {
        assert.equal(tool.inputSchema?.type, 'object', `${tool.name} has no object inputSchema`);
        assert.equal(tool.outputSchema?.type, 'object', `${tool.name} has no object outputSchema`);
      }
    });

    it('creates and reads an article', async () => {
      const created = await callOk(client, 'createArticle', {
        title,
        content: `# ${title}\n\nCreated by the v2 client.\n`,
        folder: 'v2/checks',
      });
      assert.equal(created.slug, slug);
      assert.equal(created.version, 1);

      const read = await callOk(client, 'readArticle', { filename: slug });
      assert.equal(read.title, title);
      assert.equal(read.content, `# ${title}\n\nCreated by the v2 client.\n`);
    });

    it('reports a missing article as a tool error', async () => {
      const result = await client.callTool({ name: 'readArticle', arguments: { filename: 'no-such-article' } });
      assert.equal(result.isError, true, JSON.stringify(result));
    });

    it('lists and reads article resources', async () => {
      const { resources } = await client.listResources();
      assert.ok(
        resources.some((resource) => resource.uri === `article://${slug}`),
        `article://${slug} missing from ${JSON.stringify(resources.map((resource) => resource.uri))}`,
      );
      const { resourceTemplates } = await client.listResourceTemplates();
      assert.deepEqual(resourceTemplates.map((template) => template.uriTemplate), ['article://{slug}']);

      const { contents } = await client.readResource({ uri: `article://${slug}` });
      assert.equal(contents.length, 1);
      assert.equal(contents[0].mimeType, 'text/markdown');
      assert.equal(contents[0].text, `# ${title}\n\nCreated by the v2 client.\n`);
    });
  });
}

describe('TypeScript SDK v2 client, other tokens', () => {
  it('read-only token lists read tools in auto mode', async () => {
    const { client } = await connect('auto', environment.reader.token);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((tool) => tool.name).sort(), [...READ_TOOL_NAMES].sort());
  });

  it('read-only token cannot call a write tool', async () => {
    const { client } = await connect({ pin: MODERN_VERSION }, environment.reader.token);
    const result = await client
      .callTool({ name: 'createArticle', arguments: { title: 'Not Allowed', content: 'x' } })
      .catch((error) => ({ thrown: error }));
    // Either a JSON-RPC error or a tool error result is acceptable, but the article must not exist.
    if (!result.thrown) assert.equal(result.isError, true, JSON.stringify(result));
    const listed = await adminRequest(environment.server, 'GET', '/api/articles/not-allowed');
    assert.equal(listed.status, 404, listed.text);
  });

  it('invalid token fails to connect with 401', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(environment.server.mcpUrl), {
      requestInit: { headers: { Authorization: 'Bearer sk-md-not-a-valid-token' } },
    });
    const client = new Client({ name: 'mcp-sdk-v2-test', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await assert.rejects(client.connect(transport), (error) => {
      assert.match(String(error?.message ?? error), /401|authentication required|Unauthorized/i);
      return true;
    });
    await client.close().catch(() => {});
  });
});
