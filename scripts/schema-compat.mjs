#!/usr/bin/env node
// Schema compatibility check for blue/green upgrades and rollbacks: the code
// of the previous schema version must still work on a database migrated to
// the latest schema (migrations are expand-only; see
// packages/core/src/sql/migrations/index.ts).
//
//   node scripts/schema-compat.mjs
//
// How: we tag the last commit of each schema version `schema-v<N>` (before
// merging the change that adds migration N+1, tag its parent `schema-v<N>`).
// With the latest version N > 1, this script
//   1. checks out tag schema-v<N-1> in a temporary `git worktree` and installs
//      it (`pnpm install --frozen-lockfile --offline`, online as a fallback);
//   2. builds the current code and migrates a fresh SQLite file to the latest
//      version with it (scripts/migrate.mjs);
//   3. runs the OLD checkout's SQLite store contract tests against that file
//      (CERTWRIGHT_SCHEMA_PREMIGRATED=1, CERTWRIGHT_TEST_SQLITE_FILE=<file>)
//      and exits with their status.
// CI must fetch tags (e.g. `git fetch --tags`, or checkout with fetch-depth 0).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const migrationsDir = join(root, 'packages/core/src/sql/migrations');
const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.ts$/;

const versions = readdirSync(migrationsDir)
  .map((f) => MIGRATION_FILE.exec(f))
  .filter((m) => m !== null)
  .map((m) => Number(m[1]));
const latest = Math.max(0, ...versions);
if (latest === 0) {
  console.error(`schema compatibility: no migrations found in ${migrationsDir}`);
  process.exit(1);
}
if (latest === 1) {
  console.log('schema compatibility: only schema version 1 exists; nothing older to check');
  process.exit(0);
}

const tag = `schema-v${latest - 1}`;
/** Runs a command, echoing it; returns its exit status. */
function run(cmd, args, options = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}${options.cwd ? `   (in ${options.cwd})` : ''}`);
  const result = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

try {
  execFileSync('git', ['rev-parse', '-q', '--verify', `refs/tags/${tag}`], { cwd: root, stdio: 'pipe' });
} catch {
  console.error(`schema compatibility: tag ${tag} not found. Tag the last commit of schema version ${latest - 1} as ${tag} (and fetch tags in CI).`);
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'certwright-schema-compat-'));
const old = join(work, tag);
const dbFile = join(work, 'latest.db');
let status;
try {
  if (run('git', ['worktree', 'add', '--detach', old, tag], { cwd: root }) !== 0) throw new Error(`git worktree add ${tag} failed`);
  // Offline from the local store first; `--pm-on-fail=ignore` where the pinned pnpm
  // version cannot be resolved offline; online as the last resort.
  const installs = [
    ['install', '--frozen-lockfile', '--offline'],
    ['install', '--frozen-lockfile', '--offline', '--pm-on-fail=ignore'],
    ['install', '--frozen-lockfile'],
  ];
  if (!installs.some((args) => run('pnpm', args, { cwd: old }) === 0)) throw new Error(`pnpm install of ${tag} failed`);
  if (run('npx', ['tsc', '-b', 'packages/core'], { cwd: root }) !== 0) throw new Error('building the current packages/core failed');
  if (run(process.execPath, [join(root, 'scripts/migrate.mjs'), `sqlite:${dbFile}`], { cwd: root }) !== 0) {
    throw new Error('migrating a fresh SQLite file with the current code failed');
  }
  console.log(`schema compatibility: running the ${tag} SQLite store tests on a schema-v${latest} database`);
  status = run('npx', ['vitest', 'run', 'packages/core/test/store/sqlite.test.ts'], {
    cwd: old,
    env: { ...process.env, CERTWRIGHT_SCHEMA_PREMIGRATED: '1', CERTWRIGHT_TEST_SQLITE_FILE: dbFile },
  });
  console.log(status === 0 ? `schema compatibility: ${tag} code works on schema version ${latest}` : `schema compatibility: FAILED (${tag} code on schema version ${latest})`);
} catch (err) {
  console.error(`schema compatibility: ${err instanceof Error ? err.message : String(err)}`);
  status = 1;
} finally {
  spawnSync('git', ['worktree', 'remove', '--force', old], { cwd: root, stdio: 'inherit' });
  rmSync(work, { recursive: true, force: true });
}
process.exit(status);
