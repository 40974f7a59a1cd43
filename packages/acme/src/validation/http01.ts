/**
 * The http-01 validator (RFC 8555 §8.3; RFC 8738 §5 for IP identifiers):
 * GET `http://<identifier>:<port>/.well-known/acme-challenge/<token>` on a
 * checked address, follow permitted redirects, and compare the body (trailing
 * whitespace removed) with the key authorization.
 *
 * Problems: `dns` (name does not resolve), `connection` (policy refusal,
 * connect failure, timeout, refused redirect), `tls` (https redirect
 * handshake), `unauthorized` (final status other than 200, or a 303 and
 * other non-followed 3xx), `incorrectResponse` (wrong or oversized body —
 * the body itself is never put in the detail).
 * @module
 */
import { CertwrightError, formatIp, tryParseIp } from '@certwright/core';
import type { ChallengeType, IdentifierType } from '@certwright/core';
import type { Validator } from '../engine/validator.js';
import type { ConnectionPolicy } from './connection-policy.js';
import { withDeadline } from './deadline.js';
import { dialInOrder } from './dial-fallback.js';
import type { DialAttempt } from './dial-fallback.js';
import type { DnsResolver } from './dns-resolver.js';
import { probeHttp } from './http-probe.js';
import type { HttpProbeResponse } from './http-probe.js';
import { DEFAULT_MAX_REDIRECTS, FOLLOWED_REDIRECT_STATUSES, nextRedirect, startRedirects, urlHost, urlPort } from './http-redirect.js';
import { resolveTargetAddresses } from './target-addresses.js';
import type { FamilyPreference } from './target-addresses.js';
import { validateWithCaa } from './validator-caa.js';
import type { ValidationRequest, ValidatorCaaOptions } from './validator-caa.js';

/** Options of {@link http01Validator}. */
export interface Http01ValidatorOptions {
  readonly resolver: DnsResolver;
  readonly policy: ConnectionPolicy;
  /** Limit for the whole validation, redirects included (default 20 000 ms). */
  readonly timeoutMs?: number;
  /** Limit for each request (default 5000 ms). */
  readonly requestTimeoutMs?: number;
  /** Redirects followed at most (default 10). */
  readonly maxRedirects?: number;
  /** Bytes accepted beyond the key authorization's length (default 128). */
  readonly bodySlackBytes?: number;
  /** Which address family to dial first (default `ipv6-first`). */
  readonly familyPreference?: FamilyPreference;
  /** User-Agent header (default `certwright-validation`). */
  readonly userAgent?: string;
  /** Check CAA as part of validation. */
  readonly caa?: ValidatorCaaOptions;
}

/** One hop of an http-01 validation, as recorded on the challenge. */
export interface Http01RecordEntry {
  readonly url: string;
  readonly hostname: string;
  readonly port: number;
  readonly addressesResolved: readonly string[];
  readonly addressUsed: string;
  readonly addressesTried: readonly DialAttempt[];
  readonly status: number;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;
const TRAILING_WHITESPACE = /[ \t\r\n]+$/;

function hostForUrl(host: string): string {
  const ip = tryParseIp(host);
  return ip !== undefined && ip.version === 6 ? `[${formatIp(ip)}]` : host;
}

/** The first URL of an http-01 validation. */
export function http01Url(identifierValue: string, token: string, port: number): URL {
  return new URL(`http://${hostForUrl(identifierValue)}:${port}/.well-known/acme-challenge/${token}`);
}

/**
 * Creates the http-01 validator. It resolves each hop's host once, checks
 * all its addresses against `options.policy`, dials a checked address
 * (IPv6 first by default, falling back to the first IPv4 only when
 * connecting fails) and records every hop.
 */
export function http01Validator(options: Http01ValidatorOptions): Validator {
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const requestTimeoutMs = options.requestTimeoutMs ?? 5000;
  const userAgent = options.userAgent ?? 'certwright-validation';

  const fetchOnce = async (url: URL, maxBodyBytes: number): Promise<{ response: HttpProbeResponse; entry: Http01RecordEntry }> => {
    const host = urlHost(url);
    const targets = await resolveTargetAddresses(host, options.resolver, options.policy, options.familyPreference);
    const { result, attempts } = await dialInOrder(targets.dialOrder, (address) => probeHttp({ url, address, timeoutMs: requestTimeoutMs, maxBodyBytes, userAgent }));
    const entry: Http01RecordEntry = {
      url: url.href,
      hostname: host,
      port: urlPort(url),
      addressesResolved: targets.resolved,
      addressUsed: attempts[attempts.length - 1]!.address,
      addressesTried: attempts,
      status: result.status,
    };
    return { response: result, entry };
  };

  const run = async (input: ValidationRequest): Promise<unknown[]> => {
    if (!TOKEN.test(input.token)) throw new CertwrightError('malformed', 'The challenge token is not base64url');
    const maxBodyBytes = Buffer.byteLength(input.keyAuthorization, 'utf8') + (options.bodySlackBytes ?? 128);
    let url = http01Url(input.identifier.value, input.token, options.policy.ports.http01);
    const redirects = startRedirects(url);
    const record: Http01RecordEntry[] = [];
    for (;;) {
      const { response, entry } = await fetchOnce(url, maxBodyBytes);
      record.push(entry);
      if (FOLLOWED_REDIRECT_STATUSES.has(response.status)) {
        url = nextRedirect(url, response.location, redirects, options.policy, maxRedirects);
        continue;
      }
      if (response.status !== 200) {
        const why = response.status >= 300 && response.status < 400 ? ` (only 301, 302, 307 and 308 redirects are followed)` : '';
        throw new CertwrightError('unauthorized', `Invalid response from ${url.href}: HTTP ${response.status}${why}`);
      }
      const body = response.body.toString('utf8').replace(TRAILING_WHITESPACE, '');
      if (body !== input.keyAuthorization) {
        throw new CertwrightError('incorrectResponse', `The key authorization served at ${url.href} does not match this challenge (expected ${input.keyAuthorization.length} characters ending in the account thumbprint)`);
      }
      return record;
    }
  };

  return {
    type: 'http-01' satisfies ChallengeType,
    identifierTypes: ['dns', 'ip'] satisfies IdentifierType[],
    validate: (input: ValidationRequest) =>
      withDeadline(validateWithCaa('http-01', input, options.resolver, options.caa, () => run(input)), options.timeoutMs ?? 20_000, `http-01 validation of ${input.identifier.value}`),
  };
}
