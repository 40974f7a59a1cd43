import { createHmac, timingSafeEqual } from 'node:crypto';
import { CertwrightError } from '@certwright/core';
import { checkAlgorithm } from './algorithms.js';
import { decodeBase64urlStrict } from './base64url.js';
import { toFlattenedJws } from './flattened.js';
import { decodeProtectedHeader, rejectProcessingParameters } from './header.js';
import { decodeJsonObjectPart } from './json-part.js';
import { checkPublicJwk, jwkThumbprint } from './jwk.js';
import { quote } from './quote.js';
import type { VerifiedJws } from './verifier.js';

/** MAC algorithms allowed for External Account Binding (RFC 8555 §7.3.4, RFC 7518 §3.2). */
export type EabAlgorithm = 'HS256' | 'HS384' | 'HS512';

/** The EAB MAC algorithms, advertised in `algorithms` when one is refused. */
export const EAB_ALGORITHMS: readonly EabAlgorithm[] = ['HS256', 'HS384', 'HS512'];

const HASH_FOR: Readonly<Record<EabAlgorithm, string>> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

/** Options for {@link verifyEabJws}. */
export interface EabVerifyOptions {
  /** Finds the MAC key of an EAB key id; `undefined` when there is none. */
  readonly lookupMacKey: (keyId: string) => Promise<Uint8Array | undefined>;
}

/** An External Account Binding that passed every check. */
export interface VerifiedEab {
  /** The EAB key id (`kid` of the binding), to record on the new account. */
  readonly keyId: string;
  readonly alg: EabAlgorithm;
}

/**
 * Verifies the `externalAccountBinding` of a newAccount request (RFC 8555
 * §7.3.4) against the verified outer JWS (signed with `jwk`). In order:
 *
 * 1. a flattened JWS (exact members, strict base64url) with a strict JSON
 *    protected header → `malformed`;
 * 2. `alg` one of HS256/HS384/HS512 → `badSignatureAlgorithm`; `b64`/`crit`
 *    → `malformed`;
 * 3. a string `kid` → `malformed`; known to `lookupMacKey` → `unauthorized`;
 * 4. the MAC over the signing input, compared in constant time →
 *    `unauthorized`;
 * 5. no `nonce` → `malformed`;
 * 6. `url` equal to the outer `url` → `malformed` when absent,
 *    `unauthorized` when different;
 * 7. the payload is the outer account key (a public JWK with the same
 *    RFC 7638 thumbprint) → `malformed`.
 *
 * Whether the EAB key is already bound to another account is the handler's
 * decision.
 */
export async function verifyEabJws(binding: unknown, outer: VerifiedJws, options: EabVerifyOptions): Promise<VerifiedEab> {
  const what = 'External account binding JWS';
  const jws = toFlattenedJws(binding, what);
  const header = decodeProtectedHeader(jws.protected, what);
  const alg = checkAlgorithm(header['alg'], EAB_ALGORITHMS, what);
  rejectProcessingParameters(header, what);
  const keyId = header['kid'];
  if (typeof keyId !== 'string' || keyId === '') throw new CertwrightError('malformed', `${what} has no non-empty string 'kid' (RFC 8555 §7.3.4)`);
  const macKey = await options.lookupMacKey(keyId);
  if (macKey === undefined) throw new CertwrightError('unauthorized', `External account key id ${quote(keyId)} is not known to this server`);
  const expected = createHmac(HASH_FOR[alg], macKey).update(`${jws.protected}.${jws.payload}`, 'ascii').digest();
  const given = decodeBase64urlStrict(jws.signature);
  if (given === undefined || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new CertwrightError('unauthorized', `${what} MAC does not verify with the key ${quote(keyId)}`);
  }
  if (Object.hasOwn(header, 'nonce')) throw new CertwrightError('malformed', `${what} must not have a 'nonce' (RFC 8555 §7.3.4)`);
  const url = header['url'];
  if (typeof url !== 'string') throw new CertwrightError('malformed', `${what} has no string 'url' (RFC 8555 §7.3.4)`);
  if (url !== outer.protectedHeader.url) {
    throw new CertwrightError('unauthorized', `${what} 'url' ${quote(url)} differs from the outer JWS 'url' ${quote(outer.protectedHeader.url)} (RFC 8555 §7.3.4)`);
  }
  const payload = decodeJsonObjectPart(jws.payload, `${what} payload`);
  const boundKey = checkPublicJwk(payload, `${what} payload`);
  if (jwkThumbprint(boundKey) !== outer.thumbprint) throw new CertwrightError('malformed', `${what} payload is not the account key of the outer JWS (RFC 8555 §7.3.4)`);
  return { keyId, alg };
}
