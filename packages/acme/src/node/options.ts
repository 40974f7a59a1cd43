/**
 * Options shared by every HTTP adapter (node http, Express, Fastify).
 * @module
 */
import type { AcmeServer } from '../engine/server.js';
import { createAcmeUrls } from '../engine/urls.js';

/** What an adapter needs of the engine: only `handle` (an `AcmeServer` is one). */
export type AcmeRequestHandler = Pick<AcmeServer, 'handle'>;

/** Default {@link AdapterOptions.bodyLimit}: 64 KiB, far above any ACME request. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** How an adapter reads requests and rebuilds their external URL. */
export interface AdapterOptions {
  /**
   * The `baseUrl` given to `createAcmeServer`. Its origin (scheme, host and
   * port) is the origin of every request URL handed to the engine, so a
   * forged `Host` header cannot change the URL the JWS `url` header is
   * compared with (RFC 8555 §6.4).
   */
  readonly baseUrl: string;
  /** Largest accepted request body in bytes (default {@link DEFAULT_BODY_LIMIT}); larger ones get a 413 problem document. */
  readonly bodyLimit?: number;
  /**
   * Addresses of reverse proxies whose `X-Forwarded-Proto` and
   * `X-Forwarded-Host` headers are believed (exact IP addresses as the
   * socket reports them; IPv4-mapped IPv6 forms match their IPv4 address).
   * From any other peer these headers are ignored. Default: none.
   */
  readonly trustedProxies?: readonly string[];
}

/** Adapter options with defaults applied and checked. */
export interface ResolvedAdapterOptions {
  readonly origin: string;
  readonly newNonceUrl: string;
  readonly bodyLimit: number;
  readonly trustedProxies: ReadonlySet<string>;
}

/** Normalizes an address so that `::ffff:127.0.0.1` and `127.0.0.1` compare equal. */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}

/**
 * Applies defaults; throws `RangeError` on a base URL the engine would
 * refuse (see `createAcmeUrls`) or a body limit that is not a positive
 * integer.
 */
export function resolveAdapterOptions(options: AdapterOptions): ResolvedAdapterOptions {
  const urls = createAcmeUrls(options.baseUrl);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  if (!Number.isSafeInteger(bodyLimit) || bodyLimit <= 0) throw new RangeError(`bodyLimit must be a positive integer, got ${bodyLimit}`);
  return {
    origin: new URL(urls.base).origin,
    newNonceUrl: urls.newNonce,
    bodyLimit,
    trustedProxies: new Set((options.trustedProxies ?? []).map(normalizeAddress)),
  };
}
