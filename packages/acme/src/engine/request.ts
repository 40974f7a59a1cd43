/**
 * Request helpers shared by resources: header lookup, JWS verification with
 * the resource's key mode, and account ownership checks.
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { Account } from '@certwright/core';
import type { JwsKeyMode, VerifiedJws } from '../jws/index.js';
import type { EngineContext } from './context.js';
import type { AcmeHeaders, AcmeRequest } from './http-types.js';

/** The first value of a header, matched case-insensitively. */
export function headerValue(headers: AcmeHeaders, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/** Runs every JWS check of RFC 8555 §6.2–6.5 on a POST (see `createJwsVerifier`). */
export function verifyPost(ctx: EngineContext, req: AcmeRequest, keyMode: JwsKeyMode): Promise<VerifiedJws<Account>> {
  return ctx.verifier.verify({ contentType: headerValue(req.headers, 'content-type'), body: req.body ?? new Uint8Array(0), url: req.url }, keyMode);
}

/** The full account behind a `kid`-signed request. */
export function signingAccount(verified: VerifiedJws<Account>): Account {
  const key = verified.account;
  if (key === undefined) throw new CertwrightError('malformed', "This request must be signed with 'kid', the account URL (RFC 8555 §6.2)");
  // The verifier read the whole account from the store for this request: no second read.
  return key;
}

/** Throws `unauthorized` unless `ownerId` is the requesting account. */
export function requireOwner(ownerId: string | undefined, account: Account, what: string): void {
  if (ownerId !== account.id) throw new CertwrightError('unauthorized', `The ${what} does not belong to the requesting account`);
}

/** Throws `malformed` unless the request is POST-as-GET (RFC 8555 §6.3). */
export function requirePostAsGet(verified: VerifiedJws, what: string): void {
  if (!verified.isPostAsGet) throw new CertwrightError('malformed', `Fetching the ${what} requires POST-as-GET: an empty payload (RFC 8555 §6.3)`);
}

/** The payload object, or `malformed` for POST-as-GET where a payload is required. */
export function requirePayload(verified: VerifiedJws, what: string): Record<string, unknown> {
  if (verified.payload === undefined) throw new CertwrightError('malformed', `The ${what} request needs a JSON object payload, not an empty one`);
  return verified.payload as Record<string, unknown>;
}
