/**
 * CRL generation per issuer and shard (RFC 5280 §5): entries from the
 * store's revocations, a persisted strictly increasing cRLNumber, an
 * issuingDistributionPoint built from the profile's CRL URL template (the
 * same function builds the certificates' cRLDistributionPoints), signed by
 * the issuer's own key. Regenerated on demand (after a revocation) and on a
 * schedule; the latest CRL of each shard is kept for serving and optionally
 * written to files.
 */
import {
  CertwrightError,
  crlUrlFor,
  type CertificateStore,
  type Clock,
  type Issuer,
  type IssuerSet,
  type Logger,
} from '@certwright/core';
import { createBackgroundTask, type BackgroundTask, type Timers } from './background-task.js';
import { signCrl } from './crl-encode.js';
import { writeCrlFiles } from './crl-files.js';
import type { CrlNumberStore, CrlScope } from '@certwright/core';
import { crlScopeKey } from './crl-number-store.js';

/** One generated CRL. */
export interface GeneratedCrl {
  issuerId: string;
  shard: number;
  number: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Number of revoked entries. */
  entries: number;
  der: Uint8Array;
  /** The distribution point URL in the issuingDistributionPoint, if any. */
  url?: string;
}

/** Options for {@link createCrlPublisher}. */
export interface CrlPublisherOptions {
  store: Pick<CertificateStore, 'listRevocations'>;
  issuers: IssuerSet;
  clock: Clock;
  crlNumbers: CrlNumberStore;
  /**
   * The profile's CRL URL template (`{issuerId}`, `{shard}`), exactly as the
   * profile that issued the certificates has it. Absent: one full CRL per
   * issuer without an issuingDistributionPoint (shardCount must be 1).
   */
  urlTemplate?: string;
  /** Shards per issuer: the profile's `crl.shardCount`. */
  shardCount: number;
  /** nextUpdate − thisUpdate, in seconds (default 7 days). */
  validitySeconds?: number;
  /** Upper bound on validitySeconds (default 10 days, the Baseline Requirements §4.9.7 limit). */
  maxValiditySeconds?: number;
  /**
   * Time between scheduled regenerations in seconds (default one day); also
   * the "one CRL period" for which entries of expired certificates stay listed.
   */
  updateIntervalSeconds?: number;
  /** Also write every generated CRL to this directory (see `writeCrlFiles`). */
  outputDir?: string;
  logger?: Logger;
  timers?: Timers;
}

/** See {@link createCrlPublisher}. */
export interface CrlPublisher {
  /** The template CRLs are published under, if any (the HTTP handler serves its path). */
  readonly urlTemplate: string | undefined;
  readonly shardCount: number;
  /** Generates, stores and (optionally) writes a new CRL for one shard. */
  generate(issuerId: string, shard: number): Promise<GeneratedCrl>;
  /** Generates every shard of every issuer (active and retired). */
  generateAll(): Promise<GeneratedCrl[]>;
  /** The latest CRL of a shard, generated now if none exists or the latest has expired; `undefined` for an unknown issuer or shard. */
  latest(issuerId: string, shard: number): Promise<GeneratedCrl | undefined>;
  /** Regenerates the shard a revocation belongs to. */
  onRevoked(revocation: { issuerId: string; crlShard: number }): Promise<GeneratedCrl | undefined>;
  /** Starts scheduled regeneration (a first pass runs at once). */
  start(): void;
  /** Stops the schedule and waits for a pass in flight. */
  stop(): Promise<void>;
}

const DAY = 86400;

function config(rule: string): CertwrightError {
  return new CertwrightError('serverInternal', `CRL publisher: ${rule}`);
}

/** Creates a {@link CrlPublisher}; configuration errors are `serverInternal` naming the option. */
export function createCrlPublisher(options: CrlPublisherOptions): CrlPublisher {
  const { store, issuers, clock, crlNumbers, urlTemplate, shardCount } = options;
  const validitySeconds = options.validitySeconds ?? 7 * DAY;
  const maxValiditySeconds = options.maxValiditySeconds ?? 10 * DAY;
  const intervalSeconds = options.updateIntervalSeconds ?? DAY;
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 65536) throw config('shardCount must be an integer from 1 to 65536');
  if (urlTemplate === undefined && shardCount !== 1) throw config('shardCount > 1 needs a urlTemplate');
  if (urlTemplate !== undefined && shardCount > 1 && !urlTemplate.includes('{shard}')) throw config('urlTemplate must contain {shard} when shardCount > 1');
  if (!Number.isInteger(validitySeconds) || validitySeconds < 1) throw config('validitySeconds must be a positive integer');
  if (validitySeconds > maxValiditySeconds) throw config(`validitySeconds ${validitySeconds} exceeds maxValiditySeconds ${maxValiditySeconds}`);
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 1 || intervalSeconds > validitySeconds) {
    throw config('updateIntervalSeconds must be a positive integer no larger than validitySeconds');
  }
  const latest = new Map<string, GeneratedCrl>();
  const chains = new Map<string, Promise<unknown>>();

  const issuerOf = (issuerId: string): Issuer | undefined => issuers.byId(issuerId);

  const build = async (issuer: Issuer, shard: number): Promise<GeneratedCrl> => {
    const scope: CrlScope = { issuerId: issuer.id, shard };
    const thisUpdate = new Date(Math.floor(clock.now().getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + validitySeconds * 1000);
    // Entries stay until one CRL after their certificate expired (RFC 5280 §3.3 lets them go after expiry).
    const notAfterFrom = new Date(thisUpdate.getTime() - intervalSeconds * 1000);
    const revocations = await store.listRevocations(issuer.id, shardCount > 1 ? { shard, notAfterFrom } : { notAfterFrom });
    const url = urlTemplate === undefined ? undefined : crlUrlFor({ crlUrlTemplate: urlTemplate }, issuer, shard);
    const number = await crlNumbers.nextCrlNumber(scope);
    const der = await signCrl(
      {
        thisUpdate,
        nextUpdate,
        number,
        ...(url === undefined ? {} : { distributionPointUrl: url }),
        entries: revocations.map((r) => ({ serial: r.serial, revokedAt: r.revokedAt, reason: r.reason })),
      },
      issuer,
    );
    const crl: GeneratedCrl = { issuerId: issuer.id, shard, number, thisUpdate, nextUpdate, entries: revocations.length, der, ...(url === undefined ? {} : { url }) };
    if (options.outputDir !== undefined) await writeCrlFiles(options.outputDir, issuer.id, shard, der);
    latest.set(crlScopeKey(scope), crl);
    options.logger?.({ level: 'info', event: 'crl.generated', issuerId: issuer.id, shard, number: number.toString(), entries: crl.entries });
    return crl;
  };

  /** Generations of one shard run one after another, so numbers and thisUpdate never go backwards. */
  const generate = (issuerId: string, shard: number): Promise<GeneratedCrl> => {
    const issuer = issuerOf(issuerId);
    if (issuer === undefined) return Promise.reject(new CertwrightError('notFound', `CRL: unknown issuer ${issuerId}`));
    if (!Number.isInteger(shard) || shard < 0 || shard >= shardCount) return Promise.reject(new CertwrightError('notFound', `CRL: shard ${shard} is outside 0..${shardCount - 1}`));
    const key = crlScopeKey({ issuerId, shard });
    const run = (chains.get(key) ?? Promise.resolve()).then(() => build(issuer, shard));
    chains.set(key, run.catch(() => undefined));
    return run;
  };

  const generateAll = async (): Promise<GeneratedCrl[]> => {
    const out: GeneratedCrl[] = [];
    for (const issuer of issuers.all()) for (let shard = 0; shard < shardCount; shard++) out.push(await generate(issuer.id, shard));
    return out;
  };

  const task: BackgroundTask = createBackgroundTask({
    name: 'crl.schedule',
    intervalMs: intervalSeconds * 1000,
    run: generateAll,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.timers === undefined ? {} : { timers: options.timers }),
  });

  return {
    urlTemplate,
    shardCount,
    generate,
    generateAll,
    async latest(issuerId, shard) {
      if (issuerOf(issuerId) === undefined || !Number.isInteger(shard) || shard < 0 || shard >= shardCount) return undefined;
      const current = latest.get(crlScopeKey({ issuerId, shard }));
      if (current !== undefined && current.nextUpdate.getTime() > clock.now().getTime()) return current;
      return generate(issuerId, shard);
    },
    async onRevoked(revocation) {
      if (issuerOf(revocation.issuerId) === undefined) return undefined;
      return generate(revocation.issuerId, shardCount > 1 ? revocation.crlShard : 0);
    },
    start: () => task.start(),
    stop: () => task.stop(),
  };
}
