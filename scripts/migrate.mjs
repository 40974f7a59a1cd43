#!/usr/bin/env node
// Migrates a certwright SQL database to the latest schema version of this
// checkout and prints the version before and after.
//
//   node scripts/migrate.mjs <database-url>
//
// <database-url>: postgres://user@host:5432/db, mysql://… or mariadb://…,
// sqlite:<path>, a file path, or :memory:. Migrations are expand-only, so
// migrating ahead of a deployment is safe for the release still running; a
// database already at a newer version is left as it is.
//
// It runs the compiled package (packages/core/dist): build first with
// `pnpm build` (or `npx tsc -b packages/core`).

const url = process.argv[2];
if (url === undefined || url === '' || process.argv.length > 3) {
  console.error('usage: node scripts/migrate.mjs <database-url>');
  process.exit(2);
}

/** The URL without its password, for the log. */
function redact(u) {
  try {
    const parsed = new URL(u);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.protocol === 'sqlite:' ? u : parsed.toString();
  } catch {
    return u;
  }
}

let sqlModule;
try {
  sqlModule = await import('@certwright/core/sql');
} catch (err) {
  if (err && (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED')) {
    console.error('migrate: @certwright/core is not built; run `pnpm build` (or `npx tsc -b packages/core`) first');
    console.error(String(err.message ?? err));
    process.exit(2);
  }
  throw err;
}

let store;
try {
  store = await sqlModule.openSqlStore({ url });
} catch (err) {
  console.error(`migrate: cannot open ${redact(url)}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
let exitCode = 0;
try {
  console.log(`database: ${redact(url)} (${store.dialect})`);
  console.log(`schema version before: ${await store.schemaVersion()}`);
  const outcome = await store.migrate();
  for (const name of outcome.applied) console.log(`applied: ${name}`);
  if (outcome.before > sqlModule.LATEST_SCHEMA_VERSION) {
    console.log(`the database is newer than this code (latest known: ${sqlModule.LATEST_SCHEMA_VERSION}); left as it is`);
  }
  console.log(`schema version after: ${outcome.after}`);
} catch (err) {
  console.error(`migrate: ${err instanceof Error ? err.message : String(err)}`);
  if (err instanceof Error && err.cause !== undefined) console.error(err.cause);
  exitCode = 1;
} finally {
  await store.close();
}
process.exit(exitCode);
