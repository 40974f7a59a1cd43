/**
 * The CA composed from the packages: PostgreSQL store, the hierarchy of
 * hierarchy.ts, profiles pointing at the app's OCSP and CRL routes, the
 * issuance engine, the OCSP responder with its CRL publisher, real
 * validators, and the ACME engine.
 * @module
 */
import { join } from 'node:path';
import { DAY, HOUR, MINUTE, IssuerSet, createIdentifierPolicy, createIssuanceEngine, defaultProfiles, defineProfile, type Clock, type Logger, type Random, type Revocation } from '@certwright/core';
import { openSqlStore, type SqlStore } from '@certwright/core/sql';
import { createAcmeServer, issuerChains, createConnectionPolicy, createNodeDnsResolver, dns01Validator, http01Validator, type AcmeServer, type AcmeStore } from '@certwright/acme';
import { createCrlPublisher, createOcspResponder, type OcspResponder } from '@certwright/ocsp';
import type { AppConfig } from './config.js';
import { openHierarchy, type Hierarchy } from './hierarchy.js';

/** The app's path of OCSP (POST to it, GET below it). */
export const OCSP_PATH = '/ocsp/';
/** The app's path template of CRLs. */
export const CRL_PATH = '/crl/{issuerId}/{shard}.crl';

/** The running CA. */
export interface Ca {
  readonly engine: AcmeServer;
  readonly ocsp: OcspResponder;
  readonly store: SqlStore;
  readonly hierarchy: Hierarchy;
  /** Waits for ACME work in flight, stops OCSP/CRL background work, closes the store and the token sessions. */
  close(): Promise<void>;
}

/** What the CA needs besides its configuration. */
export interface CaDeps {
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
}

/**
 * The store as the ACME engine sees it: a revocation through ACME
 * (`revokeCert`, RFC 8555 §7.6) also re-signs the certificate's OCSP
 * responses and regenerates its CRL shard at once.
 */
function revocationsReachOcsp(store: SqlStore, ocsp: OcspResponder, logger: Logger): AcmeStore {
  const revoke = async (...args: Parameters<SqlStore['revoke']>): Promise<Revocation | undefined> => {
    const revocation = await store.revoke(...args);
    if (revocation !== undefined) {
      await ocsp.revoked(revocation).catch((err: unknown) => logger({ level: 'error', event: 'ocsp.resignFailed', serial: revocation.serial, error: (err as Error).message }));
    }
    return revocation;
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === 'revoke') return revoke;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Opens and starts the CA (store migrated, OCSP pre-signing and CRLs running, order recovery scheduled). */
export async function openCa(config: AppConfig, deps: CaDeps): Promise<Ca> {
  const { clock, random, logger } = deps;
  const hierarchy = await openHierarchy(config, clock, random);
  const cleanup: (() => Promise<void>)[] = [() => hierarchy.close()];
  const closeAll = async (): Promise<void> => {
    for (const step of cleanup.reverse()) await step();
  };
  try {
    const store = await openSqlStore({ url: config.databaseUrl });
    cleanup.push(() => store.close());
    await store.migrate();

    const issuers = new IssuerSet([hierarchy.issuing]);
    const profiles = defaultProfiles().map((p) =>
      defineProfile({ ...p, ocspUrl: `${config.publicUrl}${OCSP_PATH}`, crl: { urlTemplate: `${config.publicUrl}${CRL_PATH}`, shardCount: 1 } }),
    );
    const issuance = createIssuanceEngine({ store, issuers, profiles, clock, random, logger });
    // CRL numbers live in the database, so they keep increasing across restarts and nodes.
    const crls = createCrlPublisher({ store, issuers, clock, crlNumbers: store, urlTemplate: profiles[0]!.crlUrlTemplate!, shardCount: 1, updateIntervalSeconds: 3600, outputDir: join(config.dataDir, 'crls'), logger });
    const ocsp = await createOcspResponder({ store, issuers, clock, logger, ocspPath: OCSP_PATH, crls, crlPath: CRL_PATH, refreshIntervalSeconds: 60 });
    cleanup.push(async () => {
      await ocsp.stop();
      await crls.stop();
    });

    const resolver = createNodeDnsResolver({ servers: [...config.validation.dnsResolvers] });
    const policy = createConnectionPolicy({ allowedRanges: config.validation.allowedRanges, ports: { http01: config.validation.http01Port } });
    const baseUrl = `${config.publicUrl}/acme`;
    const engine = createAcmeServer({
      baseUrl,
      store: revocationsReachOcsp(store, ocsp, logger),
      issuance,
      chains: issuerChains(issuers),
      identifierPolicy: createIdentifierPolicy({ ...(config.allowedDomains === undefined ? {} : { allowedSuffixes: config.allowedDomains }), allowedIpRanges: config.allowedIpRanges }),
      validators: [http01Validator({ resolver, policy }), dns01Validator({ resolver })],
      clock,
      logger,
      random,
      profiles: profiles.map((p) => ({ name: p.name, description: p.description ?? p.name, maxValiditySeconds: p.validitySeconds })),
      defaultProfile: profiles[0]!.name,
      lifetimes: { order: 7 * DAY, authorization: 30 * DAY, pendingAuthorization: 7 * DAY, nonce: HOUR },
      authorizationReuse: { enabled: true, minRemainingMs: DAY },
      preAuthorization: false,
      retryAfterSeconds: 1,
    });
    // Issuances a crash interrupted (write-ahead records older than 5 minutes) are finished or abandoned;
    // orders left half-done are finished or invalidated, every minute.
    await issuance.recover({ updatedBefore: new Date(clock.now().getTime() - 5 * MINUTE) });
    const stopRecovery = engine.startRecovery({ intervalMs: MINUTE });
    cleanup.push(async () => {
      stopRecovery();
      await engine.close();
    });
    ocsp.start();
    return { engine, ocsp, store, hierarchy, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
