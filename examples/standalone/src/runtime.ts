/**
 * The CA's moving parts, opened from the configuration: the CA files (or
 * token), the SQL store, the issuers, the profiles pointing at the status
 * listener, the issuance engine (with CT when configured), and the OCSP
 * responder with its CRL publisher. Shared by `serve` and the admin commands.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CertwrightError,
  IssuerSet,
  createIssuanceEngine,
  createIssuer,
  defaultProfiles,
  defineProfile,
  type Clock,
  type Issuer,
  type Logger,
  type Profile,
  type Random,
  type Signer,
  type WriteAheadIssuanceEngine,
} from '@certwright/core';
import { openSqlStore, type SqlStore } from '@certwright/core/sql';
import { createSctCollector, type CtSubmitter } from '@certwright/ct';
import { createCrlPublisher, createOcspResponder, type CrlPublisher, type OcspResponder } from '@certwright/ocsp';
import { caParts, loadOrCreateCa, type LoadedCa } from './ca-files.js';
import { ConfigError, redactUrl, type StandaloneConfig } from './config.js';
import type { CaMetrics } from './metrics.js';

/** The listener path of OCSP (POST to it, GET below it). */
export const OCSP_PATH = '/ocsp/';
/** The listener path template of CRLs. */
export const CRL_PATH = '/crl/{issuerId}/{shard}.crl';
/** CRL shards per issuer. */
const CRL_SHARDS = 1;

/** Everything `serve` and the admin commands work with. */
export interface CaRuntime {
  readonly ca: LoadedCa;
  readonly store: SqlStore;
  /** The issuing CAs, active and retired; the root signs no leaves and is not in the set. */
  readonly issuers: IssuerSet;
  /** The active issuing CAs (one per key type). */
  readonly active: readonly Issuer[];
  readonly profiles: readonly Profile[];
  readonly issuance: WriteAheadIssuanceEngine;
  readonly ocsp: OcspResponder;
  readonly crls: CrlPublisher;
  /** The CT collector, when CERTWRIGHT_CT_LOGS is set. */
  readonly ct: CtSubmitter | undefined;
  /** Closes the OCSP responder, the store and the issuing key (HSM sessions). */
  close(): Promise<void>;
}

/** How {@link openRuntime} is run. */
export interface RuntimeOptions {
  clock: Clock;
  random: Random;
  logger: Logger;
  /** Times every signature of the issuing key. */
  metrics?: CaMetrics;
  /** As `loadOrCreateCa`'s mode: `create-or-load` (serve), `create` (init), `load` (admin commands). */
  caMode: 'create-or-load' | 'create' | 'load';
}

/**
 * The profiles offered: core's `default` and `shortlived`, with the OCSP
 * responder (AIA, RFC 5280 §4.2.2.1) and the CRL distribution point
 * (RFC 5280 §4.2.1.13) of the status listener.
 */
export function caProfiles(statusBaseUrl: string): Profile[] {
  return defaultProfiles().map((p) =>
    defineProfile({
      ...p,
      ocspUrl: `${statusBaseUrl}${OCSP_PATH}`,
      crl: { urlTemplate: `${statusBaseUrl}${CRL_PATH}`, shardCount: CRL_SHARDS },
    }),
  );
}

/** The signer with every signature timed into `certwright_signer_seconds`. */
function timedSigner(signer: Signer, issuerId: string, metrics: CaMetrics): Signer {
  return {
    algorithm: signer.algorithm,
    publicKeySpki: signer.publicKeySpki,
    async sign(data) {
      const started = performance.now();
      try {
        return await signer.sign(data);
      } finally {
        metrics.signerLatency.observe({ issuer: issuerId }, (performance.now() - started) / 1000);
      }
    },
  };
}

function issuingCa(issuer: Issuer, metrics: CaMetrics | undefined): Issuer {
  if (metrics === undefined) return issuer;
  return createIssuer({ certificate: issuer.certificate, chain: issuer.chain.slice(1), signer: timedSigner(issuer.signer, issuer.id, metrics), id: issuer.id, status: issuer.status });
}

/** A failure to reach the database at start-up or in a command, naming it (without its password) and where it is configured. */
export function unreachableDatabase(url: string, err: unknown): unknown {
  const prefix = 'cannot reach the database: ';
  if (!(err instanceof Error) || !err.message.startsWith(prefix)) return err;
  return new Error(`cannot reach the database ${redactUrl(url)}: ${err.message.slice(prefix.length)}; check CERTWRIGHT_DATABASE_URL (or databaseUrl) and that the database server is up`, { cause: err });
}

/**
 * Refuses to create a CA on a database that already holds certificate
 * records: they belong to a CA whose files are not in the data directory (a
 * database restored without its data directory, or a second node started
 * before the CA files were copied to it), and a new root there would leave
 * every relying party distrusting what the CA issues.
 */
export async function refuseDatabaseOfAnotherCa(store: SqlStore, config: StandaloneConfig): Promise<void> {
  const row = await store.db.selectFrom('certificates').select((eb) => eb.fn.countAll<number | string | bigint>().as('records')).executeTakeFirstOrThrow();
  const records = Number(row.records);
  if (records === 0) return;
  throw new Error(
    `the database ${redactUrl(config.databaseUrl)} already holds ${records} certificate records of a CA whose files are not in ${config.dataDir}; restore the data directory from the same backup as the database (for another node, copy root.pem, root-key.pem, intermediate.pem and intermediate-key.pem from the first one), or use an empty database for a new CA`,
  );
}

/**
 * Opens the CA (creating it in an empty data directory when `missingCa` is
 * `create`), the store (migrated to the latest schema), the issuance engine
 * and the OCSP responder. Nothing runs in the background yet.
 */
export async function openRuntime(config: StandaloneConfig, options: RuntimeOptions): Promise<CaRuntime> {
  const { clock, random, logger } = options;
  const cleanup: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step();
  };
  const openStore = async (): Promise<SqlStore> => {
    const opened = await openSqlStore({ url: config.databaseUrl, timeoutMs: config.databaseTimeoutMs }).catch((err: unknown) => {
      throw unreachableDatabase(config.databaseUrl, err);
    });
    cleanup.push(() => opened.close());
    await opened.migrate();
    return opened;
  };
  try {
    // A new CA is created only once the database is reached and known to belong to no other CA.
    const creating = options.caMode !== 'load' && caParts(config).present.length === 0;
    let store: SqlStore | undefined;
    if (creating) {
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      store = await openStore();
      await refuseDatabaseOfAnotherCa(store, config);
    }
    const ca = await loadOrCreateCa(config, clock, random, options.caMode);
    cleanup.push(() => ca.close());
    store ??= await openStore();
    const issuers = new IssuerSet(ca.issuers.map((issuer) => issuingCa(issuer, options.metrics)));
    const active = issuers.all().filter((issuer) => issuer.status === 'active');
    if (active.length === 0) throw new Error(`every issuing CA in ${config.dataDir} is retired; add one with \`certwright issuer add\``);
    const profiles = caProfiles(config.server.statusBaseUrl);
    const ctLogs = config.server.ctLogs;
    let ct: CtSubmitter | undefined;
    if (ctLogs !== undefined) {
      try {
        ct = createSctCollector({ logs: ctLogs.logs, required: ctLogs.required, clock, logger });
      } catch (err) {
        throw new ConfigError(ctLogs.field, `${ctLogs.path}: ${err instanceof CertwrightError ? err.detail : (err as Error).message}`);
      }
    }
    const issuance = createIssuanceEngine({ store, issuers, profiles, clock, random, logger, ...(ct === undefined ? {} : { ct }) });
    const crls = createCrlPublisher({
      store,
      issuers,
      clock,
      // CRL numbers live in the database (schema 2), so every node sharing it numbers CRLs in one strictly increasing sequence.
      crlNumbers: store,
      urlTemplate: profiles[0]!.crlUrlTemplate!,
      shardCount: CRL_SHARDS,
      // Hourly, so that revocations made by `certwright revoke` (another process) reach the CRL within the hour.
      updateIntervalSeconds: 3600,
      outputDir: join(config.dataDir, 'crls'),
      logger,
    });
    const ocsp = await createOcspResponder({ store, issuers, clock, logger, ocspPath: OCSP_PATH,
      crls,
      crlPath: CRL_PATH,
      // The full pre-signing pass reads every unexpired certificate: hourly. Revocations made by
      // `certwright revoke` (another process) or another node reach OCSP within the minute through
      // the cheaper pass over the revocations alone.
      refreshIntervalSeconds: 3600,
      revocationCheckIntervalSeconds: 60,
    });
    cleanup.push(async () => {
      await ocsp.stop();
      await crls.stop();
    });
    return { ca, store, issuers, active, profiles, issuance, ocsp, crls, ct, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
