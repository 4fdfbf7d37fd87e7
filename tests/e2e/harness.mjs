// Starts what the browser tests need: a fresh database on the cluster named by DATABASE_URL, the
// server binary named by MDM_BINARY on a free loopback port serving the UI from web/dist, and
// Debian's Chromium driven by playwright-core. `close()` stops both and drops the database.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const HOST = '127.0.0.1';
const STARTUP_TIMEOUT_MS = 60_000;
const SHUTDOWN_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 80;

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');
export const WEB_DIST = path.join(REPO_ROOT, 'web', 'dist');
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-artifacts', 'screenshots');

export const CHROMIUM = process.env.MDM_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run with MDM_BINARY=/path/to/mcp-markdown-manager and ` +
        'DATABASE_URL=postgres://user:password@127.0.0.1:port/database (a cluster where the user may create databases)',
    );
  }
  return value;
}

/** Returns a random string of `length` characters from [0-9a-f]. */
export function randomHex(length) {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

function runPsql(url, sql) {
  const result = spawnSync('psql', [url, '--no-psqlrc', '--quiet', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
  if (result.error) throw new Error(`failed to run psql (is the PostgreSQL client installed?): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`psql exited with ${result.status} running ${JSON.stringify(sql)}: ${result.stderr}`);
}

/** Creates the database `e2e_<random>` on the cluster of `clusterUrl`; `drop()` removes it. */
export function createDatabase(clusterUrl) {
  const name = `e2e_${randomHex(12)}`;
  runPsql(clusterUrl, `CREATE DATABASE ${name}`);
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => runPsql(clusterUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function freePort() {
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
 * Spawns `MDM_BINARY serve` with a random 40-character AUTH_TOKEN and MDM_WEB_DIR=web/dist, and
 * waits until GET <basePath>/health returns 200. `baseUrl` includes the base path.
 */
async function startServer(binary, databaseUrl, basePath) {
  if (!existsSync(path.join(WEB_DIST, 'index.html'))) {
    throw new Error(`${WEB_DIST}/index.html is missing: build the UI with "npm run build" in web/ (run.sh does this)`);
  }
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
      MDM_WEB_DIR: WEB_DIST,
      NO_COLOR: '1',
      ...(basePath ? { BASE_PATH: basePath } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    child.once('error', (error) => {
      exited = { code: null, signal: null, error };
      resolve();
    });
  });

  const baseUrl = `http://${HOST}:${port}${basePath}`;
  const server = {
    baseUrl,
    authToken,
    logTail: () => logLines.join('\n'),
    async stop() {
      process.removeListener('exit', killOnExit);
      if (exited) return;
      child.kill('SIGTERM');
      const timedOut = await Promise.race([exitedPromise.then(() => false), sleep(SHUTDOWN_GRACE_MS, true, { ref: false })]);
      if (timedOut) {
        child.kill('SIGKILL');
        await exitedPromise;
      }
    },
  };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited?.error) throw new Error(`failed to start ${binary}: ${exited.error.message}`);
    if (exited) throw new Error(`server exited during startup (code ${exited.code}, signal ${exited.signal}); its output:\n${server.logTail()}`);
    try {
      if ((await fetch(`${baseUrl}/health`)).status === 200) return server;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  await server.stop();
  throw new Error(`server did not answer GET /health within ${STARTUP_TIMEOUT_MS} ms; its output:\n${server.logTail()}`);
}

/**
 * Starts the database, the server and Chromium. `basePath` (e.g. "/docs") serves everything
 * under that prefix. Call `close()` from `after()`.
 */
export async function startEnvironment({ basePath = '' } = {}) {
  const binary = path.resolve(requireEnv('MDM_BINARY'));
  const database = createDatabase(requireEnv('DATABASE_URL'));
  let server;
  let browser;
  try {
    server = await startServer(binary, database.url, basePath);
    // playwright-core launches Chromium with a fresh temporary profile (user-data-dir) each time.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  } catch (error) {
    await server?.stop();
    database.drop();
    throw error;
  }
  return {
    server,
    browser,
    async close() {
      await browser.close();
      await server.stop();
      database.drop();
    },
  };
}

/**
 * Opens a browser context and page that record Content Security Policy violations (from the
 * `securitypolicyviolation` event and from console messages) and uncaught page errors.
 * `problems()` returns them; a test asserts it is empty.
 */
export async function openPage(browser, { viewport = DESKTOP, colorScheme = 'light', permissions = [] } = {}) {
  const context = await browser.newContext({ viewport, colorScheme, locale: 'en-US', timezoneId: 'UTC', permissions });
  const violations = [];
  const consoleViolations = [];
  const pageErrors = [];
  await context.exposeBinding('__reportCspViolation', (_source, text) => violations.push(text));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__reportCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}:${event.lineNumber}`);
    });
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content[- ]Security[- ]Policy/i.test(message.text())) consoleViolations.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return {
    context,
    page,
    problems: () => [...violations.map((text) => `CSP event: ${text}`), ...consoleViolations.map((text) => `CSP console: ${text}`), ...pageErrors.map((text) => `page error: ${text}`)],
  };
}

/**
 * Runs axe-core on the page and returns its serious and critical violations as readable lines.
 * The source is evaluated through the DevTools protocol: a <script> tag with inline content would
 * be blocked by the server's CSP (script-src 'self'), which is the point of the CSP check.
 */
export async function seriousA11yViolations(page) {
  const loaded = await page.evaluate(() => typeof window.axe === 'object');
  if (!loaded) await page.evaluate(axeSource);
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.impact} ${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).slice(0, 5).join(', ')})`);
}

/** Waits until `locator` matches exactly `expected` elements; the list may still show older data first. */
export async function waitForCount(locator, expected, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let count = await locator.count();
  while (count !== expected && Date.now() < deadline) {
    await sleep(100);
    count = await locator.count();
  }
  if (count !== expected) throw new Error(`expected ${expected} elements for ${locator}, found ${count} after ${timeoutMs} ms`);
}

export async function saveScreenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Signs in through the form and waits for the article list. */
export async function signIn(page, baseUrl, token, route = '/') {
  await page.goto(`${baseUrl}${route}`);
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Attached, not visible: on a phone the navigation is folded behind the menu button.
  await page.getByRole('navigation', { name: 'Main', includeHidden: true }).waitFor({ state: 'attached' });
}

/** Sends a REST request with the admin token; returns `{ status, body }`. */
export async function adminRequest(server, method, route, body) {
  const response = await fetch(`${server.baseUrl}${route}`, {
    method,
    headers: { Authorization: `Bearer ${server.authToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}
