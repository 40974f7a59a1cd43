/**
 * Which revocation reasons (RFC 5280 §5.3.1) a subscriber may ask for, after
 * Boulder's rules:
 * - allowed: absent (= 0 unspecified), 0, 1 keyCompromise, 3
 *   affiliationChanged, 4 superseded, 5 cessationOfOperation;
 * - keyCompromise only when the request is signed by the certificate's own
 *   key (proof of possession), because it blocks the key for future
 *   issuance;
 * - 9 privilegeWithdrawn, 2 cACompromise, 6 certificateHold,
 *   8 removeFromCRL, 10 aACompromise are reserved to the CA's operators;
 * - an account that did not order the certificate but holds valid
 *   authorizations for all its names gets cessationOfOperation (5)
 *   whatever it asked for (it proves control of the names, not of the key
 *   or the subscriber relationship).
 * Anything else is `badRevocationReason` naming the reason.
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { RevocationReason } from '@certwright/core';

/** Reasons any authorized requester may give. */
export const SUBSCRIBER_REASONS: readonly RevocationReason[] = [0, 1, 3, 4, 5];

/** How the revocation request was authorized. */
export type RevocationAuthority = 'certificateKey' | 'issuingAccount' | 'authorizedAccount';

/** Reads the `reason` member: absent → 0; otherwise an allowed integer or `badRevocationReason`. */
export function parseReason(value: unknown): RevocationReason {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new CertwrightError('badRevocationReason', `'reason' must be an integer RFC 5280 CRLReason code, got ${JSON.stringify(value)}`);
  if (!(SUBSCRIBER_REASONS as readonly number[]).includes(value)) {
    throw new CertwrightError('badRevocationReason', `Revocation reason ${value} is not allowed; subscribers may use ${SUBSCRIBER_REASONS.join(', ')} (RFC 5280 §5.3.1)`);
  }
  return value as RevocationReason;
}

/** The reason to record, given who asked; keyCompromise needs the certificate key. */
export function effectiveReason(requested: RevocationReason, authority: RevocationAuthority): RevocationReason {
  if (requested === 1 && authority !== 'certificateKey') {
    throw new CertwrightError('badRevocationReason', 'Revocation for keyCompromise (1) must be signed with the certificate key (a JWS with its "jwk"), proving possession of it');
  }
  return authority === 'authorizedAccount' ? 5 : requested;
}
