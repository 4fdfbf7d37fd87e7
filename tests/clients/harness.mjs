// Starts a private mcp-markdown-manager server for a test file: a fresh database on the cluster
// named by DATABASE_URL, the binary named by MDM_BINARY on a free loopback port, and access
// tokens created over REST. Everything it starts is stopped and dropped by `close()`.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const HOST = '127.0.0.1';
const STARTUP_TIMEOUT_MS = 60_000;
const LOG_TAIL_LINES = 60;
// After SIGTERM the server waits for open responses. A server-sent event stream of an MCP
// session that was never deleted (the Inspector CLI leaves one) kept it running for about 30 s
// in a measurement here, so the harness sends SIGKILL after this grace period.
const SHUTDOWN_GRACE_MS = 5_000;

/** Returns the value of a required environment variable, or throws with what to set. */
export function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run with MDM_BINARY=/path/to/mcp-markdown-manager and ` +
        `DATABASE_URL=postgres://user:password@127.0.0.1:port/database (a cluster where the user may create databases)`,
    );
  }
  return value;
}

/** Returns a random string of `length` characters from [0-9a-f]. */
export function randomHex(length) {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

/** Returns `url` with its database (the last path segment) replaced by `database`. */
export function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function runPsql(url, sql) {
  const result = spawnSync('psql', [url, '--no-psqlrc', '--quiet', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    encoding: 'utf8',
  });
  if (result.error) {
    throw new Error(`failed to run psql (is the PostgreSQL client installed?): ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new Error(`psql failed with exit code ${result.status} running ${JSON.stringify(sql)}: ${result.stderr}`);
  }
}

/**
 * Creates a database named `mcp_client_test_<random>` on the cluster of `clusterUrl`.
 * Returns its URL and a `drop()` that removes it, even while connections remain.
 */
export function createDatabase(clusterUrl) {
  const name = `mcp_client_test_${randomHex(12)}`;
  runPsql(clusterUrl, `CREATE DATABASE ${name}`);
  return {
    name,
    url: withDatabase(clusterUrl, name),
    drop() {
      runPsql(clusterUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Spawns `binary serve` with the given database and a random 40-character AUTH_TOKEN, and
 * waits until `GET /health` returns 200. Extra variables in `env` override the defaults.
 */
export async function startServer({ binary, databaseUrl, env = {} }) {
  const port = await freePort();
  const authToken = randomHex(40);
  const logLines = [];
  const child = spawn(binary, ['serve'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      AUTH_TOKEN: authToken,
      PORT: String(port),
      BIND_ADDRESS: HOST,
      NO_COLOR: '1',
      // The tests make more calls per minute than the default per-token limits allow, and
      // they check behaviour, not the limiter.
      RATE_LIMIT_TOOL_CALLS_PER_WINDOW: '100000',
      RATE_LIMIT_REST_PER_WINDOW: '100000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A test process that dies early must not leave the server running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const keepLine = (chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      logLines.push(line);
      if (logLines.length > LOG_TAIL_LINES) logLines.shift();
    }
  };
  child.stdout.on('data', keepLine);
  child.stderr.on('data', keepLine);

  let exited = null;
  const exitedPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    // A binary that cannot be started emits 'error' and no 'exit'.
    child.once('error', (error) => {
      exited = { code: null, signal: null, error };
      resolve();
    });
  });

  const baseUrl = `http://${HOST}:${port}`;
  const server = {
    baseUrl,
    mcpUrl: `${baseUrl}/mcp`,
    authToken,
    port,
    logTail: () => logLines.join('\n'),
    async stop() {
      process.removeListener('exit', killOnExit);
      if (exited) return;
      child.kill('SIGTERM');
      // An unreferenced timer, so a pending grace period does not keep the test process alive.
      const gracePeriod = sleep(SHUTDOWN_GRACE_MS, true, { ref: false });
      const timedOut = await Promise.race([exitedPromise.then(() => false), gracePeriod]);
      if (timedOut) {
        child.kill('SIGKILL');
        await exitedPromise;
      }
    },
  };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited?.error) {
      throw new Error(`failed to start ${binary}: ${exited.error.message}`);
    }
    if (exited) {
      throw new Error(
        `server exited during startup (code ${exited.code}, signal ${exited.signal}); its output:\n${server.logTail()}`,
      );
    }
    try {
      const response = await fetch(`${baseUrl}/health`);
      if (response.status === 200) return server;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  await server.stop();
  throw new Error(`server did not answer GET /health within ${STARTUP_TIMEOUT_MS} ms; its output:\n${server.logTail()}`);
}

/** Creates an access token over REST with the admin token. Returns `{ id, token }`. */
export async function createAccessToken(server, name, scope) {
  const response = await fetch(`${server.baseUrl}/api/access-tokens`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${server.authToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, scope }),
  });
  const body = await response.text();
  if (response.status !== 201) {
    throw new Error(`POST /api/access-tokens (${scope}) returned ${response.status}: ${body}`);
  }
  const created = JSON.parse(body);
  if (typeof created.token !== 'string' || !created.token.startsWith('sk-md-')) {
    throw new Error(`POST /api/access-tokens returned no sk-md- token: ${body}`);
  }
  return { id: created.id, token: created.token };
}

/**
 * Creates a fresh database, starts a server on it and creates one write and one read-only
 * access token. `close()` stops the server and drops the database. Call it from `after()`.
 */
export async function startTestEnvironment({ env = {} } = {}) {
  const binary = requireEnv('MDM_BINARY');
  const clusterUrl = requireEnv('DATABASE_URL');
  const database = createDatabase(clusterUrl);
  let server;
  try {
    server = await startServer({ binary, databaseUrl: database.url, env });
    const writer = await createAccessToken(server, 'client-test-writer', 'write');
    const reader = await createAccessToken(server, 'client-test-reader', 'read-only');
    return {
      binary,
      database,
      server,
      writer,
      reader,
      async close() {
        await server.stop();
        database.drop();
      },
    };
  } catch (error) {
    if (server) await server.stop();
    database.drop();
    throw error;
  }
}

/** Sends a request to the REST API with the admin token. Returns `{ status, headers, text, body }`. */
export async function adminRequest(server, method, path, body) {
  const headers = { Authorization: `Bearer ${server.authToken}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: json };
}
