#!/usr/bin/env node
// Schema compatibility check for blue/green upgrades and rollbacks: the code
// of the previous schema version must still work on a database migrated to
// the latest schema (migrations are expand-only; see
// packages/core/src/sql/migrations/index.ts).
//
//   node scripts/schema-compat.mjs
//
// Which code is "the previous version" is recorded in a committed file,
// packages/core/src/sql/migrations/compat.json: `{ "<version>": "<commit>" }`
// maps each older schema version to the last commit whose code used it (when
// you add migration N+1, record `git rev-parse HEAD` of the tree before it as
// version N). With the latest version N > 1, this script
//   1. checks out compat[N-1] in a temporary `git worktree` (the clone needs
//      that commit: full history, e.g. checkout with fetch-depth 0; should the
//      commit be missing because history was rewritten, it warns and uses the
//      parent of the oldest commit that added migration N) and installs it (`pnpm install --frozen-lockfile --offline`, online as a
//      fallback);
//   2. migrates a fresh SQLite file to version N with the CURRENT code
//      (scripts/migrate.mjs over packages/core/dist, rebuilt incrementally
//      here; CI has built it already);
//   3. runs the OLD checkout's SQLite store contract tests against that file
//      (CERTWRIGHT_SCHEMA_PREMIGRATED=1, CERTWRIGHT_TEST_SQLITE_FILE=<file>),
//      prints one summary line and exits with their status.
// The worktree and the temporary files are removed whatever happens.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const migrationsDir = join(root, 'packages/core/src/sql/migrations');
const compatFile = join(migrationsDir, 'compat.json');
const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.ts$/;
const COMMIT = /^[0-9a-f]{40}$/;
const TESTS = 'packages/core/test/store/sqlite.test.ts';

/** Prints the summary line (always prefixed the same way, so CI logs are easy to grep) and exits. */
function finish(status, message) {
  (status === 0 ? console.log : console.error)(`schema compatibility: ${message}`);
  process.exit(status);
}

const versions = readdirSync(migrationsDir)
  .map((f) => MIGRATION_FILE.exec(f))
  .filter((m) => m !== null)
  .map((m) => Number(m[1]));
const latest = Math.max(0, ...versions);
if (latest === 0) finish(1, `FAILED: no migrations found in ${migrationsDir}`);
if (latest === 1) finish(0, 'only schema version 1 exists; nothing older to check');

const previous = latest - 1;
let compat;
try {
  compat = JSON.parse(readFileSync(compatFile, 'utf8'));
} catch (err) {
  finish(1, `FAILED: cannot read ${compatFile}: ${err instanceof Error ? err.message : String(err)}`);
}
const recorded = compat?.[String(previous)];
if (typeof recorded !== 'string' || !COMMIT.test(recorded)) {
  finish(1, `FAILED: ${compatFile} must map "${previous}" to the 40-hex commit whose code last used schema version ${previous}`);
}

/** Output of a git command, or undefined when it fails. */
function git(args) {
  try {
    return execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/**
 * The commit to check out: the recorded one; if this clone lacks it (history
 * rewritten when the change was submitted), the parent of the oldest commit
 * that added migration `latest`, which is the last commit of schema version
 * `previous` in this history.
 */
function previousCommit() {
  if (git(['cat-file', '-e', `${recorded}^{commit}`]) !== undefined) return recorded;
  const file = readdirSync(migrationsDir).find((f) => MIGRATION_FILE.exec(f)?.[1] === String(latest).padStart(4, '0'));
  const adding = git(['log', '--diff-filter=A', '--format=%H', '--', `packages/core/src/sql/migrations/${file}`])?.split('\n').filter(Boolean).pop();
  const parent = adding === undefined ? undefined : git(['rev-parse', '--verify', '-q', `${adding}^`]);
  if (parent === undefined || !COMMIT.test(parent)) {
    finish(1, `FAILED: commit ${recorded} (schema version ${previous} in compat.json) is not in this clone, nor is the history of ${file}; fetch the full history (e.g. fetch-depth 0)`);
  }
  console.warn(
    `schema compatibility: WARNING: commit ${recorded} (compat.json "${previous}") is not in this clone; using ${parent}, the parent of ${adding.slice(0, 12)} which added ${file}. Update compat.json.`,
  );
  return parent;
}
const commit = previousCommit();

/** Runs a command, echoing it; returns its exit status. */
function run(cmd, args, options = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}${options.cwd ? `   (in ${options.cwd})` : ''}`);
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** "N passed, M failed" from a vitest JSON report, or undefined when there is none. */
function counts(reportFile) {
  try {
    const r = JSON.parse(readFileSync(reportFile, 'utf8'));
    return `${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + (r.numTodoTests ?? 0)} skipped`;
  } catch {
    return undefined;
  }
}

const short = commit.slice(0, 12);
const work = mkdtempSync(join(tmpdir(), 'certwright-schema-compat-'));
const old = join(work, `schema-v${previous}`);
const dbFile = join(work, `schema-v${latest}.db`);
const report = join(work, 'vitest.json');
let status;
let summary;
try {
  if (run('git', ['worktree', 'add', '--detach', old, commit], { cwd: root }) !== 0) throw new Error(`git worktree add ${short} failed`);
  // Offline from the local store first; `--pm-on-fail=ignore` where the pinned pnpm
  // version cannot be resolved offline; online as the last resort.
  const installs = [
    ['install', '--frozen-lockfile', '--offline'],
    ['install', '--frozen-lockfile', '--offline', '--pm-on-fail=ignore'],
    ['install', '--frozen-lockfile'],
  ];
  if (!installs.some((args) => run('pnpm', args, { cwd: old }) === 0)) throw new Error(`pnpm install of ${short} failed`);
  if (run('npx', ['tsc', '-b', 'packages/core'], { cwd: root }) !== 0) throw new Error('building the current packages/core failed');
  if (run(process.execPath, [join(root, 'scripts/migrate.mjs'), `sqlite:${dbFile}`], { cwd: root }) !== 0) {
    throw new Error(`migrating a fresh SQLite file to schema version ${latest} with the current code failed`);
  }
  if (!existsSync(dbFile)) throw new Error(`the migration left no database at ${dbFile}`);
  console.log(`schema compatibility: running the SQLite store tests of ${short} (schema version ${previous}) on a schema version ${latest} database`);
  status = run('npx', ['vitest', 'run', TESTS, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`], {
    cwd: old,
    env: { ...process.env, CERTWRIGHT_SCHEMA_PREMIGRATED: '1', CERTWRIGHT_TEST_SQLITE_FILE: dbFile },
  });
  const tally = counts(report) ?? 'no test report';
  summary =
    status === 0
      ? `PASSED: the code of schema version ${previous} (${short}) works on schema version ${latest} (${TESTS}: ${tally})`
      : `FAILED: the code of schema version ${previous} (${short}) on schema version ${latest} (${TESTS}: ${tally})`;
} catch (err) {
  status = 1;
  summary = `FAILED: ${err instanceof Error ? err.message : String(err)}`;
} finally {
  if (existsSync(old)) spawnSync('git', ['worktree', 'remove', '--force', old], { cwd: root, stdio: 'inherit' });
  spawnSync('git', ['worktree', 'prune'], { cwd: root, stdio: 'inherit' });
  rmSync(work, { recursive: true, force: true });
}
finish(status, summary);
