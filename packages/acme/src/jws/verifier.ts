import { CertwrightError } from '@certwright/core';
import type { AccountStatus, PublicJwk } from '@certwright/core';
import { accountIdFromKid } from './account-url.js';
import { checkAlgorithm, checkKeyMatchesAlgorithm, resolveAllowedAlgorithms } from './algorithms.js';
import type { JwsAlgorithm } from './algorithms.js';
import { isStrictBase64url } from './base64url.js';
import { parseJwsBody } from './flattened.js';
import type { FlattenedJws } from './flattened.js';
import { decodeProtectedHeader, rejectProcessingParameters } from './header.js';
import type { JwsProtectedHeader } from './header.js';
import { decodeJsonObjectPart } from './json-part.js';
import type { JsonObject } from './json-part.js';
import { checkPublicJwk, jwkThumbprint } from './jwk.js';
import { LruCache } from './lru-cache.js';
import { checkJoseMediaType } from './media-type.js';
import { quote } from './quote.js';
import { importVerificationKey, verifyJwsSignature } from './signature.js';
import type { VerificationKey } from './signature.js';

/**
 * Which key a resource accepts (RFC 8555 §6.2): `jwk` for newAccount (and
 * revokeCert signed by the certificate key), `kid` for everything else,
 * `either` for revokeCert, which allows both.
 */
export type JwsKeyMode = 'jwk' | 'kid' | 'either';

/** What the verifier needs to know about an account named by `kid`. */
export interface AccountKey {
  /** The account id, as found after `accountUrlPrefix` in the `kid`. */
  readonly id: string;
  /** Only `valid` accounts may sign requests (RFC 8555 §7.1.6). */
  readonly status: AccountStatus;
  /** The account's current public key. */
  readonly jwk: PublicJwk;
}

/** Configuration of {@link createJwsVerifier}; `A` is what `lookupAccount` returns (the engine passes whole store accounts). */
export interface JwsVerifierOptions<A extends AccountKey = AccountKey> {
  /** Algorithms accepted (default RS256, ES256, ES384, ES512). */
  readonly allowedAlgorithms?: readonly JwsAlgorithm[];
  /** Accept EdDSA (Ed25519, RFC 8037) as well (default false). */
  readonly allowEdDsa?: boolean;
  /** This server's account URL prefix, e.g. `https://ca.example/acme/acct/`; a `kid` must start with it. */
  readonly accountUrlPrefix: string;
  /** Finds an account by id; `undefined` when there is none. */
  readonly lookupAccount: (id: string) => Promise<A | undefined>;
  /** Consumes a nonce: true exactly once for a nonce this server issued and that has not expired (RFC 8555 §6.5). */
  readonly redeemNonce: (nonce: string) => Promise<boolean>;
  /** The largest request body accepted, in bytes (default 65,536). */
  readonly maxBodyBytes?: number;
  /** How many imported keys the verifier's own cache holds (default 1,024); ignored when `keyCache` is given. */
  readonly keyCacheSize?: number;
  /** A cache of imported keys to use instead of one owned by the verifier. */
  readonly keyCache?: LruCache<string, VerificationKey>;
}

/** An incoming ACME POST, as the HTTP adapter sees it. */
export interface JwsRequest {
  /** The `Content-Type` header value. */
  readonly contentType: string | undefined;
  readonly body: Uint8Array | string;
  /** The full external URL of the request, compared to the JWS `url` (RFC 8555 §6.4). */
  readonly url: string;
}

/** A request whose JWS passed every check; `account` is what the verifier's `lookupAccount` returned. */
export interface VerifiedJws<A extends AccountKey = AccountKey> {
  /** The decoded protected header, every member as sent plus the checked `alg`, `nonce` and `url`. */
  readonly protectedHeader: JwsProtectedHeader;
  /** The payload object; `undefined` for POST-as-GET. */
  readonly payload: JsonObject | undefined;
  /** True when the payload was the empty string (RFC 8555 §6.3). */
  readonly isPostAsGet: boolean;
  /** The account named by `kid`; absent when the JWS carried a `jwk`. */
  readonly account?: A;
  /** The public key that verified the signature, in canonical form (see {@link checkPublicJwk}). */
  readonly jwk: PublicJwk;
  /** RFC 7638 thumbprint of {@link jwk}, base64url SHA-256. */
  readonly thumbprint: string;
}

/** Verifies ACME request JWSs; see {@link createJwsVerifier}. */
export interface JwsVerifier<A extends AccountKey = AccountKey> {
  /** The effective algorithm allow-list, to advertise and to hand to {@link verifyInnerJws}. */
  readonly allowedAlgorithms: readonly JwsAlgorithm[];
  /**
   * Runs every check on one request, in order, and stops at the first failure.
   *
   * @throws CertwrightError with the code of the first failed check.
   */
  verify(request: JwsRequest, keyMode: JwsKeyMode): Promise<VerifiedJws<A>>;
}

/** Default {@link JwsVerifierOptions.maxBodyBytes}. */
export const DEFAULT_MAX_JWS_BODY_BYTES = 64 * 1024;
/** Default {@link JwsVerifierOptions.keyCacheSize}. */
export const DEFAULT_KEY_CACHE_SIZE = 1024;

/**
 * Creates the verifier of ACME request JWSs (RFC 8555 §6.2–6.5). Its
 * `verify` runs these checks strictly in this order and throws a
 * `CertwrightError` at the first that fails:
 *
 * 1. media type `application/jose+json` → `unsupportedMediaType` (415);
 * 2. body: size cap, strict UTF-8 and JSON, a flattened JWS with exactly
 *    `protected`, `payload`, `signature` → `malformed`;
 * 3. strict base64url of every part; the protected header is a JSON object
 *    without duplicate member names → `malformed`;
 * 4. `alg` in the allow-list → `badSignatureAlgorithm` (listing `algorithms`);
 *    `b64` or `crit` present → `malformed`;
 * 5. exactly one of `jwk` / `kid`, as `keyMode` allows → `malformed`; a
 *    `jwk` must be an acceptable public key → `badPublicKey`; a `kid` must be
 *    this server's account URL → `malformed`, of an existing account →
 *    `accountDoesNotExist`, that is valid → `unauthorized`; the key must suit
 *    `alg` → `badSignatureAlgorithm`;
 * 6. the signature → `malformed`;
 * 7. `nonce` present, base64url, and redeemed → `badNonce` (after the
 *    signature, so unsigned junk cannot burn nonces);
 * 8. `url` present → `malformed`, equal to the request URL → `unauthorized`
 *    (RFC 8555 §6.4);
 * 9. payload: empty is POST-as-GET (RFC 8555 §6.3); otherwise strict
 *    base64url, UTF-8, a JSON object without duplicate names → `malformed`.
 *
 * @throws RangeError on an invalid configuration.
 */
export function createJwsVerifier<A extends AccountKey = AccountKey>(options: JwsVerifierOptions<A>): JwsVerifier<A> {
  const allowed = resolveAllowedAlgorithms(options.allowedAlgorithms, options.allowEdDsa ?? false);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_JWS_BODY_BYTES;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes <= 0) throw new RangeError(`maxBodyBytes must be a positive integer, got ${maxBodyBytes}`);
  if (options.accountUrlPrefix === '') throw new RangeError('accountUrlPrefix must not be empty');
  const keyCache = options.keyCache ?? new LruCache<string, VerificationKey>(options.keyCacheSize ?? DEFAULT_KEY_CACHE_SIZE);

  async function resolveKey(header: JsonObject, alg: JwsAlgorithm, keyMode: JwsKeyMode): Promise<{ jwk: PublicJwk; thumbprint: string; account?: A }> {
    const hasJwk = Object.hasOwn(header, 'jwk');
    const hasKid = Object.hasOwn(header, 'kid');
    if (hasJwk && hasKid) throw new CertwrightError('malformed', "JWS protected header has both 'jwk' and 'kid'; exactly one is allowed (RFC 8555 §6.2)");
    if (!hasJwk && !hasKid) throw new CertwrightError('malformed', "JWS protected header has neither 'jwk' nor 'kid'; exactly one is required (RFC 8555 §6.2)");
    if (hasJwk) {
      if (keyMode === 'kid') throw new CertwrightError('malformed', "This resource requires a JWS with 'kid' (the account URL), not 'jwk' (RFC 8555 §6.2)");
      const jwk = checkPublicJwk(header['jwk'], "JWS 'jwk' header");
      checkKeyMatchesAlgorithm(jwk, alg, allowed);
      return { jwk, thumbprint: jwkThumbprint(jwk) };
    }
    if (keyMode === 'jwk') throw new CertwrightError('malformed', "This resource requires a JWS with 'jwk' (the account key), not 'kid' (RFC 8555 §6.2)");
    const kid = header['kid'];
    if (typeof kid !== 'string') throw new CertwrightError('malformed', "JWS header 'kid' must be a string");
    const id = accountIdFromKid(kid, options.accountUrlPrefix);
    const account = await options.lookupAccount(id);
    if (account === undefined) throw new CertwrightError('accountDoesNotExist', `No account exists at ${quote(kid)}`);
    if (account.status !== 'valid') throw new CertwrightError('inactiveAccount', `The account at ${quote(kid)} is ${account.status} (RFC 8555 §7.3.6)`);
    const jwk = checkPublicJwk(account.jwk, 'The account key');
    checkKeyMatchesAlgorithm(jwk, alg, allowed);
    return { jwk, thumbprint: jwkThumbprint(jwk), account };
  }

  async function checkNonce(header: JsonObject): Promise<string> {
    const nonce = header['nonce'];
    if (nonce === undefined) throw new CertwrightError('badNonce', "JWS protected header has no 'nonce' (RFC 8555 §6.5)");
    if (typeof nonce !== 'string' || nonce === '' || !isStrictBase64url(nonce)) throw new CertwrightError('badNonce', "JWS header 'nonce' is not a non-empty base64url string (RFC 8555 §6.5.1)");
    if (!(await options.redeemNonce(nonce))) throw new CertwrightError('badNonce', 'JWS nonce is unknown, expired or already used');
    return nonce;
  }

  function checkUrl(header: JsonObject, requestUrl: string): string {
    const url = header['url'];
    if (url === undefined) throw new CertwrightError('malformed', "JWS protected header has no 'url' (RFC 8555 §6.4)");
    if (typeof url !== 'string') throw new CertwrightError('malformed', "JWS header 'url' must be a string");
    if (url !== requestUrl) throw new CertwrightError('unauthorized', `JWS header 'url' ${quote(url)} does not match the request URL ${quote(requestUrl)} (RFC 8555 §6.4)`);
    return url;
  }

  function decodePayload(jws: FlattenedJws): JsonObject | undefined {
    if (jws.payload === '') return undefined;
    return decodeJsonObjectPart(jws.payload, 'JWS payload');
  }

  return {
    allowedAlgorithms: allowed,
    async verify(request: JwsRequest, keyMode: JwsKeyMode): Promise<VerifiedJws<A>> {
      checkJoseMediaType(request.contentType);
      const jws = parseJwsBody(request.body, maxBodyBytes);
      const header = decodeProtectedHeader(jws.protected);
      const alg = checkAlgorithm(header['alg'], allowed);
      rejectProcessingParameters(header);
      const key = await resolveKey(header, alg, keyMode);
      const cryptoKey = await importVerificationKey(key.jwk, alg, key.thumbprint, keyCache, 'The JWS key');
      await verifyJwsSignature(jws, cryptoKey, alg);
      const nonce = await checkNonce(header);
      const url = checkUrl(header, request.url);
      const payload = decodePayload(jws);
      const protectedHeader: JwsProtectedHeader = { ...header, alg, nonce, url };
      const result: VerifiedJws<A> = { protectedHeader, payload, isPostAsGet: payload === undefined, jwk: key.jwk, thumbprint: key.thumbprint };
      return key.account === undefined ? result : { ...result, account: key.account };
    },
  };
}
