// Raw-HTTP tests of the interoperability failures that real MCP clients, proxies and SDKs have
// hit in the field, one group per failure, against servers this file starts itself. The
// requests are built by hand (see raw-http.mjs) because each case depends on exact headers.
//
// A test marked `todo` states the required behaviour that the server does not have yet: it
// runs and reports, but does not fail the suite. Remove the mark once the server passes it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { startServer, startTestEnvironment } from './harness.mjs';
import { openStream, parseSse, rawRequest, sseMessages } from './raw-http.mjs';

const LEGACY_VERSION = '2025-11-25';
const MODERN_VERSION = '2026-07-28';
const LEGACY_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];
const BOTH = 'application/json, text/event-stream';
const BROWSER_ORIGIN = 'http://localhost:6274';
const PROXY_HOST = 'notes.example.com';
// The server sends a keep-alive comment every 15 s on idle streams (rmcp 3.11's default on
// /mcp, a constant on /sse) and has no setting for the interval, so the keep-alive tests wait
// up to this long.
const KEEP_ALIVE_WAIT_MS = 20_000;
// Session caps are raised for the shared server because these tests open many sessions.
const MANY_SESSIONS = {
  MCP_MAX_SESSIONS_PER_IP: '1000',
  MCP_MAX_SESSIONS_PER_TOKEN: '1000',
  MCP_MAX_SESSIONS_TOTAL: '1000',
};

let main;

/** Returns an `initialize` request for `protocolVersion`. */
function initializeRequest(protocolVersion = LEGACY_VERSION, id = 1) {
  return {
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'interop-test', version: '1.0.0' } },
  };
}

/** Returns the `_meta` envelope that every 2026-07-28 request carries. */
function modernMeta() {
  return {
    'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'interop-test', version: '1.0.0' },
  };
}

/**
 * POSTs one JSON-RPC message to the MCP endpoint of `environment`. `session`, `version` and
 * `accept` become the matching headers when given (pass `accept: null` to send no Accept).
 * The request fails when no complete response arrives within `timeoutMs`.
 */
function postMcp(environment, message, { token = environment.writer.token, session, version, accept = BOTH, headers = {}, path = '/mcp', contentType = 'application/json', timeoutMs } = {}) {
  const requestHeaders = { 'Content-Type': contentType };
  if (token) requestHeaders.Authorization = `Bearer ${token}`;
  if (accept !== null) requestHeaders.Accept = accept;
  if (session) requestHeaders['Mcp-Session-Id'] = session;
  if (version) requestHeaders['MCP-Protocol-Version'] = version;
  const body = typeof message === 'string' ? message : JSON.stringify(message);
  return rawRequest(`${environment.server.baseUrl}${path}`, { method: 'POST', headers: { ...requestHeaders, ...headers }, body, timeoutMs });
}

/** POSTs a 2026-07-28 request (no session) with the headers that revision requires. */
function postModern(environment, method, params = {}, { name, id = 1 } = {}) {
  const headers = { 'MCP-Protocol-Version': MODERN_VERSION, 'Mcp-Method': method };
  if (name) headers['Mcp-Name'] = name;
  return postMcp(environment, { jsonrpc: '2.0', id, method, params: { ...params, _meta: modernMeta() } }, { headers });
}

/** Returns the JSON-RPC message of a reply: the JSON body, or the last SSE message with an id. */
function replyMessage(response) {
  const type = response.headers['content-type'] ?? '';
  if (type.startsWith('text/event-stream')) {
    const messages = sseMessages(parseSse(response.text)).filter((message) => message.id !== undefined);
    assert.ok(messages.length > 0, `no JSON-RPC response in the event stream: ${response.text}`);
    return messages.at(-1);
  }
  assert.match(type, /^application\/json/, `unexpected content-type ${type}: ${response.text}`);
  return JSON.parse(response.text);
}

/** Asserts a JSON (never SSE) JSON-RPC error reply with HTTP `status` and returns the error. */
function assertJsonRpcError(response, status, code) {
  assert.equal(response.status, status, `HTTP ${response.status}: ${response.text}`);
  assert.match(response.headers['content-type'] ?? '', /^application\/json/, `content-type of ${response.text}`);
  const body = JSON.parse(response.text);
  assert.equal(body.jsonrpc, '2.0', response.text);
  assert.ok(body.error, `no JSON-RPC error in ${response.text}`);
  if (code !== undefined) assert.equal(body.error.code, code, response.text);
  return body.error;
}

/** Opens a legacy session: `initialize`, then `notifications/initialized`. Returns its id. */
async function openSession(environment, token = environment.writer.token) {
  const response = await postMcp(environment, initializeRequest(), { token });
  assert.equal(response.status, 200, response.text);
  const session = response.headers['mcp-session-id'];
  assert.ok(session, 'initialize returned no Mcp-Session-Id');
  const initialized = await postMcp(environment, { jsonrpc: '2.0', method: 'notifications/initialized' }, { token, session, version: LEGACY_VERSION });
  assert.equal(initialized.status, 202, initialized.text);
  return session;
}

/** Returns the headers of a GET on the MCP endpoint within `session`. */
function sessionGetHeaders(environment, session, extra = {}) {
  return {
    Authorization: `Bearer ${environment.writer.token}`,
    Accept: 'text/event-stream',
    'Mcp-Session-Id': session,
    'MCP-Protocol-Version': LEGACY_VERSION,
    ...extra,
  };
}

/**
 * Locks the articles table in a separate PostgreSQL session until `release()`, so that a tool
 * call that reads articles blocks inside the server for as long as a test needs.
 */
async function lockArticlesTable(databaseUrl) {
  const psql = spawn('psql', [databaseUrl, '--no-psqlrc', '-qAt', '-v', 'ON_ERROR_STOP=1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise((resolve) => psql.once('exit', resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`psql did not lock the articles table within 10 s: ${output}`)), 10_000);
    const collect = (chunk) => {
      output += chunk;
      if (output.includes('articles-locked')) {
        clearTimeout(timer);
        resolve();
      }
    };
    psql.stdout.on('data', collect);
    psql.stderr.on('data', collect);
    psql.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`failed to run psql: ${error.message}`));
    });
    psql.stdin.write("begin;\nlock table articles in access exclusive mode;\nselect 'articles-locked';\n");
  });
  return {
    async release() {
      psql.stdin.end('commit;\n');
      await exited;
    },
  };
}

/** Asserts the headers every server-sent event response must carry to pass proxies unbuffered. */
function assertSseHeaders(headers, description) {
  assert.match(headers['content-type'] ?? '', /^text\/event-stream/, `${description}: content-type`);
  assert.equal(headers['x-accel-buffering'], 'no', `${description}: X-Accel-Buffering`);
  assert.match(headers['cache-control'] ?? '', /no-cache/, `${description}: Cache-Control`);
  const encoding = headers['content-encoding'];
  assert.ok(encoding === undefined || encoding === 'identity', `${description}: compressed with ${encoding}`);
}

before(async () => {
  main = await startTestEnvironment({ env: { ...MANY_SESSIONS, MCP_ALLOWED_ORIGINS: BROWSER_ORIGIN } });
});

after(async () => {
  if (main) await main.close();
});

describe('stale session after restart', () => {
  let restart;
  // The second server on the restart environment's database. `restart.close()` stops only the
  // first one, so `after()` stops this one itself.
  let restarted;
  let stranger;

  before(async () => {
    restart = await startTestEnvironment();
    stranger = await startTestEnvironment();
  });

  after(async () => {
    if (restarted) await restarted.stop();
    if (restart) await restart.close();
    if (stranger) await stranger.close();
  });

  it('session survives a restart on the same database', async () => {
    const session = await openSession(restart);
    await restart.server.stop();
    restarted = await startServer({ binary: restart.binary, databaseUrl: restart.database.url });

    // Sessions are stored in PostgreSQL, so the restarted server restores this one. The access
    // tokens are in the database too, so the token from before the restart still works.
    const afterRestart = { ...restart, server: restarted };
    const response = await postMcp(afterRestart, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { session, version: LEGACY_VERSION });
    assert.equal(response.status, 200, response.text);
    assert.ok(replyMessage(response).result?.tools?.length > 0, response.text);
  });

  it('unknown session gets 404 JSON before any SSE', async () => {
    // A session id that another server minted is what a client still sends after a restart
    // that lost the server's state.
    const session = await openSession(main);
    const response = await postMcp(stranger, { jsonrpc: '2.0', id: 7, method: 'tools/list' }, { session, version: LEGACY_VERSION });
    const error = assertJsonRpcError(response, 404);
    assert.ok(error.message.length > 0);
    assert.ok([7, null].includes(JSON.parse(response.text).id), `id must be echoed or null: ${response.text}`);
    assert.equal(response.headers['mcp-session-id'], undefined, 'a 404 must not carry Mcp-Session-Id');
  });

  it('unknown session gets 404 JSON on GET and DELETE', async () => {
    const session = await openSession(main);
    const url = stranger.server.mcpUrl;
    const headers = sessionGetHeaders(stranger, session);
    assertJsonRpcError(await rawRequest(url, { method: 'GET', headers }), 404);
    assertJsonRpcError(await rawRequest(url, { method: 'DELETE', headers }), 404);
  });

  it('initialize after 404 gets a fresh session', async () => {
    const stale = await openSession(main);
    const rejected = await postMcp(stranger, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { session: stale, version: LEGACY_VERSION });
    assert.equal(rejected.status, 404, rejected.text);

    const fresh = await openSession(stranger);
    assert.notEqual(fresh, stale);
    const listed = await postMcp(stranger, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { session: fresh, version: LEGACY_VERSION });
    assert.equal(listed.status, 200, listed.text);
    assert.ok(replyMessage(listed).result?.tools?.length > 0, listed.text);
  });

  it('initialize with the stale header gets a fresh session', async () => {
    const stale = await openSession(main);
    const response = await postMcp(stranger, initializeRequest(), { session: stale });
    assert.equal(response.status, 200, response.text);
    const fresh = response.headers['mcp-session-id'];
    assert.ok(fresh, 'initialize returned no Mcp-Session-Id');
    assert.notEqual(fresh, stale);
  });

  it('DELETE ends a session with 200 or 204', async () => {
    const session = await openSession(main);
    const deleted = await rawRequest(main.server.mcpUrl, { method: 'DELETE', headers: sessionGetHeaders(main, session) });
    assert.ok([200, 204].includes(deleted.status), `DELETE returned ${deleted.status}: ${deleted.text}`);
  });

  it('request after DELETE gets 404 JSON', async () => {
    const session = await openSession(main);
    const deleted = await rawRequest(main.server.mcpUrl, { method: 'DELETE', headers: sessionGetHeaders(main, session) });
    assert.ok([200, 202, 204].includes(deleted.status), `DELETE returned ${deleted.status}: ${deleted.text}`);
    const response = await postMcp(main, { jsonrpc: '2.0', id: 4, method: 'tools/list' }, { session, version: LEGACY_VERSION });
    assertJsonRpcError(response, 404);
  });

  it('request without a session gets 400 JSON-RPC', async () => {
    const response = await postMcp(main, { jsonrpc: '2.0', id: 5, method: 'tools/list' }, { version: LEGACY_VERSION });
    assertJsonRpcError(response, 400);
  });
});

describe('session limits', () => {
  let limited;

  before(async () => {
    limited = await startTestEnvironment({ env: { MCP_MAX_SESSIONS_PER_TOKEN: '1', MCP_SESSION_IDLE_MS: '3000' } });
  });

  after(async () => {
    if (limited) await limited.close();
  });

  it('idle session expires with 404 JSON', async () => {
    const session = await openSession(limited, limited.writer.token);
    await sleep(4_000);
    const response = await postMcp(limited, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { token: limited.writer.token, session, version: LEGACY_VERSION });
    assertJsonRpcError(response, 404);
    assert.equal(response.headers['mcp-session-id'], undefined);
  });

  it('initialize with a 2026-07-28 header obeys the session cap', async () => {
    const token = limited.reader.token;
    const first = await postMcp(limited, initializeRequest(), { token });
    assert.equal(first.status, 200, first.text);
    const second = await postMcp(limited, initializeRequest(), { token });
    assert.equal(second.status, 429, second.text);

    const modern = await postMcp(limited, initializeRequest(MODERN_VERSION), { token, version: MODERN_VERSION });
    assert.equal(modern.headers['mcp-session-id'], undefined, `a session was created past the cap: HTTP ${modern.status} ${modern.text}`);
  });
});

describe('SSE responses pass proxies unbuffered', () => {
  const gzip = { 'Accept-Encoding': 'gzip, deflate, br' };

  it('every SSE response has the headers', async () => {
    const init = await postMcp(main, initializeRequest(), { headers: gzip });
    assertSseHeaders(init.headers, 'POST initialize');
    const session = init.headers['mcp-session-id'];
    await postMcp(main, { jsonrpc: '2.0', method: 'notifications/initialized' }, { session, version: LEGACY_VERSION });

    const call = await postMcp(main, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'listFolders', arguments: {} } }, { session, version: LEGACY_VERSION, headers: gzip });
    assertSseHeaders(call.headers, 'POST tools/call');

    const modern = await postMcp(main, { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: modernMeta() } }, { headers: { ...gzip, 'MCP-Protocol-Version': MODERN_VERSION, 'Mcp-Method': 'tools/list' } });
    assert.equal(modern.status, 200, modern.text);
    if ((modern.headers['content-type'] ?? '').startsWith('text/event-stream')) assertSseHeaders(modern.headers, 'POST 2026-07-28 tools/list');

    const standalone = await openStream(main.server.mcpUrl, { headers: sessionGetHeaders(main, session, gzip) });
    standalone.close();
    assert.equal(standalone.status, 200);
    assertSseHeaders(standalone.headers, 'GET /mcp');

    const resumed = await openStream(main.server.mcpUrl, { headers: sessionGetHeaders(main, session, { ...gzip, 'Last-Event-ID': '0/0' }) });
    resumed.close();
    assert.equal(resumed.status, 200);
    assertSseHeaders(resumed.headers, 'GET /mcp with Last-Event-ID');

    const legacy = await openStream(`${main.server.baseUrl}/sse`, { headers: { Authorization: `Bearer ${main.writer.token}`, Accept: 'text/event-stream', ...gzip } });
    legacy.close();
    assert.equal(legacy.status, 200);
    assertSseHeaders(legacy.headers, 'GET /sse');
  });

  it('priming event arrives before the tool finishes', async () => {
    const session = await openSession(main);
    const lock = await lockArticlesTable(main.database.url);
    let stream;
    try {
      stream = await openStream(main.server.mcpUrl, {
        method: 'POST',
        headers: { Authorization: `Bearer ${main.writer.token}`, 'Content-Type': 'application/json', Accept: BOTH, 'Mcp-Session-Id': session, 'MCP-Protocol-Version': LEGACY_VERSION },
        body: JSON.stringify({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'listArticles', arguments: {} } }),
      });
      assertSseHeaders(stream.headers, 'POST tools/call');
      // The tool is blocked on the table lock, so only a flushed priming event can arrive.
      const priming = await stream.waitFor((blocks) => blocks.find((block) => block.id !== undefined), 5_000, 'priming event');
      assert.ok(priming.id.length > 0);
      assert.equal(sseMessages(stream.blocks).length, 0, 'the response arrived although the tool was blocked');
    } finally {
      await lock.release();
    }
    const blocks = await stream.waitForEnd(10_000);
    const [response] = sseMessages(blocks).filter((message) => message.id === 'slow');
    assert.ok(response?.result, `no tool result after the lock was released: ${stream.text}`);
  });
});

describe('Accept header variants', () => {
  it('no Accept gets 200', async () => {
    const response = await postMcp(main, initializeRequest(), { accept: null });
    assert.equal(response.status, 200, response.text);
    assert.equal(replyMessage(response).result?.protocolVersion, LEGACY_VERSION);
  });

  it('*/* gets 200', async () => {
    const response = await postMcp(main, initializeRequest(), { accept: '*/*' });
    assert.equal(response.status, 200, response.text);
    assert.equal(replyMessage(response).result?.protocolVersion, LEGACY_VERSION);
  });

  it('application/json only gets JSON, never SSE', async () => {
    const init = await postMcp(main, initializeRequest(), { accept: 'application/json' });
    assert.equal(init.status, 200, init.text);
    assert.match(init.headers['content-type'], /^application\/json/);
    assert.equal(JSON.parse(init.text).result?.protocolVersion, LEGACY_VERSION);

    const session = init.headers['mcp-session-id'];
    await postMcp(main, { jsonrpc: '2.0', method: 'notifications/initialized' }, { session, version: LEGACY_VERSION, accept: 'application/json' });
    const call = await postMcp(main, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'listFolders', arguments: {} } }, { session, version: LEGACY_VERSION, accept: 'application/json' });
    assert.equal(call.status, 200, call.text);
    assert.match(call.headers['content-type'], /^application\/json/);
    assert.equal(JSON.parse(call.text).id, 2);
    assert.equal(JSON.parse(call.text).result?.isError, false, call.text);

    const modern = await postMcp(main, { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: modernMeta() } }, { accept: 'application/json', headers: { 'MCP-Protocol-Version': MODERN_VERSION, 'Mcp-Method': 'tools/list' } });
    assert.equal(modern.status, 200, modern.text);
    assert.match(modern.headers['content-type'], /^application\/json/);
  });

  it('text/event-stream only gets SSE', async () => {
    const response = await postMcp(main, initializeRequest(), { accept: 'text/event-stream' });
    assert.equal(response.status, 200, response.text);
    assert.match(response.headers['content-type'], /^text\/event-stream/);
    assert.equal(replyMessage(response).result?.protocolVersion, LEGACY_VERSION);
  });

  it('neither type gets 406 JSON-RPC', async () => {
    const response = await postMcp(main, initializeRequest(), { accept: 'text/html' });
    assertJsonRpcError(response, 406);
  });
});

describe('protocol version negotiation', () => {
  for (const requested of [MODERN_VERSION, '2099-01-01']) {
    it(`initialize asking ${requested} gets a supported version`, async () => {
      const response = await postMcp(main, initializeRequest(requested));
      assert.equal(response.status, 200, response.text);
      const { result } = replyMessage(response);
      assert.ok(LEGACY_VERSIONS.includes(result?.protocolVersion), `answered ${result?.protocolVersion}`);
      assert.ok(response.headers['mcp-session-id'], 'no session for a legacy initialize');
    });
  }

  it('initialize ignores the MCP-Protocol-Version header', async () => {
    const unknown = await postMcp(main, initializeRequest(), { version: '2099-01-01' });
    assert.equal(unknown.status, 200, `header 2099-01-01: HTTP ${unknown.status} ${unknown.text}`);
    const differing = await postMcp(main, initializeRequest(), { version: '2025-06-18' });
    assert.equal(differing.status, 200, `header 2025-06-18: HTTP ${differing.status} ${differing.text}`);
  });

  for (const invalid of ['1900-01-01', 'not-a-version']) {
    it(`header ${invalid} after initialize gets 400`, async () => {
      const session = await openSession(main);
      const response = await postMcp(main, { jsonrpc: '2.0', id: 2, method: 'ping' }, { session, version: invalid });
      assert.equal(response.status, 400, response.text);
    });
  }

  it('missing header after initialize gets 200', async () => {
    const session = await openSession(main);
    const response = await postMcp(main, { jsonrpc: '2.0', id: 2, method: 'ping' }, { session });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(replyMessage(response).result, {});
  });

  it('other supported header version gets 200', async () => {
    // Documented choice: a supported version that differs from the negotiated one is accepted.
    const session = await openSession(main);
    for (const version of ['2025-03-26', '2025-06-18']) {
      const response = await postMcp(main, { jsonrpc: '2.0', id: 2, method: 'ping' }, { session, version });
      assert.equal(response.status, 200, `${version}: ${response.text}`);
    }
  });
});

describe('JSON-RPC batches', () => {
  let session;

  before(async () => {
    session = await openSession(main);
  });

  it('empty batch gets 400 -32600', async () => {
    const response = await postMcp(main, '[]', { session, version: LEGACY_VERSION, timeoutMs: 5_000 });
    assertJsonRpcError(response, 400, -32600);
  });

  it('batch of pings gets 400 -32600', async () => {
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'ping' },
    ];
    const response = await postMcp(main, batch, { session, version: LEGACY_VERSION, timeoutMs: 5_000 });
    assertJsonRpcError(response, 400, -32600);
  });

  it('batch with initialize gets 400 -32600', async () => {
    const response = await postMcp(main, [initializeRequest()], { timeoutMs: 5_000 });
    assertJsonRpcError(response, 400, -32600);
    assert.equal(response.headers['mcp-session-id'], undefined);
  });
});

describe('CORS for browser clients', () => {
  const requestedHeaders = ['content-type', 'authorization', 'mcp-protocol-version', 'mcp-session-id', 'last-event-id', 'mcp-method', 'mcp-name'];

  for (const path of ['/mcp', '/sse']) {
    it(`preflight on ${path} is answered before auth`, async () => {
      const response = await rawRequest(`${main.server.baseUrl}${path}`, {
        method: 'OPTIONS',
        headers: { Origin: BROWSER_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': requestedHeaders.join(', ') },
      });
      assert.ok([200, 204].includes(response.status), `HTTP ${response.status}: ${response.text}`);
      assert.equal(response.headers['access-control-allow-origin'], BROWSER_ORIGIN);
      const allowed = (response.headers['access-control-allow-headers'] ?? '').toLowerCase().split(/\s*,\s*/);
      for (const name of [...requestedHeaders, 'accept']) assert.ok(allowed.includes(name), `Access-Control-Allow-Headers lacks ${name}: ${allowed}`);
      const methods = (response.headers['access-control-allow-methods'] ?? '').toUpperCase().split(/\s*,\s*/);
      for (const method of ['GET', 'POST', 'DELETE']) assert.ok(methods.includes(method), `Access-Control-Allow-Methods lacks ${method}: ${methods}`);
    });
  }

  it('preflight from another origin gets 403', async () => {
    const response = await rawRequest(main.server.mcpUrl, {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(response.status, 403, response.text);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });

  it('POST from the allowed origin exposes headers', async () => {
    const response = await postMcp(main, initializeRequest(), { headers: { Origin: BROWSER_ORIGIN } });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers['access-control-allow-origin'], BROWSER_ORIGIN);
    const exposed = (response.headers['access-control-expose-headers'] ?? '').toLowerCase();
    assert.match(exposed, /mcp-session-id/);
    assert.match(exposed, /www-authenticate/);
  });

  it('401 to the allowed origin carries CORS headers', async () => {
    const response = await postMcp(main, initializeRequest(), { token: null, headers: { Origin: BROWSER_ORIGIN } });
    assert.equal(response.status, 401, response.text);
    assert.equal(response.headers['access-control-allow-origin'], BROWSER_ORIGIN, 'a browser cannot read a 401 without CORS headers');
  });
});

describe('endpoint path', () => {
  for (const path of ['/mcp', '/mcp/']) {
    it(`POST ${path} gets 200, not a redirect`, async () => {
      const response = await postMcp(main, initializeRequest(), { path });
      assert.equal(response.status, 200, `HTTP ${response.status} location ${response.headers.location}: ${response.text}`);
      assert.equal(response.headers.location, undefined);
    });
  }
});

describe('401 with discovery information', () => {
  it('401 names the resource metadata', async () => {
    const response = await postMcp(main, initializeRequest(), { token: null });
    assertJsonRpcError(response, 401);
    const challenge = response.headers['www-authenticate'] ?? '';
    assert.match(challenge, /^Bearer\b/);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    assert.equal(metadataUrl, `${main.server.baseUrl}/.well-known/oauth-protected-resource/mcp`);
  });

  for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
    it(`metadata at ${path}`, async () => {
      const response = await rawRequest(`${main.server.baseUrl}${path}`, { headers: { Origin: 'http://claude.example' } });
      assert.equal(response.status, 200, response.text);
      assert.match(response.headers['content-type'], /^application\/json/);
      assert.ok(response.headers['access-control-allow-origin'], 'the metadata document must be readable cross-origin');
      const metadata = JSON.parse(response.text);
      assert.equal(metadata.resource, main.server.mcpUrl);
      assert.ok(Array.isArray(metadata.bearer_methods_supported), response.text);
      assert.ok(metadata.bearer_methods_supported.includes('header'), response.text);
    });
  }

  it('token in the query string is rejected', async () => {
    const response = await postMcp(main, initializeRequest(), { token: null, path: `/mcp?access_token=${main.writer.token}` });
    assert.ok(response.status === 400 || response.status === 401, `HTTP ${response.status}: ${response.text}`);
    assert.equal(response.headers['mcp-session-id'], undefined);
  });
});

/**
 * Waits for a `:` comment that arrives at least a second after `stream` opened, and returns
 * its delay in ms. A comment sent at once when the stream opens (the /sse stream sends one)
 * shows nothing about the interval, so it does not count.
 */
async function waitForKeepAlive(stream) {
  const idleComment = (blocks) => blocks.find((block) => block.comments.length > 0 && block.receivedAt - stream.openedAt >= 1_000);
  const comment = await stream.waitFor(idleComment, KEEP_ALIVE_WAIT_MS, 'keep-alive comment after the first second');
  return Math.round(comment.receivedAt - stream.openedAt);
}

describe('idle streams get keep-alives', { concurrency: true }, () => {
  it('GET /mcp sends a comment within 20 s', async (t) => {
    const session = await openSession(main);
    const stream = await openStream(main.server.mcpUrl, { headers: sessionGetHeaders(main, session) });
    try {
      assert.equal(stream.status, 200);
      t.diagnostic(`first keep-alive after ${await waitForKeepAlive(stream)} ms`);
    } finally {
      stream.close();
    }
  });

  it('GET /sse sends a comment within 20 s', async (t) => {
    const stream = await openStream(`${main.server.baseUrl}/sse`, { headers: { Authorization: `Bearer ${main.writer.token}`, Accept: 'text/event-stream' } });
    try {
      assert.equal(stream.status, 200);
      await stream.waitFor((blocks) => blocks.some((block) => block.event === 'endpoint'), 5_000, 'endpoint event');
      t.diagnostic(`first keep-alive after ${await waitForKeepAlive(stream)} ms`);
    } finally {
      stream.close();
    }
  });
});

describe('2026-07-28 requests', () => {
  it('server/discover lists 2026-07-28', async () => {
    const response = await postModern(main, 'server/discover');
    assert.equal(response.status, 200, response.text);
    const { result } = replyMessage(response);
    assert.ok(result?.supportedVersions?.includes(MODERN_VERSION), response.text);
    assert.equal(response.headers['mcp-session-id'], undefined, 'a 2026-07-28 reply must not mint a session');
  });

  it('tools/list needs no session', async () => {
    const response = await postModern(main, 'tools/list');
    assert.equal(response.status, 200, response.text);
    const { result } = replyMessage(response);
    assert.ok(result?.tools?.length > 0, response.text);
    assert.equal(result.resultType, 'complete');
  });

  for (const method of ['GET', 'DELETE']) {
    it(`${method} with the 2026-07-28 header gets 405`, async () => {
      const response = await rawRequest(main.server.mcpUrl, {
        method,
        headers: { Authorization: `Bearer ${main.writer.token}`, Accept: 'text/event-stream', 'MCP-Protocol-Version': MODERN_VERSION },
      });
      assert.equal(response.status, 405, response.text);
    });
  }

  it('unknown method gets 404 -32601', async () => {
    const response = await postModern(main, 'bogus/method');
    assertJsonRpcError(response, 404, -32601);
  });
});

describe('Last-Event-ID resumption', () => {
  it('unknown event id gets a defined answer', async (t) => {
    const session = await openSession(main);
    // An id that another session issued. This session never opened a stream with it.
    const otherSession = await openSession(main);
    const foreign = await postMcp(main, { jsonrpc: '2.0', id: 9, method: 'ping' }, { session: otherSession, version: LEGACY_VERSION });
    const foreignId = parseSse(foreign.text).find((block) => block.id !== undefined)?.id;
    assert.ok(foreignId, `no event id in ${foreign.text}`);

    for (const lastEventId of ['not-an-event-id', '99/99', foreignId]) {
      const stream = await openStream(main.server.mcpUrl, { headers: sessionGetHeaders(main, session, { 'Last-Event-ID': lastEventId }) });
      let blocks;
      try {
        blocks = await stream.waitForEnd(5_000);
      } finally {
        stream.close();
      }
      // Both responses are defined behaviour: a 4xx JSON-RPC error, or (rmcp 3.11) an empty
      // event stream that ends at once, so that an EventSource stops instead of retrying the id.
      if (stream.status >= 400) {
        assert.ok(stream.status < 500, `${lastEventId}: HTTP ${stream.status}`);
        assert.match(stream.headers['content-type'] ?? '', /^application\/json/, `${lastEventId}: ${stream.text}`);
        t.diagnostic(`Last-Event-ID ${lastEventId}: HTTP ${stream.status} ${stream.text}`);
      } else {
        assert.equal(stream.status, 200);
        assert.deepEqual(sseMessages(blocks), [], `${lastEventId} replayed messages: ${stream.text}`);
        t.diagnostic(`Last-Event-ID ${lastEventId}: HTTP 200 with an empty event stream that ends at once`);
      }
    }
  });

  it('event ids are not reused across sessions', { todo: 'event ids are per-session counters ("0/0", "1/0", …), the same in every session and easy to guess' }, async () => {
    const eventIds = [];
    for (const session of [await openSession(main), await openSession(main)]) {
      const response = await postMcp(main, { jsonrpc: '2.0', id: 1, method: 'ping' }, { session, version: LEGACY_VERSION });
      assert.equal(response.status, 200, response.text);
      eventIds.push(parseSse(response.text).map((block) => block.id).filter((id) => id !== undefined));
    }
    const shared = eventIds[0].filter((id) => eventIds[1].includes(id));
    assert.deepEqual(shared, [], `both sessions used the event ids ${shared}`);
  });

  it('replay sends only the requested stream', async () => {
    const session = await openSession(main);
    const postHeaders = { Authorization: `Bearer ${main.writer.token}`, 'Content-Type': 'application/json', Accept: BOTH, 'Mcp-Session-Id': session, 'MCP-Protocol-Version': LEGACY_VERSION };
    const lock = await lockArticlesTable(main.database.url);
    let resumed;
    let otherIds;
    try {
      // Stream A: a tool call that blocks on the lock. The client drops it after the priming event.
      const streamA = await openStream(main.server.mcpUrl, {
        method: 'POST',
        headers: postHeaders,
        body: JSON.stringify({ jsonrpc: '2.0', id: 'call-a', method: 'tools/call', params: { name: 'listArticles', arguments: {} } }),
      });
      const primingA = await streamA.waitFor((blocks) => blocks.find((block) => block.id !== undefined), 5_000, 'priming event of stream A');
      streamA.close();

      // Stream B completes while A is still running.
      const streamB = await postMcp(main, { jsonrpc: '2.0', id: 'call-b', method: 'ping' }, { session, version: LEGACY_VERSION });
      assert.equal(streamB.status, 200, streamB.text);
      otherIds = parseSse(streamB.text).map((block) => block.id).filter((id) => id !== undefined);

      resumed = await openStream(main.server.mcpUrl, { headers: sessionGetHeaders(main, session, { 'Last-Event-ID': primingA.id }) });
      assert.equal(resumed.status, 200, resumed.text);
    } finally {
      await lock.release();
    }

    const blocks = await resumed.waitForEnd(10_000);
    const messages = sseMessages(blocks);
    assert.ok(messages.some((message) => message.id === 'call-a' && message.result), `stream A's response was not replayed: ${resumed.text}`);
    assert.ok(!messages.some((message) => message.id === 'call-b'), `stream B's response leaked into the replay: ${resumed.text}`);
    for (const block of blocks) {
      if (block.id !== undefined) assert.ok(!otherIds.includes(block.id), `event ${block.id} of stream B was replayed`);
    }
  });
});

describe('Host and Origin validation', () => {
  let proxied;

  before(async () => {
    proxied = await startTestEnvironment({ env: { MCP_ALLOWED_HOSTS: `${PROXY_HOST},127.0.0.1,localhost` } });
  });

  after(async () => {
    if (proxied) await proxied.close();
  });

  it('unlisted Host on /mcp is rejected', async () => {
    const response = await postMcp(main, initializeRequest(), { headers: { Host: PROXY_HOST } });
    assert.ok([403, 421].includes(response.status), `HTTP ${response.status}: ${response.text}`);
    assert.equal(response.headers['mcp-session-id'], undefined);
  });

  it('unlisted Host on /sse is rejected', async () => {
    const stream = await openStream(`${main.server.baseUrl}/sse`, { headers: { Authorization: `Bearer ${main.writer.token}`, Accept: 'text/event-stream', Host: PROXY_HOST } });
    stream.close();
    assert.ok([403, 421].includes(stream.status), `HTTP ${stream.status}`);
  });

  it('listed Host is accepted', async () => {
    const response = await postMcp(proxied, initializeRequest(), { headers: { Host: PROXY_HOST } });
    assert.equal(response.status, 200, response.text);
    assert.ok(response.headers['mcp-session-id']);
  });

  it('foreign Origin gets 403 on every endpoint', async () => {
    const origin = { Origin: 'http://evil.example' };
    const post = await postMcp(main, initializeRequest(), { headers: origin });
    assertJsonRpcError(post, 403);
    assert.equal(post.headers['access-control-allow-origin'], undefined);

    const sse = await rawRequest(`${main.server.baseUrl}/sse`, { headers: { Authorization: `Bearer ${main.writer.token}`, Accept: 'text/event-stream', ...origin } });
    assert.equal(sse.status, 403, sse.text);

    const messages = await postMcp(main, { jsonrpc: '2.0', id: 1, method: 'ping' }, { path: '/messages?sessionId=unknown', headers: origin });
    assert.equal(messages.status, 403, messages.text);
  });
});

describe('malformed requests', () => {
  let session;

  before(async () => {
    session = await openSession(main);
  });

  it('malformed JSON gets 400 -32700', async () => {
    const response = await postMcp(main, '{"jsonrpc":', { session, version: LEGACY_VERSION });
    const error = assertJsonRpcError(response, 400, -32700);
    assert.ok(error.message.length > 0);
  });

  it('text/plain body gets 415', async () => {
    const response = await postMcp(main, { jsonrpc: '2.0', id: 2, method: 'ping' }, { session, version: LEGACY_VERSION, contentType: 'text/plain' });
    assert.equal(response.status, 415, response.text);
  });

  it('unknown method gets -32601', async () => {
    const response = await postMcp(main, { jsonrpc: '2.0', id: 3, method: 'bogus/method' }, { session, version: LEGACY_VERSION });
    assert.equal(response.status, 200, response.text);
    const message = replyMessage(response);
    assert.equal(message.id, 3);
    assert.equal(message.error?.code, -32601, response.text);
  });

  it('PUT gets 405', async () => {
    const response = await rawRequest(main.server.mcpUrl, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${main.writer.token}`, 'Content-Type': 'application/json', 'Mcp-Session-Id': session },
      body: '{}',
    });
    assert.equal(response.status, 405, response.text);
  });
});
