/**
 * The OCSP responder (RFC 6960, RFC 5019 profile) and CRL server behind one
 * framework-agnostic `handle()`:
 *
 * - `POST <ocspPath>` with `application/ocsp-request` and
 *   `GET <ocspPath><url-encoded base64 DER>` → `application/ocsp-response`;
 * - `GET` on the CRL path of the profile's template → `application/pkix-crl`.
 *
 * Protocol-level failures are OCSP responses, sent with HTTP 200 so clients
 * read them: a request that does not parse → `malformedRequest`; an issuer
 * or serial this CA did not sign → `unauthorized` (never `good`, RFC 5019
 * §2.2.3); a failure inside → `internalError`.
 */
import { createHash } from 'node:crypto';
import {
  CertwrightError,
  silentLogger,
  type CertificateStore,
  type Clock,
  type IssuerSet,
  type Logger,
  type Revocation,
} from '@certwright/core';
import { cachingHeaders } from './caching-headers.js';
import type { CrlPublisher } from './crl-publisher.js';
import { compileCrlRoute, DEFAULT_CRL_PATH, type CrlRoute } from './crl-route.js';
import { createBackgroundTask, type BackgroundTask, type Timers } from './background-task.js';
import { headerValue, type OcspHttpRequest, type OcspHttpResponse } from './http-types.js';
import { decodeGetPath } from './ocsp-get.js';
import { MAX_NONCE_OCTETS, parseOcspRequest, type CertIdHash } from './ocsp-request.js';
import { ocspErrorResponse, type OcspErrorStatus } from './ocsp-response.js';
import { MemoryOcspResponseCache, type OcspResponseCache } from './response-cache.js';
import { createOcspResponseSource, type OcspResponseSource, type RefreshReport } from './response-source.js';
import { revokeBySerial } from './revocation.js';
import { delegatedSigningIdentity, issuerSigningIdentity, type DelegatedResponder, type OcspSigningIdentity } from './signing-identity.js';

/** Options for {@link createOcspResponder}. */
export interface OcspResponderOptions {
  /** The certificate role of the store: status lookups, listings for pre-signing, revocation. */
  store: Pick<CertificateStore, 'getCertificate' | 'listCertificatesByIssuer' | 'listRevocations' | 'revoke' | 'updateRevocationReason' | 'addBlockedKey'>;
  /** Every issuer to answer for, active and retired (retired ones keep answering after a key rollover). */
  issuers: IssuerSet;
  clock: Clock;
  logger?: Logger;
  /** Delegated responders by issuer id; issuers without one sign their own responses. */
  delegated?: Readonly<Record<string, DelegatedResponder>>;
  /** nextUpdate − thisUpdate in seconds (default 3 days; the Baseline Requirements allow at most 10). */
  responseValiditySeconds?: number;
  /** thisUpdate is set this far before the signing time (default 0). */
  backdateSeconds?: number;
  /** Where pre-signed responses live (default a {@link MemoryOcspResponseCache}). */
  cache?: OcspResponseCache;
  /** CertID hash algorithms pre-signed in the background (default SHA-1); others are signed on demand and cached. */
  presignHashes?: readonly CertIdHash[];
  /** Seconds between background pre-signing passes (default 1/8 of the response validity, at least 1). Each pass reads every unexpired certificate. */
  refreshIntervalSeconds?: number;
  /**
   * Seconds between background passes over the revocations only (default:
   * none). Revocations made through this responder are re-signed at once;
   * this is how revocations made by another process or node reach OCSP
   * between the (costlier) full passes.
   */
  revocationCheckIntervalSeconds?: number;
  /** `ignore` (default, RFC 5019 §2.1.1: pre-signed responses cannot carry a nonce) or `echo` (sign on demand with the nonce). */
  nonces?: 'ignore' | 'echo';
  /** Largest POST body accepted, in bytes (default 1024). */
  maxRequestBytes?: number;
  /** Path of the OCSP endpoint (default `/`): POST to it, GET below it. */
  ocspPath?: string;
  /** Serve and regenerate CRLs through this handler. */
  crls?: CrlPublisher;
  /** Path template of CRLs (default: the path of `crls.urlTemplate`, else `/crl/{issuerId}/{shard}.crl`). */
  crlPath?: string;
  timers?: Timers;
}

/** The responder. */
export interface OcspResponder {
  /** Handles one HTTP request; never rejects. */
  handle(req: OcspHttpRequest): Promise<OcspHttpResponse>;
  /** Starts background pre-signing (and CRL regeneration when `crls` is set). */
  start(): void;
  /** Stops background work, waiting for passes in flight. */
  stop(): Promise<void>;
  /** Stops background work; the responder may still answer from its cache. */
  close(): Promise<void>;
  /** One pre-signing pass now. */
  refresh(): Promise<RefreshReport>;
  /** One pass over the revocations only, now (see `revocationCheckIntervalSeconds`). */
  refreshRevocations(): Promise<RefreshReport>;
  /**
   * Administrative revocation: revokes `serial` in the store, re-signs its
   * OCSP responses at once and regenerates its CRL shard. Throws as
   * `revokeBySerial` does.
   */
  revoke(serial: string, reason: number | string): Promise<Revocation>;
  /** Re-signs the responses of a serial revoked elsewhere (e.g. through ACME) and regenerates its CRL shard. */
  revoked(revocation: Revocation): Promise<void>;
}

const OCSP_RESPONSE_TYPE = 'application/ocsp-response';

function ocspBody(body: Uint8Array, extra: Record<string, string> = {}): OcspHttpResponse {
  return { status: 200, headers: { 'content-type': OCSP_RESPONSE_TYPE, 'content-length': String(body.length), ...extra }, body };
}

const ERROR_BODIES = new Map<OcspErrorStatus, Uint8Array>(
  (['malformedRequest', 'internalError', 'unauthorized'] as const).map((s) => [s, ocspErrorResponse(s)]),
);

function ocspError(status: OcspErrorStatus): OcspHttpResponse {
  return ocspBody(ERROR_BODIES.get(status) ?? ocspErrorResponse(status), { 'cache-control': 'no-store' });
}

function plain(status: number, text: string, extra: Record<string, string> = {}): OcspHttpResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...extra }, body: text };
}

/**
 * A 304 for a conditional GET whose If-None-Match names the current ETag
 * (RFC 9110 §13.1.2), so caches revalidate without a new body; `undefined`
 * otherwise.
 */
function notModified(req: OcspHttpRequest, headers: Record<string, string>): OcspHttpResponse | undefined {
  if (req.method.toUpperCase() !== 'GET') return undefined;
  const condition = headerValue(req.headers, 'if-none-match');
  if (condition === undefined || headers.etag === undefined) return undefined;
  const tags = condition.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (!tags.includes(headers.etag) && !tags.includes('*')) return undefined;
  const { 'content-type': _type, 'content-length': _length, ...rest } = headers;
  return { status: 304, headers: rest, body: undefined };
}

function pathOf(url: string): string | undefined {
  try {
    // Only the raw path matters: keep percent-escapes as the client sent them.
    const parsed = new URL(url, 'http://localhost');
    return parsed.pathname;
  } catch {
    return undefined;
  }
}

/**
 * Creates the responder. Checks every delegated responder certificate
 * against its issuer first (`serverInternal` naming the rule on failure).
 * Nothing runs in the background until {@link OcspResponder.start}.
 */
export async function createOcspResponder(options: OcspResponderOptions): Promise<OcspResponder> {
  const { store, issuers, clock } = options;
  const logger = options.logger ?? silentLogger;
  const validitySeconds = options.responseValiditySeconds ?? 3 * 86400;
  const backdateSeconds = options.backdateSeconds ?? 0;
  const maxRequestBytes = options.maxRequestBytes ?? 1024;
  const ocspPath = options.ocspPath ?? '/';
  const nonces = options.nonces ?? 'ignore';
  if (!Number.isInteger(validitySeconds) || validitySeconds < 60) throw new CertwrightError('serverInternal', 'OCSP responder: responseValiditySeconds must be an integer of at least 60');
  if (!Number.isInteger(backdateSeconds) || backdateSeconds < 0 || backdateSeconds >= validitySeconds) {
    throw new CertwrightError('serverInternal', 'OCSP responder: backdateSeconds must be a non-negative integer below responseValiditySeconds');
  }
  if (!ocspPath.startsWith('/') || !ocspPath.endsWith('/')) throw new CertwrightError('serverInternal', 'OCSP responder: ocspPath must start and end with "/"');

  const identities = new Map<string, OcspSigningIdentity>();
  for (const issuer of issuers.all()) {
    const delegated = options.delegated?.[issuer.id];
    identities.set(issuer.id, delegated === undefined ? issuerSigningIdentity(issuer) : await delegatedSigningIdentity(issuer, delegated));
  }
  for (const id of Object.keys(options.delegated ?? {})) {
    if (issuers.byId(id) === undefined) throw new CertwrightError('serverInternal', `OCSP responder: delegated responder for unknown issuer ${id}`);
  }

  const source: OcspResponseSource = createOcspResponseSource({
    store,
    issuers,
    identities,
    cache: options.cache ?? new MemoryOcspResponseCache(),
    clock,
    timing: { validitySeconds, backdateSeconds },
    ...(options.presignHashes === undefined ? {} : { presignHashes: options.presignHashes }),
    logger,
  });
  const refreshSeconds = options.refreshIntervalSeconds ?? Math.max(1, Math.floor(validitySeconds / 8));
  const presigner: BackgroundTask = createBackgroundTask({
    name: 'ocsp.presign',
    intervalMs: refreshSeconds * 1000,
    run: () => source.refresh(),
    logger,
    ...(options.timers === undefined ? {} : { timers: options.timers }),
  });
  const revocationSeconds = options.revocationCheckIntervalSeconds;
  if (revocationSeconds !== undefined && (!Number.isInteger(revocationSeconds) || revocationSeconds < 1)) {
    throw new CertwrightError('serverInternal', 'OCSP responder: revocationCheckIntervalSeconds must be a positive integer');
  }
  const revocationChecker: BackgroundTask | undefined =
    revocationSeconds === undefined
      ? undefined
      : createBackgroundTask({
          name: 'ocsp.revocations',
          intervalMs: revocationSeconds * 1000,
          run: () => source.refreshRevocations(),
          logger,
          ...(options.timers === undefined ? {} : { timers: options.timers }),
        });
  const crls = options.crls;
  const crlRoute: CrlRoute | undefined = crls === undefined ? undefined : compileCrlRoute(options.crlPath ?? crls.urlTemplate ?? DEFAULT_CRL_PATH);

  const answerDer = async (req: OcspHttpRequest, der: Uint8Array): Promise<OcspHttpResponse> => {
    let request;
    try {
      request = parseOcspRequest(der);
    } catch (err) {
      logger({ level: 'debug', event: 'ocsp.malformed', detail: err instanceof CertwrightError ? err.detail : 'unparsable' });
      return ocspError('malformedRequest');
    }
    let nonce: Uint8Array | undefined;
    if (nonces === 'echo' && request.nonce !== undefined) {
      // The nonce extnValue holds an OCTET STRING of 1–32 octets (RFC 8954 §2.1): tag, one length octet, value.
      const n = request.nonce;
      if (n.length < 3 || n.length > MAX_NONCE_OCTETS + 2 || n[0] !== 0x04 || n[1] !== n.length - 2) return ocspError('malformedRequest');
      nonce = request.nonce;
    }
    const answer = await source.answer(request.certId, nonce);
    if (answer.kind === 'unauthorized') {
      logger({ level: 'debug', event: 'ocsp.unauthorized', serial: request.certId.serial, why: answer.why });
      return ocspError('unauthorized');
    }
    const r = answer.response;
    const now = clock.now();
    if (r.nonce) return ocspBody(r.der, { 'cache-control': 'no-store', date: now.toUTCString() });
    const response = ocspBody(r.der, cachingHeaders({ now, thisUpdate: r.thisUpdate, nextUpdate: r.nextUpdate, etag: r.etag }));
    return notModified(req, response.headers as Record<string, string>) ?? response;
  };

  const serveCrl = async (req: OcspHttpRequest, issuerId: string, shard: number): Promise<OcspHttpResponse> => {
    const crl = await crls!.latest(issuerId, shard);
    if (crl === undefined) return plain(404, 'No such CRL');
    const etag = `"${createHash('sha256').update(crl.der).digest('hex').slice(0, 32)}"`;
    const headers = {
      'content-type': 'application/pkix-crl',
      'content-length': String(crl.der.length),
      ...cachingHeaders({ now: clock.now(), thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, etag }),
    };
    return notModified(req, headers) ?? { status: 200, headers, body: crl.der };
  };

  const route = async (req: OcspHttpRequest): Promise<OcspHttpResponse> => {
    const method = req.method.toUpperCase();
    const path = pathOf(req.url);
    if (path === undefined) return plain(400, 'Bad request URL');
    const crl = crlRoute?.match(path);
    if (crl !== undefined) {
      if (method !== 'GET') return plain(405, 'Method not allowed', { allow: 'GET' });
      return serveCrl(req, crl.issuerId, crl.shard);
    }
    const bare = ocspPath.slice(0, -1);
    if (method === 'POST' && (path === ocspPath || (bare !== '' && path === bare))) {
      const type = headerValue(req.headers, 'content-type')?.split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/ocsp-request') return ocspError('malformedRequest');
      const body = req.body ?? new Uint8Array(0);
      if (body.length > maxRequestBytes) return ocspError('malformedRequest');
      return answerDer(req, body);
    }
    if (!path.startsWith(ocspPath)) return plain(404, 'Not found');
    if (method !== 'GET') return plain(405, 'Method not allowed', { allow: 'GET, POST' });
    let der: Uint8Array;
    try {
      der = decodeGetPath(path.slice(ocspPath.length));
    } catch {
      return ocspError('malformedRequest');
    }
    return answerDer(req, der);
  };

  const revoked = async (revocation: Revocation): Promise<void> => {
    await source.resign(revocation.serial);
    await crls?.onRevoked(revocation);
  };

  return {
    async handle(req) {
      try {
        return await route(req);
      } catch (err) {
        logger({ level: 'error', event: 'ocsp.internal', error: err instanceof Error ? err.message : String(err) });
        return ocspError('internalError');
      }
    },
    start() {
      presigner.start();
      revocationChecker?.start();
      crls?.start();
    },
    async stop() {
      await presigner.stop();
      await revocationChecker?.stop();
      await crls?.stop();
    },
    async close() {
      await presigner.stop();
      await revocationChecker?.stop();
      await crls?.stop();
    },
    refresh: () => source.refresh(),
    refreshRevocations: () => source.refreshRevocations(),
    async revoke(serial, reason) {
      const revocation = await revokeBySerial(store, clock, serial, reason);
      logger({ level: 'info', event: 'certificate.revoked', serial: revocation.serial, reason: revocation.reason });
      await revoked(revocation);
      return revocation;
    },
    revoked,
  };
}
