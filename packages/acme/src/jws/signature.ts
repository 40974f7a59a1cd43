import { CertwrightError } from '@certwright/core';
import type { PublicJwk } from '@certwright/core';
import { flattenedVerify, importJWK } from 'jose';
import type { JwsAlgorithm } from './algorithms.js';
import type { FlattenedJws } from './flattened.js';
import type { LruCache } from './lru-cache.js';

/** A public key imported for verification (a WebCrypto `CryptoKey` on Node). */
export type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * Imports a validated public JWK for `alg` through jose (Node's WebCrypto),
 * reusing a cached import keyed by algorithm and thumbprint when a cache is
 * given. Import is where an EC point that is not on its curve is caught.
 *
 * @throws CertwrightError `badPublicKey` when WebCrypto refuses the key.
 */
export async function importVerificationKey(
  jwk: PublicJwk,
  alg: JwsAlgorithm,
  thumbprint: string,
  cache: LruCache<string, VerificationKey> | undefined,
  what: string,
): Promise<VerificationKey> {
  const cacheKey = `${alg} ${thumbprint}`;
  const cached = cache?.get(cacheKey);
  if (cached !== undefined) return cached;
  let key: VerificationKey;
  try {
    key = await importJWK(jwk, alg);
  } catch (err) {
    throw new CertwrightError('badPublicKey', `${what} could not be imported as a ${alg} public key`, { cause: err });
  }
  cache?.set(cacheKey, key);
  return key;
}

/**
 * Verifies the signature of a flattened JWS with jose's `flattenedVerify`,
 * restricted to `alg`. Any failure — a wrong signature, a signature of the
 * wrong length, or jose refusing the JWS — is one `malformed` problem: the
 * client learns only that verification failed.
 *
 * @throws CertwrightError `malformed` ("JWS verification error").
 */
export async function verifyJwsSignature(jws: FlattenedJws, key: VerificationKey, alg: JwsAlgorithm, what = 'JWS'): Promise<void> {
  try {
    await flattenedVerify({ protected: jws.protected, payload: jws.payload, signature: jws.signature }, key, { algorithms: [alg] });
  } catch (err) {
    throw new CertwrightError('malformed', `${what} verification error: the signature does not verify with the ${alg} key`, { cause: err });
  }
}
