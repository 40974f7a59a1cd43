import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { CertwrightError, decodeBase64urlStrict } from '@certwright/core';
import type { PublicJwk } from '@certwright/core';
import type { JwsAlgorithm } from './algorithms.js';
import type { FlattenedJws } from './flattened.js';
import type { LruCache } from './lru-cache.js';

/** A public key imported for verification (a node:crypto `KeyObject`). */
export type VerificationKey = KeyObject;

/** The hash and the exact signature length (RFC 7518 §3.4: R ‖ S, each the size of the curve's order) per algorithm. */
const SIGNATURE_FORMS: Readonly<Record<JwsAlgorithm, { hash: string | null; ecdsaLength?: number; length?: number }>> = {
  RS256: { hash: 'sha256' },
  ES256: { hash: 'sha256', ecdsaLength: 64 },
  ES384: { hash: 'sha384', ecdsaLength: 96 },
  ES512: { hash: 'sha512', ecdsaLength: 132 },
  EdDSA: { hash: null, length: 64 },
};

/**
 * Imports a validated public JWK (RFC 7517) with node:crypto, reusing a
 * cached import keyed by algorithm and thumbprint when a cache is given.
 * Import is where an EC point that is not on its curve is caught.
 *
 * @throws CertwrightError `badPublicKey` when node:crypto refuses the key.
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
    key = createPublicKey({ key: { ...jwk }, format: 'jwk' });
  } catch (err) {
    throw new CertwrightError('badPublicKey', `${what} could not be imported as a ${alg} public key`, { cause: err });
  }
  cache?.set(cacheKey, key);
  return key;
}

/**
 * Verifies the signature of a flattened JWS (RFC 7515 §5.2) over the ASCII
 * of `protected.payload`, restricted to `alg`: RSASSA-PKCS1-v1_5 with
 * SHA-256 (RS256), ECDSA with R ‖ S of exactly the curve's length (ES256,
 * ES384, ES512; RFC 7518 §3.4), Ed25519 (EdDSA, RFC 8037). node:crypto
 * verifies on the calling thread: a thread-pool round trip costs more CPU
 * than one verification saves the event loop. Any failure — a wrong
 * signature, a signature of the wrong length, a key of another type — is
 * one `malformed` problem: the client learns only that verification failed.
 *
 * @throws CertwrightError `malformed` ("JWS verification error").
 */
export async function verifyJwsSignature(jws: FlattenedJws, key: VerificationKey, alg: JwsAlgorithm, what = 'JWS'): Promise<void> {
  if (!signatureVerifies(jws, key, alg)) {
    throw new CertwrightError('malformed', `${what} verification error: the signature does not verify with the ${alg} key`);
  }
}

function signatureVerifies(jws: FlattenedJws, key: VerificationKey, alg: JwsAlgorithm): boolean {
  const form = SIGNATURE_FORMS[alg];
  const signature = decodeBase64urlStrict(jws.signature);
  if (signature === undefined) return false;
  const expectedLength = form.ecdsaLength ?? form.length;
  if (expectedLength !== undefined && signature.length !== expectedLength) return false;
  const signingInput = Buffer.from(`${jws.protected}.${jws.payload}`, 'ascii');
  try {
    return form.ecdsaLength === undefined
      ? nodeVerify(form.hash, signingInput, key, signature)
      : nodeVerify(form.hash, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
