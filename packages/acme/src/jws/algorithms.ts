import { CertwrightError } from '@certwright/core';
import type { PublicJwk } from '@certwright/core';
import { quote } from './quote.js';

/** The JWS signature algorithms certwright can accept for ACME requests (RFC 7518 §3, RFC 8037). */
export type JwsAlgorithm = 'RS256' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

/** Every algorithm certwright implements, in the order they are advertised. */
export const SUPPORTED_JWS_ALGORITHMS: readonly JwsAlgorithm[] = ['RS256', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** The default allow-list: RS256 and ES256 are mandatory in RFC 8555 §6.2; ES384/ES512 are widely used. */
export const DEFAULT_JWS_ALGORITHMS: readonly JwsAlgorithm[] = ['RS256', 'ES256', 'ES384', 'ES512'];

/** The key type (and curve) each algorithm must be used with (RFC 7518 §3.3–3.4, RFC 8037 §3.1). */
export const KEY_TYPE_FOR_ALGORITHM: Readonly<Record<JwsAlgorithm, { kty: string; crv?: string }>> = {
  RS256: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
};

/**
 * Builds the effective allow-list from configuration. EdDSA is accepted only
 * when `allowEdDsa` is true; naming it in `allowed` without that flag, or
 * naming an algorithm certwright does not implement, is a configuration error.
 *
 * @throws RangeError on an invalid configuration.
 */
export function resolveAllowedAlgorithms(allowed: readonly string[] = DEFAULT_JWS_ALGORITHMS, allowEdDsa = false): readonly JwsAlgorithm[] {
  const result = new Set<JwsAlgorithm>();
  for (const alg of allowed) {
    if (!(SUPPORTED_JWS_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new RangeError(`JWS algorithm ${quote(alg)} is not supported; choose from ${SUPPORTED_JWS_ALGORITHMS.join(', ')}`);
    }
    if (alg === 'EdDSA' && !allowEdDsa) throw new RangeError('EdDSA is listed in allowedAlgorithms but allowEdDsa is not set');
    result.add(alg as JwsAlgorithm);
  }
  if (allowEdDsa) result.add('EdDSA');
  if (result.size === 0) throw new RangeError('At least one JWS algorithm must be allowed');
  return SUPPORTED_JWS_ALGORITHMS.filter((alg) => result.has(alg));
}

function badAlgorithm(detail: string, allowed: readonly string[]): CertwrightError {
  return new CertwrightError('badSignatureAlgorithm', detail, { extra: { algorithms: [...allowed] } });
}

/**
 * Checks the `alg` header against the allow-list (RFC 8555 §6.2: `none` and
 * MAC algorithms are never acceptable for requests). The problem lists the
 * accepted algorithms in `algorithms`, as RFC 8555 §6.2 recommends.
 *
 * @throws CertwrightError `malformed` when `alg` is absent or not a string;
 *   `badSignatureAlgorithm` when it is not allowed.
 */
export function checkAlgorithm<A extends string>(alg: unknown, allowed: readonly A[], what = 'JWS'): A {
  if (alg === undefined) throw new CertwrightError('malformed', `${what} protected header has no 'alg'`);
  if (typeof alg !== 'string') throw new CertwrightError('malformed', `${what} header 'alg' must be a string`);
  if (!(allowed as readonly string[]).includes(alg)) {
    throw badAlgorithm(`${what} algorithm ${quote(alg)} is not allowed; use one of ${allowed.join(', ')}`, allowed);
  }
  return alg as A;
}

/**
 * Checks that the key suits the algorithm: RS256 ↔ RSA, ES256/384/512 ↔ EC
 * P-256/P-384/P-521, EdDSA ↔ OKP Ed25519. A mismatch is reported as
 * `badSignatureAlgorithm`: the key itself is acceptable, the algorithm is
 * not one that key can produce.
 *
 * @throws CertwrightError `badSignatureAlgorithm`.
 */
export function checkKeyMatchesAlgorithm(jwk: PublicJwk, alg: JwsAlgorithm, allowed: readonly JwsAlgorithm[], what = 'JWS'): void {
  const expected = KEY_TYPE_FOR_ALGORITHM[alg];
  if (jwk.kty !== expected.kty || (expected.crv !== undefined && jwk['crv'] !== expected.crv)) {
    const keyType = typeof jwk['crv'] === 'string' ? `${jwk.kty} ${jwk['crv']}` : jwk.kty;
    const wanted = expected.crv === undefined ? expected.kty : `${expected.kty} ${expected.crv}`;
    throw badAlgorithm(`${what} algorithm ${alg} does not match the ${keyType} key; ${alg} needs a ${wanted} key`, allowed);
  }
}
