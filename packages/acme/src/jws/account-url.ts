import { CertwrightError } from '@certwright/core';
import { quote } from './quote.js';

const ACCOUNT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

/**
 * Extracts the account id from a JWS `kid` (RFC 8555 §6.2: the account URL).
 * The `kid` must be this server's account URL: `accountUrlPrefix` followed by
 * an id of 1–128 URL-unreserved characters (no path, query or fragment).
 *
 * @throws CertwrightError `malformed` naming the `kid`.
 */
export function accountIdFromKid(kid: string, accountUrlPrefix: string): string {
  const id = kid.startsWith(accountUrlPrefix) ? kid.slice(accountUrlPrefix.length) : undefined;
  if (id === undefined || !ACCOUNT_ID.test(id)) {
    throw new CertwrightError('malformed', `JWS 'kid' ${quote(kid)} is not an account URL of this server (expected ${quote(accountUrlPrefix)} followed by an account id)`);
  }
  return id;
}
