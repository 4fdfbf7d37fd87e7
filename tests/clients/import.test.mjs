// Imports a real markdown corpus that this project did not write: the README and docs files
// that `npm install` left under tests/clients/node_modules. The expected numbers are computed
// here from the copied files, so the test follows the installed package versions.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { adminRequest, startTestEnvironment } from './harness.mjs';

const CLIENTS_DIR = path.dirname(fileURLToPath(import.meta.url));
// Packages whose markdown files form the corpus. Packages that are not installed are left out,
// and the test requires at least MIN_FILES files in all.
const CORPUS_PACKAGES = ['undici', 'pino', 'zod', 'express', 'body-parser', 'qs', '@modelcontextprotocol/sdk'];
const MIN_FILES = 20;
const IMPORT_TIMEOUT_MS = 120_000;
const SUMMARY_PATTERN =
  /^(dry run, nothing written: )?scanned (\d+) files: (\d+) created, (\d+) renamed, (\d+) overwritten, (\d+) skipped, (\d+) failed$/m;

let environment;
let corpusDir;
let corpusFiles;
// { relative, text, title, folder } for every corpus file; title and folder may be undefined.
let corpusDetails;

/** Returns the paths of all `.md` files under `dir`, relative to `base`. */
async function findMarkdownFiles(dir, base) {
  const found = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch((error) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      found.push(...(await findMarkdownFiles(full, base)));
    } else if (entry.isFile() && entry.name.toLowerCase().endsWith('.md')) {
      found.push(path.relative(base, full));
    }
  }
  return found;
}

/** Returns the first `# ` heading outside fenced code blocks, as the importer reads it. */
function firstHeading(text) {
  let inFence = false;
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    const trimmed = line.trimStart();
    if (trimmed.startsWith('```') || trimmed.startsWith('~~~')) {
      inFence = !inFence;
      continue;
    }
    if (!inFence && trimmed.startsWith('# ')) {
      const heading = trimmed.slice(2).trim().replace(/#+$/, '').trim();
      if (heading !== '') return heading;
    }
  }
  return undefined;
}

/**
 * Returns the title the importer derives from a file without frontmatter: the first heading,
 * else the file name with `-` and `_` as spaces. Returns undefined for a file with frontmatter,
 * whose title this test does not predict.
 */
function predictedTitle(relative, text) {
  if (text.startsWith('---')) return undefined;
  const heading = firstHeading(text);
  if (heading !== undefined) return heading;
  return path.basename(relative, path.extname(relative)).replace(/[-_]/g, ' ');
}

/**
 * Returns a key equal for titles that get the same slug, for ASCII titles: lower case, runs of
 * other characters as one `-`. Returns undefined for non-ASCII titles, whose folding to ASCII
 * this test does not predict.
 */
function slugKey(title) {
  if (!/^[\x20-\x7e]*$/.test(title)) return undefined;
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

/**
 * Returns the corpus files whose slug no other file can take, so the first import must create
 * them, with their predicted title and folder. Returns none when some title is unpredictable,
 * because such a file could take any slug.
 */
function filesWithUniqueSlugs(files) {
  const byKey = new Map();
  for (const file of files) {
    const key = file.title === undefined ? undefined : slugKey(file.title);
    if (key === undefined) return [];
    byKey.set(key, [...(byKey.get(key) ?? []), file]);
  }
  return [...byKey.values()].filter((group) => group.length === 1).map(([file]) => file);
}

/**
 * Returns the folder that a file's directory becomes, or undefined where this test does not
 * predict it. `@scope` becomes `scope` because `@` is not allowed in folder names. Other
 * segments are predicted only when they contain nothing but letters, digits, `_`, `-` and `.`,
 * with a letter, digit or `_` at both ends.
 */
function expectedFolder(relativeDir) {
  if (relativeDir === '') return '';
  const segments = [];
  for (const segment of relativeDir.split(path.sep)) {
    const name = segment.startsWith('@') ? segment.slice(1) : segment;
    if (!/^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(name)) return undefined;
    segments.push(name);
  }
  return segments.join('/');
}

/** Runs `MDM_BINARY import <corpus> ...args` and returns its exit code, output and summary. */
function runImport(args) {
  return new Promise((resolve, reject) => {
    execFile(
      environment.binary,
      ['import', corpusDir, ...args],
      { env: { ...process.env, DATABASE_URL: environment.database.url, NO_COLOR: '1' }, timeout: IMPORT_TIMEOUT_MS },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`failed to run the import command: ${error.message}\n${stderr}`));
          return;
        }
        const match = SUMMARY_PATTERN.exec(stdout);
        const summary = match && {
          dryRun: match[1] !== undefined,
          scanned: Number(match[2]),
          created: Number(match[3]),
          renamed: Number(match[4]),
          overwritten: Number(match[5]),
          skipped: Number(match[6]),
          failed: Number(match[7]),
        };
        resolve({ code: error ? error.code : 0, stdout, stderr, summary });
      },
    );
  });
}

function describeRun(run) {
  return `exit code ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
}

/** Returns the article count that REST reports in `X-Total-Count`. */
async function totalArticles() {
  const response = await adminRequest(environment.server, 'GET', '/api/articles?limit=1');
  assert.equal(response.status, 200, response.text);
  const header = response.headers.get('x-total-count');
  assert.match(header ?? '', /^\d+$/, `X-Total-Count is ${header}`);
  return Number(header);
}

before(async () => {
  corpusDir = await mkdtemp(path.join(tmpdir(), 'mdm-import-corpus-'));
  corpusFiles = [];
  for (const name of CORPUS_PACKAGES) {
    const files = await findMarkdownFiles(path.join(CLIENTS_DIR, 'node_modules', name), CLIENTS_DIR);
    corpusFiles.push(...files);
  }
  corpusFiles.sort();
  corpusDetails = [];
  for (const relative of corpusFiles) {
    await mkdir(path.join(corpusDir, path.dirname(relative)), { recursive: true });
    await copyFile(path.join(CLIENTS_DIR, relative), path.join(corpusDir, relative));
    const text = await readFile(path.join(corpusDir, relative), 'utf8');
    corpusDetails.push({
      relative,
      text,
      title: predictedTitle(relative, text),
      folder: expectedFolder(path.dirname(relative)),
    });
  }
  environment = await startTestEnvironment();
});

after(async () => {
  if (environment) await environment.close();
  if (corpusDir) await rm(corpusDir, { recursive: true, force: true });
});

describe('import of installed package docs', () => {
  let first;

  it('corpus is large enough', () => {
    assert.ok(
      corpusFiles.length >= MIN_FILES,
      `only ${corpusFiles.length} markdown files under node_modules of ${CORPUS_PACKAGES.join(', ')}; run npm install in tests/clients`,
    );
  });

  it('first import accounts for every file', async () => {
    assert.equal(await totalArticles(), 0);
    const run = await runImport([]);
    assert.equal(run.code, 0, describeRun(run));
    assert.ok(run.summary, `no summary line in the output:\n${describeRun(run)}`);
    first = run.summary;

    assert.equal(first.dryRun, false);
    assert.equal(first.scanned, corpusFiles.length);
    assert.equal(first.overwritten, 0, 'the default policy is skip, so nothing is overwritten');
    assert.equal(first.created + first.renamed + first.skipped + first.failed, first.scanned);
    assert.equal(first.renamed, 0, 'the default policy is skip, so nothing is renamed');
    const failedLines = run.stderr.split('\n').filter((line) => line.startsWith('failed: '));
    assert.equal(failedLines.length, first.failed, `stderr lists ${failedLines.length} failures:\n${run.stderr}`);
    assert.equal(first.failed, 0, `files failed:\n${failedLines.join('\n')}`);
  });

  it('first import skips files with duplicate content', async () => {
    // Byte-identical files have the same title, so the slug of every copy after the first is
    // taken. Files with different content may share a title too, so this is a lower bound.
    const seen = new Set();
    let duplicates = 0;
    for (const { text } of corpusDetails) {
      if (seen.has(text)) duplicates += 1;
      seen.add(text);
    }
    assert.ok(duplicates > 0, 'the corpus has no duplicate files, so this check cannot fail; pick other packages');
    assert.ok(first.skipped >= duplicates, `skipped ${first.skipped}, but ${duplicates} files are copies of earlier ones`);
  });

  it('REST total equals created articles', async () => {
    assert.equal(await totalArticles(), first.created + first.renamed);
  });

  it('creates every file with a unique slug', async () => {
    const unique = filesWithUniqueSlugs(corpusDetails);
    assert.ok(unique.length >= MIN_FILES / 2, `only ${unique.length} corpus files have a predictable unique slug`);

    const response = await adminRequest(environment.server, 'GET', '/api/articles?limit=1000');
    assert.equal(response.status, 200, response.text);
    const byTitle = new Map(response.body.map((article) => [article.title, article]));
    for (const file of unique) {
      const article = byTitle.get(file.title);
      assert.ok(article, `no article titled ${JSON.stringify(file.title)} from ${file.relative}`);
      if (file.folder !== undefined) assert.equal(article.folder, file.folder, `folder of ${file.relative}`);
    }
  });

  it('finds a title from a first heading', async () => {
    const file = filesWithUniqueSlugs(corpusDetails).find((candidate) => firstHeading(candidate.text) === candidate.title);
    assert.ok(file, 'no corpus file with a unique first heading');

    const response = await adminRequest(environment.server, 'GET', `/api/articles?q=${encodeURIComponent(file.title)}`);
    assert.equal(response.status, 200, response.text);
    const match = response.body.find((article) => article.title === file.title);
    assert.ok(match, `no article titled ${JSON.stringify(file.title)} (from ${file.relative}) in ${response.text}`);

    const read = await adminRequest(environment.server, 'GET', `/api/articles/${match.slug}`);
    assert.equal(read.status, 200, read.text);
    assert.ok(read.body.content.includes(`# ${file.title}`), `content of ${match.slug} lacks its heading`);
  });

  it('folders include the copied directories', async () => {
    const response = await adminRequest(environment.server, 'GET', '/api/folders');
    assert.equal(response.status, 200, response.text);
    const folders = response.body;
    assert.ok(Array.isArray(folders), `GET /api/folders returned ${response.text}`);

    for (const folder of folders) {
      assert.ok(folder === 'node_modules' || folder.startsWith('node_modules/'), `unexpected folder ${folder}`);
      assert.ok(!folder.includes('@'), `folder ${folder} keeps an @`);
    }

    // A directory whose files were all skipped as duplicates has no folder, so only the
    // directories of files that must have been created are checked, with their parents.
    const expected = new Set();
    for (const file of filesWithUniqueSlugs(corpusDetails)) {
      if (file.folder === undefined) continue;
      const segments = file.folder.split('/');
      for (let depth = 1; depth <= segments.length; depth += 1) expected.add(segments.slice(0, depth).join('/'));
    }
    assert.ok(expected.has('node_modules/undici'), 'the corpus has no unique undici file; pick other packages');
    for (const folder of expected) {
      assert.ok(folders.includes(folder), `${folder} is missing from ${JSON.stringify(folders)}`);
    }
    if (filesWithUniqueSlugs(corpusDetails).some((file) => file.relative.startsWith('node_modules/@modelcontextprotocol/'))) {
      assert.ok(folders.includes('node_modules/modelcontextprotocol/sdk'), 'the scoped package folder is missing');
    }

    // Every imported article's folder must be one of the listed folders.
    const articles = await adminRequest(environment.server, 'GET', '/api/articles?limit=1000');
    assert.equal(articles.status, 200, articles.text);
    for (const article of articles.body) {
      assert.ok(folders.includes(article.folder), `folder ${article.folder} of ${article.slug} is not listed`);
    }
  });

  it('second import with skip creates nothing', async () => {
    const countBefore = await totalArticles();
    const run = await runImport(['--conflict', 'skip']);
    assert.equal(run.code, 0, describeRun(run));
    assert.ok(run.summary, `no summary line in the output:\n${describeRun(run)}`);
    assert.equal(run.summary.scanned, corpusFiles.length);
    assert.equal(run.summary.created, 0);
    assert.equal(run.summary.renamed, 0);
    assert.equal(run.summary.overwritten, 0);
    assert.equal(run.summary.failed, 0);
    assert.equal(run.summary.skipped, corpusFiles.length);
    assert.equal(await totalArticles(), countBefore);
  });

  it('dry run with rename writes nothing', async () => {
    const countBefore = await totalArticles();
    const run = await runImport(['--dry-run', '--conflict', 'rename']);
    assert.equal(run.code, 0, describeRun(run));
    assert.ok(run.summary, `no summary line in the output:\n${describeRun(run)}`);
    assert.equal(run.summary.dryRun, true);
    assert.equal(run.summary.scanned, corpusFiles.length);
    // Every title is taken now, so every file would be imported under a new slug.
    assert.equal(run.summary.renamed, corpusFiles.length);
    assert.equal(run.summary.created, 0);
    assert.equal(run.summary.skipped, 0);
    assert.equal(await totalArticles(), countBefore);
  });
});
