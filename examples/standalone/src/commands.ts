/**
 * The administrative commands of the `certwright` CLI: `init`, `migrate`,
 * `eab create`, `revoke`, `status`. Each opens what it needs, reports in
 * plain words and returns the exit code.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { base64url, cryptoRandom, randomId, silentLogger, type CertKeyType, type Clock } from '@certwright/core';
import { LATEST_SCHEMA_VERSION, openSqlStore, type SqlStore } from '@certwright/core/sql';
import { REVOCATION_REASONS, revokeBySerial } from '@certwright/ocsp';
import { drawArgumentSafe, drawArgumentSafeBytes } from './argument-safe.js';
import { CaExistsError, caParts, loadOrCreateCa, sha256Fingerprint } from './ca-files.js';
import { redactUrl, type StandaloneConfig } from './config.js';
import { addIssuer, issuerDir, writeIssuerStatus } from './issuer-files.js';
import { openRuntime, refuseDatabaseOfAnotherCa, unreachableDatabase } from './runtime.js';
import { acquireServerLock, liveServerPid } from './server-lock.js';

/** Where commands write: `out` for results, `err` for problems. */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Runs `run` on the store, each statement bound by the configured database
 * timeout; `unbounded` (migrations, which may build an index on a large
 * table) waits as long as the database takes.
 */
async function withStore<T>(config: StandaloneConfig, run: (store: SqlStore) => Promise<T>, unbounded = false): Promise<T> {
  if (!existsSync(config.dataDir)) {
    throw new Error(`the data directory ${config.dataDir} does not exist: run \`certwright init\` first, or set CERTWRIGHT_DATA_DIR to an existing CA's directory`);
  }
  const store = await openSqlStore({ url: config.databaseUrl, timeoutMs: unbounded ? 0 : config.databaseTimeoutMs }).catch((err: unknown) => {
    throw unreachableDatabase(config.databaseUrl, err);
  });
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

/** Opens the store and refuses a schema older than this program's: run `certwright migrate` first. */
async function withCurrentStore<T>(config: StandaloneConfig, run: (store: SqlStore) => Promise<T>): Promise<T> {
  return withStore(config, async (store) => {
    const version = await store.schemaVersion();
    if (version < LATEST_SCHEMA_VERSION) {
      throw new Error(`the database ${redactUrl(config.databaseUrl)} is at schema version ${version}, this program needs ${LATEST_SCHEMA_VERSION}: run \`certwright migrate\` first`);
    }
    return run(store);
  });
}

/** `init`: creates the root and issuing CA (file or HSM key) and migrates the database; refuses a data directory that already holds a CA. */
export async function runInit(config: StandaloneConfig, io: CommandIo, clock: Clock): Promise<number> {
  if (caParts(config).present.length > 0) throw new CaExistsError(config.dataDir);
  // The database first: a CA is created only once it is reached, migrated and known to belong to no other CA.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const migration = await withStore(
    config,
    async (store) => {
      const outcome = await store.migrate();
      await refuseDatabaseOfAnotherCa(store, config);
      return outcome;
    },
    true,
  );
  const ca = await loadOrCreateCa(config, clock, cryptoRandom(), 'create');
  try {
    io.out(`Created a new CA in ${config.dataDir}:`);
    io.out(`  root certificate:  ${ca.paths.rootCert}`);
    io.out(`  root SHA-256:      ${sha256Fingerprint(ca.root.certificate)}`);
    io.out(`  root key:          ${ca.paths.rootKey} (mode 0600; move it offline once set up if you can)`);
    io.out(`  issuing CA:        ${ca.paths.intermediateChain} (${ca.intermediate.id}, ${ca.intermediate.keyType}, valid until ${ca.intermediate.notAfter.toISOString()})`);
    io.out(`  issuing key:       ${ca.issuingKeyLocation}`);
    io.out(`  database:          ${redactUrl(config.databaseUrl)} (schema version ${migration.after})`);
    io.out('Next: distribute the root certificate to relying parties, then run `certwright serve`.');
    return 0;
  } finally {
    await ca.close();
  }
}

/** `migrate`: applies pending migrations and prints the versions. */
export async function runMigrate(config: StandaloneConfig, io: CommandIo): Promise<number> {
  const outcome = await withStore(config, (store) => store.migrate(), true);
  if (outcome.applied.length === 0) io.out(`The database ${redactUrl(config.databaseUrl)} is up to date (schema version ${outcome.after}).`);
  else io.out(`Migrated ${redactUrl(config.databaseUrl)} from schema version ${outcome.before} to ${outcome.after} (applied ${outcome.applied.join(', ')}).`);
  return 0;
}

/** `eab create`: stores a new External Account Binding key (RFC 8555 §7.3.4) and prints it once. */
export async function runEabCreate(config: StandaloneConfig, io: CommandIo, clock: Clock, label: string | undefined): Promise<number> {
  const random = cryptoRandom();
  const keyId = drawArgumentSafe(() => randomId(random));
  const hmacKey = drawArgumentSafeBytes(() => random.bytes(32));
  await withCurrentStore(config, (store) => store.createEabKey({ keyId, hmacKey, createdAt: clock.now(), ...(label === undefined ? {} : { label }) }));
  io.out(`Created an External Account Binding key${label === undefined ? '' : ` labelled ${JSON.stringify(label)}`}.`);
  io.out(`  key id:    ${keyId}`);
  io.out(`  HMAC key:  ${base64url(hmacKey)}`);
  io.out('The HMAC key is shown only now: give both values to the ACME client (e.g. certbot --eab-kid … --eab-hmac-key …). It binds one account.');
  return 0;
}

/**
 * `revoke <serial>`: administrative revocation in the store (RFC 5280
 * §5.3.1 reasons). A running server re-signs the certificate's OCSP
 * responses at its next pre-signing pass (every minute) and lists it in
 * the CRL at its next regeneration (every hour).
 */
export async function runRevoke(config: StandaloneConfig, io: CommandIo, clock: Clock, serial: string, reason: string): Promise<number> {
  const revocation = await withCurrentStore(config, (store) => revokeBySerial(store, clock, serial, reason));
  const reasonName = Object.entries(REVOCATION_REASONS).find(([, code]) => code === revocation.reason)?.[0] ?? String(revocation.reason);
  io.out(`Revoked certificate ${revocation.serial} (issuer ${revocation.issuerId}) at ${revocation.revokedAt.toISOString()}, reason ${reasonName}.`);
  io.out('A running server answers OCSP with "revoked" within a minute and lists the certificate in its next CRL (within an hour).');
  return 0;
}

/** `status`: the CA certificates and their validity, certificate counts, schema version. */
export async function runStatus(config: StandaloneConfig, io: CommandIo, clock: Clock): Promise<number> {
  const ca = await loadOrCreateCa(config, clock, cryptoRandom(), 'load');
  try {
    const now = clock.now();
    const validity = (notBefore: Date, notAfter: Date): string =>
      `valid ${notBefore.toISOString()} to ${notAfter.toISOString()}${notAfter < now ? ' (EXPIRED)' : ` (${Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000)} days left)`}`;
    io.out(`CA in ${config.dataDir}`);
    io.out(`  root:        ${ca.paths.rootCert}, SHA-256 ${sha256Fingerprint(ca.root.certificate)}, ${validity(ca.root.notBefore, ca.root.notAfter)}`);
    for (const issuer of ca.issuers) {
      io.out(`  issuing CA:  ${issuer.id} (${issuer.keyType}, ${issuer.status}), ${validity(issuer.notBefore, issuer.notAfter)}`);
      io.out(`  issuing key: ${ca.keyLocations.get(issuer.id)!}`);
    }
    await withStore(config, async (store) => {
      const version = await store.schemaVersion();
      io.out(`  database:    ${redactUrl(config.databaseUrl)}, schema version ${version}${version < LATEST_SCHEMA_VERSION ? ` (behind ${LATEST_SCHEMA_VERSION}: run \`certwright migrate\`)` : ''}`);
      if (version < LATEST_SCHEMA_VERSION) return;
      const counts = await store.db
        .selectFrom('certificates')
        .select((eb) => [eb.fn.countAll<number | string | bigint>().as('total'), eb.fn.count<number | string | bigint>('revoked_at').as('revoked')])
        .where('state', '=', 'issued')
        .executeTakeFirstOrThrow();
      const eab = await store.listEabKeys();
      io.out(`  certificates: ${Number(counts.total)} issued, ${Number(counts.revoked)} of them revoked`);
      io.out(`  EAB keys:    ${eab.length} (${eab.filter((k) => k.boundAccountId !== undefined).length} bound to an account)`);
    });
    return 0;
  } finally {
    await ca.close();
  }
}

/** The key types `issuer add --key-type` accepts. */
export const ISSUER_KEY_TYPES: readonly CertKeyType[] = ['P-256', 'P-384', 'RSA-2048', 'RSA-3072', 'RSA-4096'];

/**
 * `issuer add`: key rollover. Creates a new issuing CA signed by the root
 * under `issuers/<id>/` — its key in software (`key.pem`), or with an HSM
 * configured generated on the token under the label
 * `<hsm key label>-<key type>-<UTC time to the second>` (named in
 * `issuers/<id>/hsm-key`, the certificate stored beside the key) — makes it
 * the active issuer of its key type and retires the one it replaces, which
 * keeps signing OCSP responses and CRLs for the certificates it issued
 * (RFC 6960 §2.2, RFC 5280 §5). A running server picks the change up at its
 * next start.
 */
export async function runIssuerAdd(config: StandaloneConfig, io: CommandIo, clock: Clock, keyType: CertKeyType): Promise<number> {
  const ca = await loadOrCreateCa(config, clock, cryptoRandom(), 'load');
  try {
    const now = clock.now();
    const rootDaysLeft = Math.floor((ca.root.notAfter.getTime() - now.getTime()) / 86_400_000) - 1;
    if (rootDaysLeft < 1) throw new Error(`the root expires on ${ca.root.notAfter.toISOString()}; a new issuing CA needs a new root (a new data directory)`);
    // The key type and the second keep the names of issuing CAs apart (RFC 5280 §4.1.2.6), also when
    // `issuer add` runs twice in a minute (a P-256 and a P-384 successor).
    const stamp = now.toISOString().slice(0, 19).replace(/[-:T]/g, '');
    const token = ca.tokenKeys === undefined ? undefined : { keys: ca.tokenKeys, label: `${ca.tokenKeys.config.keyLabel}-${keyType}-${stamp}` };
    const added = await addIssuer({
      dataDir: config.dataDir,
      ...(token === undefined ? {} : { token }),
      root: ca.root,
      subject: { organization: config.ca.organization, commonName: `${config.ca.intermediateCommonName} ${keyType} ${stamp}` },
      takenSubjects: [ca.root, ...ca.issuers].map((issuer) => issuer.subjectDer),
      keyType,
      validityDays: Math.min(config.ca.intermediateValidityDays, rootDaysLeft),
      clock,
      random: cryptoRandom(),
    });
    const replaced = ca.issuers.find((issuer) => issuer.status === 'active' && issuer.keyType === keyType);
    if (replaced !== undefined) writeIssuerStatus(config.dataDir, replaced.id, 'retired');
    io.out(`Added issuing CA ${added.id} (${added.keyType}, valid until ${added.notAfter.toISOString()}) in ${issuerDir(config.dataDir, added.id)}; it is active.`);
    if (token !== undefined) io.out(`Its key is on PKCS#11 token "${token.keys.config.tokenLabel}" with the label "${token.label}" (non-extractable, sign-only), its certificate stored beside it: back the token up.`);
    if (replaced !== undefined) io.out(`Retired issuing CA ${replaced.id}: it issues nothing new, but keeps signing OCSP responses and CRLs for its certificates.`);
    io.out('Restart the server (`certwright serve`) to issue with the new CA.');
    return 0;
  } finally {
    await ca.close();
  }
}

/** `issuer retire <id>`: stops an issuing CA from issuing; refuses to retire the last active one. */
export async function runIssuerRetire(config: StandaloneConfig, io: CommandIo, clock: Clock, id: string): Promise<number> {
  const ca = await loadOrCreateCa(config, clock, cryptoRandom(), 'load');
  try {
    const issuer = ca.issuers.find((i) => i.id === id);
    if (issuer === undefined) throw new Error(`no issuing CA ${JSON.stringify(id)}; the issuing CAs are ${ca.issuers.map((i) => `${i.id} (${i.status})`).join(', ')}`);
    if (issuer.status === 'retired') throw new Error(`issuing CA ${id} is already retired`);
    if (!ca.issuers.some((i) => i.id !== id && i.status === 'active')) {
      throw new Error(`issuing CA ${id} is the last active one; add its successor first with \`certwright issuer add\` (which retires it)`);
    }
    writeIssuerStatus(config.dataDir, id, 'retired');
    io.out(`Retired issuing CA ${id}: it issues nothing new, but keeps signing OCSP responses and CRLs for its certificates. Restart the server to apply.`);
    return 0;
  } finally {
    await ca.close();
  }
}

/**
 * `crl publish`: generates the CRL of every shard of every issuing CA
 * (active and retired) now and writes them to `<data dir>/crls/`. Refused
 * while a server runs on the data directory: it publishes CRLs itself, and
 * CRL numbers are allocated by one process only.
 */
export async function runCrlPublish(config: StandaloneConfig, io: CommandIo, clock: Clock): Promise<number> {
  const pid = liveServerPid(config.dataDir);
  if (pid !== undefined) throw new Error(`the server (pid ${pid}) publishes CRLs for this data directory itself (hourly and after each ACME revocation); stop it to publish from the command line`);
  const release = acquireServerLock(config.dataDir);
  try {
    const runtime = await openRuntime(config, { clock, random: cryptoRandom(), logger: silentLogger, caMode: 'load' });
    try {
      for (const crl of await runtime.crls.generateAll()) {
        io.out(`CRL of ${crl.issuerId} shard ${crl.shard}: number ${crl.number}, ${crl.entries} entries, next update ${crl.nextUpdate.toISOString()} -> ${join(config.dataDir, 'crls', crl.issuerId, `${crl.shard}.crl`)}${crl.url === undefined ? '' : ` (served at ${crl.url})`}`);
      }
    } finally {
      await runtime.close();
    }
    return 0;
  } finally {
    release();
  }
}
