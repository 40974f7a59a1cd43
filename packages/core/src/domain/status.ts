import { CertwrightError } from '../errors.js';

/** Account status (RFC 8555 §7.1.6). */
export type AccountStatus = 'valid' | 'deactivated' | 'revoked';
/** Order status (RFC 8555 §7.1.6). */
export type OrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';
/** Authorization status (RFC 8555 §7.1.6). */
export type AuthorizationStatus = 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked';
/** Challenge status (RFC 8555 §7.1.6). */
export type ChallengeStatus = 'pending' | 'processing' | 'valid' | 'invalid';

type Machine<S extends string> = Readonly<Record<S, readonly S[]>>;

/**
 * Legal account transitions (RFC 8555 §7.1.6): a valid account may be
 * deactivated by its holder (§7.3.6) or revoked by the server. Both are final.
 */
export const ACCOUNT_TRANSITIONS: Machine<AccountStatus> = {
  valid: ['deactivated', 'revoked'],
  deactivated: [],
  revoked: [],
};

/**
 * Legal order transitions (RFC 8555 §7.1.6): pending → ready once every
 * authorization is valid; ready → processing on finalize; processing → valid
 * when the certificate is issued. Any non-final state may become invalid
 * (expiry, a failed authorization, an issuance error).
 */
export const ORDER_TRANSITIONS: Machine<OrderStatus> = {
  pending: ['ready', 'invalid'],
  ready: ['processing', 'invalid'],
  processing: ['valid', 'invalid'],
  valid: [],
  invalid: [],
};

/**
 * Legal authorization transitions (RFC 8555 §7.1.6): pending → valid or
 * invalid by challenge outcome; pending or valid → deactivated by the client
 * (§7.5.2) or expired by time; valid → revoked by the server.
 */
export const AUTHORIZATION_TRANSITIONS: Machine<AuthorizationStatus> = {
  pending: ['valid', 'invalid', 'deactivated', 'expired'],
  valid: ['revoked', 'deactivated', 'expired'],
  invalid: [],
  deactivated: [],
  expired: [],
  revoked: [],
};

/**
 * Legal challenge transitions (RFC 8555 §7.1.6): pending → processing when
 * the client responds; processing → valid or invalid by validation outcome.
 * A pending challenge becomes invalid when its authorization fails by another
 * path (another challenge failed, or the authorization expired).
 */
export const CHALLENGE_TRANSITIONS: Machine<ChallengeStatus> = {
  pending: ['processing', 'invalid'],
  processing: ['valid', 'invalid'],
  valid: [],
  invalid: [],
};

function check<S extends string>(kind: string, machine: Machine<S>, from: S, to: S): S {
  const allowed = machine[from];
  if (allowed === undefined) throw new CertwrightError('serverInternal', `Unknown ${kind} status "${from}"`);
  if (!allowed.includes(to)) {
    throw new CertwrightError('conflict', `The ${kind} cannot change from "${from}" to "${to}"`);
  }
  return to;
}

/** True when `from → to` is a legal transition in `machine`. */
export function canTransition<S extends string>(machine: Machine<S>, from: S, to: S): boolean {
  return machine[from]?.includes(to) ?? false;
}

/** Returns `to` if an account may move there from `from`; throws `conflict` otherwise. */
export function transitionAccount(from: AccountStatus, to: AccountStatus): AccountStatus {
  return check('account', ACCOUNT_TRANSITIONS, from, to);
}

/** Returns `to` if an order may move there from `from`; throws `conflict` otherwise. */
export function transitionOrder(from: OrderStatus, to: OrderStatus): OrderStatus {
  return check('order', ORDER_TRANSITIONS, from, to);
}

/** Returns `to` if an authorization may move there from `from`; throws `conflict` otherwise. */
export function transitionAuthorization(from: AuthorizationStatus, to: AuthorizationStatus): AuthorizationStatus {
  return check('authorization', AUTHORIZATION_TRANSITIONS, from, to);
}

/** Returns `to` if a challenge may move there from `from`; throws `conflict` otherwise. */
export function transitionChallenge(from: ChallengeStatus, to: ChallengeStatus): ChallengeStatus {
  return check('challenge', CHALLENGE_TRANSITIONS, from, to);
}

/**
 * The status an order should have given its authorizations' statuses
 * (RFC 8555 §7.1.6): `invalid` if any authorization is not pending or valid,
 * `ready` when all are valid, otherwise `pending`. Applies only to orders that
 * are still pending; others keep their own status.
 */
export function orderStatusFromAuthorizations(
  current: OrderStatus,
  authorizations: readonly AuthorizationStatus[],
): OrderStatus {
  if (current !== 'pending') return current;
  if (authorizations.some((s) => s !== 'pending' && s !== 'valid')) return 'invalid';
  if (authorizations.length > 0 && authorizations.every((s) => s === 'valid')) return 'ready';
  return 'pending';
}
