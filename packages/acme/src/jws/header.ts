import { CertwrightError } from '@certwright/core';
import type { PublicJwk } from '@certwright/core';
import type { JwsAlgorithm } from './algorithms.js';
import { decodeJsonObjectPart } from './json-part.js';
import type { JsonObject } from './json-part.js';

/** A verified ACME JWS protected header (RFC 8555 §6.2). Unknown members are kept as sent. */
export interface JwsProtectedHeader {
  /** The signature algorithm, one of the allow-list. */
  readonly alg: JwsAlgorithm;
  /** Present for newAccount and revokeCert by certificate key; then `kid` is absent. As sent (see `VerifiedJws.jwk` for the canonical key). */
  readonly jwk?: PublicJwk;
  /** The account URL; present for every other request. */
  readonly kid?: string;
  /** The anti-replay nonce, already redeemed (RFC 8555 §6.5). */
  readonly nonce: string;
  /** The URL the request was signed for, equal to the request URL (RFC 8555 §6.4). */
  readonly url: string;
  readonly [member: string]: unknown;
}

/**
 * Decodes the protected header (strict base64url, UTF-8, JSON without
 * duplicate member names, an object).
 *
 * @throws CertwrightError `malformed`.
 */
export function decodeProtectedHeader(part: string, what = 'JWS'): JsonObject {
  return decodeJsonObjectPart(part, `${what} protected header`);
}

/**
 * Refuses header parameters ACME has no use for and that change how a JWS
 * is processed: `b64` (RFC 7797 unencoded payloads) and `crit` with any
 * value (ACME defines no critical extensions, RFC 7515 §4.1.11).
 *
 * @throws CertwrightError `malformed` naming the parameter.
 */
export function rejectProcessingParameters(header: JsonObject, what = 'JWS'): void {
  if (Object.hasOwn(header, 'b64')) throw new CertwrightError('malformed', `${what} header 'b64' is not allowed; ACME payloads are always base64url-encoded`);
  if (Object.hasOwn(header, 'crit')) throw new CertwrightError('malformed', `${what} header 'crit' is not allowed; ACME defines no critical header parameters`);
}
