/**
 * Answers OCSP questions with signed responses: from the cache when a
 * response is there and less than half its validity old, else signed on
 * demand (and cached). {@link OcspResponseSource.refresh} pre-signs, issuer
 * by issuer, every unexpired certificate whose cached response is missing,
 * past half its validity, or asserts a status the store no longer has.
 */
import { CertwrightError, type CertificateStore, type Clock, type IssuerSet, type Logger } from '@certwright/core';
import { lookupStatus, statusOfRecord } from './certificate-status.js';
import type { CertId, CertIdHash } from './ocsp-request.js';
import type { CertStatus } from './ocsp-response.js';
import type { OcspResponseCache } from './response-cache.js';
import { signOcspResponse, type ResponseTiming, type SignedOcspResponse } from './response-signer.js';
import type { OcspSigningIdentity } from './signing-identity.js';

/** The answer to one CertID. */
export type SourceAnswer = { kind: 'response'; response: SignedOcspResponse; fromCache: boolean } | { kind: 'unauthorized'; why: string };

/** Counts from one {@link OcspResponseSource.refresh} pass. */
export interface RefreshReport {
  /** Responses signed in this pass. */
  signed: number;
  /** Certificates whose cached response was still fresh. */
  fresh: number;
}

/** Options for {@link createOcspResponseSource}. */
export interface OcspResponseSourceOptions {
  store: Pick<CertificateStore, 'getCertificate' | 'listCertificatesByIssuer' | 'listRevocations'>;
  issuers: IssuerSet;
  /** The signing identity of every issuer, by issuer id. */
  identities: ReadonlyMap<string, OcspSigningIdentity>;
  cache: OcspResponseCache;
  clock: Clock;
  timing: ResponseTiming;
  /** Hash algorithms pre-signed by {@link OcspResponseSource.refresh} (default SHA-1 only, the RFC 5019 default). */
  presignHashes?: readonly CertIdHash[];
  /** Page size when listing an issuer's certificates (default 1000). */
  batchSize?: number;
  logger?: Logger;
}

/** See {@link createOcspResponseSource}. */
export interface OcspResponseSource {
  /** The response for a parsed CertID; `nonce` (when given) is echoed and bypasses the cache. */
  answer(certId: CertId, nonce?: Uint8Array): Promise<SourceAnswer>;
  /** Drops the cached responses of `serial` and signs a new one for each pre-signed hash (after a revocation). */
  resign(serial: string): Promise<void>;
  /** One pre-signing pass over every issuer, active and retired. */
  refresh(): Promise<RefreshReport>;
  /**
   * A pass over the unexpired revocations only (`listRevocations`): signs a
   * `revoked` response for each whose cached response says otherwise or is
   * missing. Revocations made by another process or node reach OCSP this
   * way without reading every certificate.
   */
  refreshRevocations(): Promise<RefreshReport>;
}

/** Creates an {@link OcspResponseSource}. */
export function createOcspResponseSource(options: OcspResponseSourceOptions): OcspResponseSource {
  const { store, issuers, identities, cache, clock, timing } = options;
  const presignHashes = options.presignHashes ?? ['sha1'];
  const batchSize = options.batchSize ?? 1000;
  const halfLifeMs = (timing.validitySeconds * 1000) / 2;

  const isFresh = (r: SignedOcspResponse, now: Date): boolean =>
    now.getTime() < r.thisUpdate.getTime() + timing.backdateSeconds * 1000 + halfLifeMs && now.getTime() < r.nextUpdate.getTime();

  /** Whether `cached` asserts `certStatus`, the revocation reason included (a reason raised to keyCompromise must reach every node). */
  const assertsSame = (cached: SignedOcspResponse, certStatus: CertStatus): boolean =>
    cached.status === certStatus.status && (certStatus.status !== 'revoked' || cached.revocationReason === certStatus.reason);

  const identityFor = (issuerId: string): OcspSigningIdentity => {
    const identity = identities.get(issuerId);
    if (identity === undefined) throw new CertwrightError('serverInternal', `no OCSP signing identity for issuer ${issuerId}`);
    return identity;
  };

  /** Signs and caches a response for each pre-signed hash whose cached one is missing, stale or asserts another status or reason; counts into `report`. */
  const presign = async (identity: OcspSigningIdentity, serial: string, certStatus: CertStatus, report: RefreshReport): Promise<void> => {
    for (const hashAlgorithm of presignHashes) {
      const cached = await cache.get(serial, hashAlgorithm);
      if (cached !== undefined && assertsSame(cached, certStatus) && isFresh(cached, clock.now())) {
        report.fresh++;
        continue;
      }
      await cache.put(await signOcspResponse({ identity, serial, hashAlgorithm, certStatus, now: clock.now(), timing }));
      report.signed++;
    }
  };

  return {
    async answer(certId, nonce) {
      const issuer = issuers.byHashes(certId.hashAlgorithm, certId.issuerNameHash, certId.issuerKeyHash);
      if (issuer === undefined) return { kind: 'unauthorized', why: 'unknown issuer' };
      if (!certId.serialPositive) return { kind: 'unauthorized', why: 'serial is not a positive integer' };
      const now = clock.now();
      if (nonce === undefined) {
        const cached = await cache.get(certId.serial, certId.hashAlgorithm);
        if (cached !== undefined && cached.issuerId === issuer.id && isFresh(cached, now)) return { kind: 'response', response: cached, fromCache: true };
      }
      const lookup = await lookupStatus(store, issuer, certId.serial);
      if (!lookup.known) return { kind: 'unauthorized', why: lookup.why };
      const identity = identityFor(issuer.id);
      // A response must not outlive its signing certificate (RFC 5019 §4); once that expired there is nothing valid to send.
      if (identity.notAfter.getTime() <= now.getTime()) return { kind: 'unauthorized', why: 'signing certificate expired' };
      const response = await signOcspResponse({
        identity,
        serial: certId.serial,
        hashAlgorithm: certId.hashAlgorithm,
        certStatus: lookup.status,
        now,
        timing,
        ...(nonce === undefined ? {} : { nonce }),
      });
      if (nonce === undefined) await cache.put(response);
      return { kind: 'response', response, fromCache: false };
    },

    async resign(serial) {
      await cache.delete(serial);
      const record = await store.getCertificate(serial);
      if (record === undefined) return;
      const issuer = issuers.byId(record.issuerId);
      if (issuer === undefined) return;
      const lookup = await lookupStatus(store, issuer, serial);
      const identity = identityFor(issuer.id);
      if (!lookup.known || identity.notAfter.getTime() <= clock.now().getTime()) return;
      for (const hashAlgorithm of presignHashes) {
        await cache.put(await signOcspResponse({ identity, serial, hashAlgorithm, certStatus: lookup.status, now: clock.now(), timing }));
      }
    },

    async refresh() {
      const report: RefreshReport = { signed: 0, fresh: 0 };
      for (const issuer of issuers.all()) {
        const identity = identityFor(issuer.id);
        if (identity.notAfter.getTime() <= clock.now().getTime()) continue;
        let cursor: string | undefined;
        do {
          const now = clock.now();
          const page = await store.listCertificatesByIssuer(issuer.id, { notAfterFrom: now, limit: batchSize, ...(cursor === undefined ? {} : { cursor }) });
          for (const record of page.items) {
            if (record.state === 'reserved' || record.state === 'abandoned') continue;
            await presign(identity, record.serial, statusOfRecord(record), report);
          }
          cursor = page.next;
        } while (cursor !== undefined);
      }
      options.logger?.({ level: 'debug', event: 'ocsp.presign', signed: report.signed, fresh: report.fresh });
      return report;
    },

    async refreshRevocations() {
      const report: RefreshReport = { signed: 0, fresh: 0 };
      for (const issuer of issuers.all()) {
        const identity = identityFor(issuer.id);
        if (identity.notAfter.getTime() <= clock.now().getTime()) continue;
        for (const revocation of await store.listRevocations(issuer.id, { notAfterFrom: clock.now() })) {
          await presign(identity, revocation.serial, { status: 'revoked', revokedAt: revocation.revokedAt, reason: revocation.reason }, report);
        }
      }
      options.logger?.({ level: 'debug', event: 'ocsp.revocations', signed: report.signed, fresh: report.fresh });
      return report;
    },
  };
}
