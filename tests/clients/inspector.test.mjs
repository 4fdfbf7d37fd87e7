// End-to-end test of the /mcp endpoint with the MCP Inspector CLI (@modelcontextprotocol/inspector),
// run as a child process the way CI scripts use it, against a server this file starts itself.
//
// Inspector 2.12.0 CLI exit codes used here: 0 success, 3 authentication required, 5 the tool
// returned isError or does not exist.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { adminRequest, startTestEnvironment } from './harness.mjs';

const CLIENTS_DIR = path.dirname(fileURLToPath(import.meta.url));
const INSPECTOR_TIMEOUT_MS = 60_000;
const ALL_TOOL_NAMES = ['getFolderTree', 'listArticles', 'listFolders', 'listVersions', 'multiSearchArticles', 'readArticle', 'readVersion', 'searchArticles', 'semanticSearch', 'multiSemanticSearch', 'createArticle', 'deleteArticle', 'editArticle', 'moveArticle', 'renameArticle', 'restoreVersion', 'updateArticle'].sort();
const READ_TOOL_NAMES = ['getFolderTree', 'listArticles', 'listFolders', 'listVersions', 'multiSearchArticles', 'readArticle', 'readVersion', 'searchArticles', 'semanticSearch', 'multiSemanticSearch'].sort();

let environment;
let inspectorHome;

/**
 * Runs `npx mcp-inspector --cli <url> --transport http [auth header] ...args --format json` and
 * returns `{ code, stdout, stderr, json }`. `--no` makes npx fail instead of downloading when
 * the local install is missing.
 */
function runInspector(token, args) {
  const command = ['--no', '--', 'mcp-inspector', '--cli', environment.server.mcpUrl, '--transport', 'http'];
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
        // the test from reading or changing the user's.
        env: { ...process.env, HOME: inspectorHome, npm_config_update_notifier: 'false' },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`failed to run the Inspector CLI: ${error.message}\n${stderr}`));
          return;
        }
        // Results go to stdout and failures to stderr, each as one JSON document.
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
  const lines = text.split('\n').filter((line) => line.trim().startsWith('{'));
  for (const line of lines.reverse()) {
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
});

after(async () => {
  if (environment) await environment.close();
  if (inspectorHome) await rm(inspectorHome, { recursive: true, force: true });
});

describe('Inspector CLI', () => {
  it('tools/list shows all tools to a write token', async () => {
    const run = await runInspector(environment.writer.token, ['--method', 'tools/list']);
    assert.equal(run.code, 0, describeRun(run));
    assert.ok(run.json?.result?.tools, `no result.tools in ${run.stdout}`);
    assert.deepEqual(run.json.result.tools.map((tool) => tool.name).sort(), ALL_TOOL_NAMES);
  });

  it('tools/list shows read tools to a read-only token', async () => {
    const run = await runInspector(environment.reader.token, ['--method', 'tools/list']);
    assert.equal(run.code, 0, describeRun(run));
    assert.deepEqual(run.json.result.tools.map((tool) => tool.name).sort(), READ_TOOL_NAMES);
  });

  it('tools/list passes the strict schema check', async () => {
    const run = await runInspector(environment.writer.token, ['--method', 'tools/list', '--strict']);
    assert.equal(run.code, 0, describeRun(run));
  });

  it('readArticle returns an article created over REST', async () => {
    const created = await adminRequest(environment.server, 'POST', '/api/articles', {
      title: 'Inspector Reads This',
      content: '# Inspector Reads This\n\nWritten over REST.\n',
      folder: 'inspector/checks',
    });
    assert.equal(created.status, 201, created.text);

    const run = await runInspector(environment.reader.token, [
      '--method',
      'tools/call',
      '--tool-name',
      'readArticle',
      '--tool-arg',
      'filename=inspector-reads-this.md',
    ]);
    assert.equal(run.code, 0, describeRun(run));
    const result = run.json?.result;
    assert.equal(result?.isError, false, describeRun(run));
    assert.equal(result.structuredContent.slug, 'inspector-reads-this');
    assert.equal(result.structuredContent.title, 'Inspector Reads This');
    assert.equal(result.structuredContent.folder, 'inspector/checks');
    assert.equal(result.structuredContent.content, '# Inspector Reads This\n\nWritten over REST.\n');
    assert.equal(result.structuredContent.createdBy, 'admin');
    assert.deepEqual(JSON.parse(result.content[0].text), result.structuredContent);
  });

  it('readArticle of a missing article exits 5', async () => {
    const run = await runInspector(environment.reader.token, [
      '--method',
      'tools/call',
      '--tool-name',
      'readArticle',
      '--tool-arg',
      'filename=no-such-article',
    ]);
    assert.equal(run.code, 5, describeRun(run));
    assert.equal(run.json?.result?.isError, true, describeRun(run));
    assert.match(run.json.result.content[0].text, /not found/);
  });

  it('createArticle with a write token stores the article', async () => {
    const run = await runInspector(environment.writer.token, [
      '--method',
      'tools/call',
      '--tool-name',
      'createArticle',
      '--tool-args-json',
      JSON.stringify({ title: 'Written By Inspector', content: 'body text', folder: 'inspector' }),
    ]);
    assert.equal(run.code, 0, describeRun(run));
    assert.equal(run.json.result.structuredContent.slug, 'written-by-inspector');
    assert.equal(run.json.result.structuredContent.createdBy, 'client-test-writer');

    const read = await adminRequest(environment.server, 'GET', '/api/articles/written-by-inspector');
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.content, 'body text');
    assert.equal(read.body.folder, 'inspector');
  });

  it('createArticle with a read-only token exits 5', async () => {
    const run = await runInspector(environment.reader.token, [
      '--method',
      'tools/call',
      '--tool-name',
      'createArticle',
      '--tool-args-json',
      JSON.stringify({ title: 'Reader Via Inspector', content: 'must not be stored' }),
    ]);
    assert.equal(run.code, 5, describeRun(run));
    // The Inspector checks tools/list first, which does not list createArticle for a read-only token.
    assert.equal(run.errorJson?.error?.code, 'tool_not_found', describeRun(run));

    const read = await adminRequest(environment.server, 'GET', '/api/articles/reader-via-inspector');
    assert.equal(read.status, 404, read.text);
  });

  // --stored-auth-only stops the Inspector from starting an interactive OAuth flow, so the
  // server's own rejection is what it reports.
  it('exits 3 without an access token', async () => {
    const run = await runInspector(undefined, ['--method', 'tools/list', '--stored-auth-only']);
    assert.equal(run.code, 3, describeRun(run));
    assert.equal(run.errorJson?.error?.code, 'auth_required', describeRun(run));
    assert.match(run.errorJson.error.message, /authentication required/, describeRun(run));
  });

  it('exits 3 with the admin token', async () => {
    const run = await runInspector(environment.server.authToken, ['--method', 'tools/list', '--stored-auth-only']);
    assert.equal(run.code, 3, describeRun(run));
    assert.equal(run.errorJson?.error?.code, 'auth_required', describeRun(run));
    assert.equal(run.errorJson.error.status, 403, describeRun(run));
    assert.match(run.errorJson.error.message, /admin token cannot be used for MCP/, describeRun(run));
  });
});
