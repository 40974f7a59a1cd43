import { createVerifier, cryptoRandom, systemClock } from '@certwright/core';
import { openSqlStore } from '@certwright/core/sql';
import { loadOrCreateCa, sha256Fingerprint } from './ca-files.js';
import { ConfigError, loadConfig } from './config.js';

/**
 * `pnpm start`: prepares the standalone CA's state — configuration, the SQL
 * schema, the root and issuing CA (created on first start, loaded after) —
 * and reports it. The ACME HTTP server is not part of certwright yet; this
 * command says so instead of pretending to serve.
 */
async function main(): Promise<number> {
  const clock = systemClock();
  const config = loadConfig(process.env, process.cwd());
  const ca = await loadOrCreateCa(config, clock, cryptoRandom());
  const store = await openSqlStore({ url: config.databaseUrl }).catch(async (err: unknown) => {
    await ca.close();
    throw err;
  });
  try {
    // Readiness of the issuing key: sign a message with it and verify with the certificate's key.
    const probe = new TextEncoder().encode(`certwright key check ${clock.now().toISOString()}`);
    const signature = await ca.intermediate.signer.sign(probe);
    const keyOk = await createVerifier(ca.intermediate.spki).verify(ca.intermediate.signer.algorithm, probe, signature);
    if (!keyOk) throw new Error(`the issuing key (${ca.issuingKeyLocation}) produced a signature that does not verify with the issuing CA certificate`);
    const migration = await store.migrate();
    const version = await store.schemaVersion();
    const out = (line: string) => process.stdout.write(line + '\n');
    out('certwright standalone CA');
    out(`  data directory:      ${config.dataDir}`);
    out(`  database:            ${config.databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')} (schema version ${version}${migration.applied.length ? `, applied ${migration.applied.join(', ')}` : ''})`);
    out(`  root certificate:    ${ca.paths.rootCert}${ca.created ? ' (created now)' : ''}`);
    out(`  root SHA-256:        ${sha256Fingerprint(ca.root.certificate)}`);
    out(`  issuing CA:          ${ca.intermediate.id} (${ca.intermediate.keyType}), valid until ${ca.intermediate.notAfter.toISOString()}`);
    out(`  issuing key:         ${ca.issuingKeyLocation} (signed and verified a test message)`);
    out('');
    out('The ACME server is not implemented yet: the CA state above is ready, but nothing is listening.');
    out('Trust the root with: openssl x509 -in ' + ca.paths.rootCert + ' -noout -subject -fingerprint -sha256');
    return 0;
  } finally {
    await store.close();
    await ca.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`certwright: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
