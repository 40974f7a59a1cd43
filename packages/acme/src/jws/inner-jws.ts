import { CertwrightError } from '@certwright/core';
import type { PublicJwk } from '@certwright/core';
import { checkAlgorithm, checkKeyMatchesAlgorithm } from './algorithms.js';
import type { JwsAlgorithm } from './algorithms.js';
import { toFlattenedJws } from './flattened.js';
import { decodeProtectedHeader, rejectProcessingParameters } from './header.js';
import { decodeJsonObjectPart } from './json-part.js';
import type { JsonObject } from './json-part.js';
import { checkPublicJwk, jwkThumbprint } from './jwk.js';
import type { LruCache } from './lru-cache.js';
import { quote } from './quote.js';
import { importVerificationKey, verifyJwsSignature } from './signature.js';
import type { VerificationKey } from './signature.js';
import type { VerifiedJws } from './verifier.js';

/** Options for {@link verifyInnerJws}. */
export interface InnerJwsOptions {
  /** The algorithms accepted for the new key (normally the verifier's `allowedAlgorithms`). */
  readonly allowedAlgorithms: readonly JwsAlgorithm[];
  /** An optional cache of imported keys. */
  readonly keyCache?: LruCache<string, VerificationKey>;
}

/** A keyChange inner JWS that passed every check. */
export interface VerifiedInnerJws {
  readonly alg: JwsAlgorithm;
  /** The new account key, in canonical form. */
  readonly jwk: PublicJwk;
  /** RFC 7638 thumbprint of the new key. */
  readonly thumbprint: string;
  /** The keyChange object: the account URL and the old key as sent. */
  readonly payload: { readonly account: string; readonly oldKey: PublicJwk };
}

/**
 * Verifies the inner JWS of a key rollover (RFC 8555 §7.3.5), given the
 * verified outer JWS (which must have used `kid`). In order:
 *
 * 1. the outer payload is a flattened JWS (exact members, strict base64url)
 *    and its protected header strict JSON → `malformed`;
 * 2. `alg` allowed → `badSignatureAlgorithm`; `b64`/`crit` → `malformed`;
 * 3. a `jwk` and no `kid` → `malformed`; an acceptable public key →
 *    `badPublicKey`; suited to `alg` → `badSignatureAlgorithm`;
 * 4. the signature by the new key → `malformed`;
 * 5. no `nonce` → `malformed`;
 * 6. `url` equal to the outer `url` → `malformed` when absent,
 *    `unauthorized` when different (as RFC 8555 §6.4 treats the outer one);
 * 7. the payload is a JSON object whose `account` equals the outer `kid` and
 *    whose `oldKey` is the account's current key (same RFC 7638 thumbprint)
 *    → `malformed`.
 *
 * Whether the new key already belongs to another account (409) is the
 * handler's business, not this function's.
 */
export async function verifyInnerJws(outer: VerifiedJws, options: InnerJwsOptions): Promise<VerifiedInnerJws> {
  const kid = outer.protectedHeader.kid;
  if (outer.account === undefined || kid === undefined) throw new CertwrightError('malformed', "A key change must be signed with 'kid', the account URL (RFC 8555 §7.3.5)");
  if (outer.payload === undefined) throw new CertwrightError('malformed', 'A key change needs an inner JWS as its payload (RFC 8555 §7.3.5)');
  const what = 'Inner JWS';
  const jws = toFlattenedJws(outer.payload, what);
  const header = decodeProtectedHeader(jws.protected, what);
  const alg = checkAlgorithm(header['alg'], options.allowedAlgorithms, what);
  rejectProcessingParameters(header, what);
  if (Object.hasOwn(header, 'kid')) throw new CertwrightError('malformed', "Inner JWS must not have a 'kid'; it is signed by the new key given in 'jwk' (RFC 8555 §7.3.5)");
  if (!Object.hasOwn(header, 'jwk')) throw new CertwrightError('malformed', "Inner JWS has no 'jwk' (the new key) (RFC 8555 §7.3.5)");
  const jwk = checkPublicJwk(header['jwk'], "Inner JWS 'jwk' header");
  checkKeyMatchesAlgorithm(jwk, alg, options.allowedAlgorithms, what);
  const thumbprint = jwkThumbprint(jwk);
  const key = await importVerificationKey(jwk, alg, thumbprint, options.keyCache, "Inner JWS 'jwk'");
  await verifyJwsSignature(jws, key, alg, what);
  if (Object.hasOwn(header, 'nonce')) throw new CertwrightError('malformed', "Inner JWS must not have a 'nonce' (RFC 8555 §7.3.5)");
  const url = header['url'];
  if (typeof url !== 'string') throw new CertwrightError('malformed', "Inner JWS has no string 'url' (RFC 8555 §7.3.5)");
  if (url !== outer.protectedHeader.url) {
    throw new CertwrightError('unauthorized', `Inner JWS 'url' ${quote(url)} differs from the outer JWS 'url' ${quote(outer.protectedHeader.url)} (RFC 8555 §7.3.5)`);
  }
  const payload = decodeJsonObjectPart(jws.payload, 'Inner JWS payload');
  return { alg, jwk, thumbprint, payload: checkKeyChangeObject(payload, kid, outer.thumbprint) };
}

function checkKeyChangeObject(payload: JsonObject, kid: string, currentThumbprint: string): { account: string; oldKey: PublicJwk } {
  const account = payload['account'];
  if (typeof account !== 'string') throw new CertwrightError('malformed', "Inner JWS payload has no string 'account' (RFC 8555 §7.3.5)");
  if (account !== kid) throw new CertwrightError('malformed', `Inner JWS payload 'account' ${quote(account)} is not the outer JWS 'kid' ${quote(kid)}`);
  if (!Object.hasOwn(payload, 'oldKey')) throw new CertwrightError('malformed', "Inner JWS payload has no 'oldKey' (RFC 8555 §7.3.5)");
  const oldKey = checkPublicJwk(payload['oldKey'], "Inner JWS payload 'oldKey'");
  if (jwkThumbprint(oldKey) !== currentThumbprint) throw new CertwrightError('malformed', "Inner JWS payload 'oldKey' is not the account's current key");
  return { account, oldKey };
}
