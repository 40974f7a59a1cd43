import { CertwrightError } from '../errors.js';

/**
 * The errors every {@link Store} implementation throws for the same
 * situations, with the same codes and details, so that the store contract
 * suite holds for all of them.
 */

/** `conflict`: another account already uses this key thumbprint (RFC 8555 §7.3, §7.3.5). */
export function thumbprintInUse(thumbprint: string): CertwrightError {
  return new CertwrightError('conflict', `An account with key thumbprint "${thumbprint}" already exists`);
}

/** `conflict`: a row with this id (or key) already exists. */
export function duplicateKey(kind: string, id: string): CertwrightError {
  return new CertwrightError('conflict', `A ${kind} with id "${id}" already exists`);
}

/** `unauthorized`: the EAB key id is unknown (RFC 8555 §7.3.4). */
export function unknownEabKey(keyId: string): CertwrightError {
  return new CertwrightError('unauthorized', `Unknown external account binding key "${keyId}"`);
}

/** `unauthorized`: the EAB key was already bound to an account; a key binds once (RFC 8555 §7.3.4). */
export function eabKeyAlreadyBound(keyId: string): CertwrightError {
  return new CertwrightError('unauthorized', `The external account binding key "${keyId}" is already bound to an account`);
}

/** `conflict`: the serial is already reserved, by any issuer. */
export function serialInUse(serial: string): CertwrightError {
  return new CertwrightError('conflict', `Serial ${serial} is already reserved`);
}

/** `conflict`: an authorization to reuse in a new order does not exist (any more). */
export function unknownReusedAuthorization(id: string): CertwrightError {
  return new CertwrightError('conflict', `Authorization "${id}" to reuse does not exist`);
}

/** `badRevocationReason`: re-revocation may only change a reason to keyCompromise (RFC 5280 §5.3.1, RFC 8555 §7.6). */
export function reRevocationNotKeyCompromise(to: number): CertwrightError {
  return new CertwrightError('badRevocationReason', `A revocation reason can only be changed to keyCompromise (1), not ${to}`);
}
