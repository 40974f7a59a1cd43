#!/usr/bin/env node
// Revokes a certificate by serial number in a certwright SQL database.
//
//   node scripts/revoke.mjs <database-url> <serial> <reason>
//
// <database-url>: as for scripts/migrate.mjs (postgres://…, mysql://…,
// mariadb://…, sqlite:<path>, a file path). <serial>: hex, with or without
// `0x` and `:` separators (as `openssl x509 -serial` prints it). <reason>: an
// RFC 5280 §5.3.1 CRLReason name (keyCompromise, superseded, …) or code
// (0–10 except 7).
//
// Only the database is changed: a running responder re-signs the serial's
// OCSP responses on its next pre-signing pass (responder.revoked() does it
// at once in-process) and the next CRL of its shard lists it.
//
// Exit codes: 0 revoked, 1 refused (unknown serial, never signed, already
// revoked, bad reason or serial) or database error, 2 usage.
//
// It runs the compiled packages (dist): build first with `pnpm build`.

const [url, serial, reason, ...rest] = process.argv.slice(2);
if (url === undefined || serial === undefined || reason === undefined || rest.length > 0) {
  console.error('usage: node scripts/revoke.mjs <database-url> <serial> <reason>');
  process.exit(2);
}

async function load(name) {
  try {
    return await import(name);
  } catch (err) {
    if (err && (err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED')) {
      console.error(`revoke: ${name} is not built; run \`pnpm build\` first`);
      process.exit(2);
    }
    throw err;
  }
}

const sql = await load('@certwright/core/sql');
const core = await load('@certwright/core');
const ocsp = await load('@certwright/ocsp');

let store;
try {
  store = await sql.openSqlStore({ url });
} catch (err) {
  console.error(`revoke: cannot open the database: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
let exitCode = 0;
try {
  const revocation = await ocsp.revokeBySerial(store, core.systemClock(), serial, reason);
  console.log(`revoked ${revocation.serial} (issuer ${revocation.issuerId}, CRL shard ${revocation.crlShard}) at ${revocation.revokedAt.toISOString()}, reason ${revocation.reason}`);
} catch (err) {
  console.error(`revoke: ${core.isCertwrightError(err) ? `${err.code}: ${err.detail}` : err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  await store.close();
}
process.exit(exitCode);
