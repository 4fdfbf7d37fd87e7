// End-to-end test of the MCP endpoints with the official Python SDK client (PyPI `mcp`, pinned in
// python/requirements.txt), against a server this file starts itself. Each case runs
// python/mcp_client_check.py once, which connects with a bearer token, lists and calls tools,
// lists resources and reads one, and prints what it saw as one JSON object.
//
// run.sh creates the virtual environment tests/clients/.venv. MDM_PYTHON overrides the
// interpreter.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { adminRequest, startTestEnvironment } from './harness.mjs';

const CLIENTS_DIR = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.MDM_PYTHON ?? path.join(CLIENTS_DIR, '.venv', 'bin', 'python');
const CHECK_SCRIPT = path.join(CLIENTS_DIR, 'python', 'mcp_client_check.py');
const RUN_TIMEOUT_MS = 60_000;
const ALL_TOOL_NAMES = ['createArticle', 'deleteArticle', 'editArticle', 'getFolderTree', 'listArticles', 'listFolders', 'listVersions', 'moveArticle', 'multiSearchArticles', 'multiSemanticSearch', 'readArticle', 'readVersion', 'renameArticle', 'restoreVersion', 'searchArticles', 'semanticSearch', 'updateArticle'];
const ARTICLE = {
  title: 'Python Client Reads This',
  slug: 'python-client-reads-this',
  folder: 'python/checks',
  content: '# Python Client Reads This\n\nWritten over REST, read over MCP.\n',
};
const LEGACY_VERSION = '2025-11-25';
const MODERN_VERSION = '2026-07-28';

let environment;

/**
 * Runs the Python check script with `token` and returns `{ code, stdout, stderr, report }`,
 * where `report` is the parsed JSON the script printed (undefined when it failed).
 */
function runPythonClient({ transport, mode, token }) {
  const url = transport === 'sse' ? `${environment.server.baseUrl}/sse` : environment.server.mcpUrl;
  const args = [CHECK_SCRIPT, '--transport', transport, '--url', url, '--mode', mode, '--slug', ARTICLE.slug];
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      args,
      { timeout: RUN_TIMEOUT_MS, env: { ...process.env, MDM_ACCESS_TOKEN: token, PYTHONUNBUFFERED: '1' } },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`failed to run ${PYTHON} ${CHECK_SCRIPT}: ${error.message}\n${stderr}`));
          return;
        }
        let report;
        try {
          report = JSON.parse(stdout);
        } catch {
          report = undefined;
        }
        resolve({ code: error ? error.code : 0, stdout, stderr, report });
      },
    );
  });
}

function describeRun(run) {
  return `exit code ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
}

/** Checks everything the script saw that does not depend on the protocol version. */
function assertArticleStoreSeen(report) {
  assert.deepEqual([...report.tools].sort(), ALL_TOOL_NAMES);

  assert.equal(report.listFolders.isError, false, JSON.stringify(report.listFolders));
  assert.ok(report.listFolders.structuredContent.folders.includes(ARTICLE.folder), JSON.stringify(report.listFolders));

  assert.equal(report.readArticle.isError, false, JSON.stringify(report.readArticle));
  assert.equal(report.readArticle.structuredContent.slug, ARTICLE.slug);
  assert.equal(report.readArticle.structuredContent.content, ARTICLE.content);

  assert.equal(report.readMissingArticle.isError, true, JSON.stringify(report.readMissingArticle));

  assert.ok(report.resources.includes(`article://${ARTICLE.slug}`), `resources: ${JSON.stringify(report.resources)}`);
  assert.deepEqual(report.resourceTemplates, ['article://{slug}']);
  const [contents] = report.resource.contents;
  assert.equal(contents.uri, `article://${ARTICLE.slug}`);
  assert.equal(contents.mimeType, 'text/markdown');
  assert.equal(contents.text, ARTICLE.content);
}

before(async () => {
  if (!process.env.MDM_PYTHON && !existsSync(PYTHON)) {
    throw new Error(`${PYTHON} does not exist: run tests/clients/run.sh, which creates the virtual environment, or set MDM_PYTHON`);
  }
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
  if (environment) await environment.close();
});

describe('Python SDK client over Streamable HTTP', () => {
  it('legacy mode negotiates 2025-11-25', async (t) => {
    const run = await runPythonClient({ transport: 'http', mode: 'legacy', token: environment.writer.token });
    assert.equal(run.code, 0, describeRun(run));
    t.diagnostic(`negotiated protocol version: ${run.report.protocolVersion}`);
    assert.equal(run.report.protocolVersion, LEGACY_VERSION);
    assert.equal(run.report.serverName, 'mcp-markdown-manager');
    assertArticleStoreSeen(run.report);
  });

  it('auto mode negotiates 2026-07-28', async (t) => {
    const run = await runPythonClient({ transport: 'http', mode: 'auto', token: environment.writer.token });
    assert.equal(run.code, 0, describeRun(run));
    t.diagnostic(`negotiated protocol version: ${run.report.protocolVersion}`);
    // server/discover lists 2026-07-28, so the probe must select the modern protocol.
    assert.equal(run.report.protocolVersion, MODERN_VERSION);
    assert.equal(run.report.serverName, 'mcp-markdown-manager');
    assertArticleStoreSeen(run.report);
  });

  it('pinned 2026-07-28 mode works', async (t) => {
    const run = await runPythonClient({ transport: 'http', mode: MODERN_VERSION, token: environment.writer.token });
    assert.equal(run.code, 0, describeRun(run));
    t.diagnostic(`negotiated protocol version: ${run.report.protocolVersion}`);
    assert.equal(run.report.protocolVersion, MODERN_VERSION);
    assertArticleStoreSeen(run.report);
  });

  it('read-only token sees read tools only', async () => {
    const run = await runPythonClient({ transport: 'http', mode: 'legacy', token: environment.reader.token });
    assert.equal(run.code, 0, describeRun(run));
    assert.deepEqual(
      [...run.report.tools].sort(),
      ALL_TOOL_NAMES.filter((name) => !['createArticle', 'deleteArticle', 'editArticle', 'moveArticle', 'renameArticle', 'restoreVersion', 'updateArticle'].includes(name)),
    );
  });

  it('invalid token fails with the 401 message', async () => {
    const run = await runPythonClient({ transport: 'http', mode: 'legacy', token: 'sk-md-not-a-valid-token' });
    assert.notEqual(run.code, 0, describeRun(run));
    assert.match(run.stderr, /authentication required/, describeRun(run));
  });
});

describe('Python SDK client over HTTP+SSE (2024-11-05 transport)', () => {
  it('sse_client in legacy mode negotiates 2025-11-25', async (t) => {
    const run = await runPythonClient({ transport: 'sse', mode: 'legacy', token: environment.writer.token });
    assert.equal(run.code, 0, describeRun(run));
    t.diagnostic(`negotiated protocol version: ${run.report.protocolVersion}`);
    assert.equal(run.report.protocolVersion, LEGACY_VERSION);
    assertArticleStoreSeen(run.report);
  });

  it('sse_client in auto mode connects', async (t) => {
    const run = await runPythonClient({ transport: 'sse', mode: 'auto', token: environment.writer.token });
    assert.equal(run.code, 0, describeRun(run));
    // Measured with mcp 2.3.0: the server/discover probe succeeds over this transport too, so
    // the client selects 2026-07-28.
    t.diagnostic(`negotiated protocol version: ${run.report.protocolVersion}`);
    assert.ok([LEGACY_VERSION, MODERN_VERSION].includes(run.report.protocolVersion), run.report.protocolVersion);
    assertArticleStoreSeen(run.report);
  });
});
