import { CertwrightError } from '../errors.js';
import { identifierKey, type Identifier } from '../identifier.js';
import { duplicateKey } from './store-errors.js';
import type { NewAuthorization, NewOrder } from './types.js';

/** What {@link linkOrderAuthorizations} needs to know of an authorization. */
export interface LinkableAuthorization {
  id: string;
  accountId: string;
  identifier: Identifier;
  wildcard: boolean;
}

/** The authorization key of an order identifier: `*.example.com` → (`dns:example.com`, wildcard). */
function authorizationKeyOf(identifier: Identifier): string {
  if (identifier.type === 'dns' && identifier.value.startsWith('*.')) {
    return `${identifierKey({ type: 'dns', value: identifier.value.slice(2) })}|*`;
  }
  return identifierKey(identifier);
}

function keyOfAuthorization(a: LinkableAuthorization): string {
  return `${identifierKey(a.identifier)}${a.wildcard ? '|*' : ''}`;
}

/**
 * Checks the ids inside one `createOrder` request: the new and reused
 * authorizations' ids, and the new challenges' ids, must be distinct (`conflict`
 * naming the repeated id otherwise). Checking against stored rows is the
 * store's job.
 */
export function checkNewOrderIds(newAuthorizations: readonly NewAuthorization[], reusedAuthorizationIds: readonly string[]): void {
  const authorizationIds = new Set<string>();
  const challengeIds = new Set<string>();
  for (const a of newAuthorizations) {
    if (authorizationIds.has(a.id)) throw duplicateKey('authorization', a.id);
    authorizationIds.add(a.id);
    for (const c of a.challenges) {
      if (challengeIds.has(c.id)) throw duplicateKey('challenge', c.id);
      challengeIds.add(c.id);
    }
  }
  for (const id of reusedAuthorizationIds) {
    if (authorizationIds.has(id)) throw duplicateKey('authorization', id);
    authorizationIds.add(id);
  }
}

/**
 * The order's `authorizationIds`: for each identifier of `order`, in order,
 * the one authorization (new or reused) for it, where `*.example.com` needs
 * a wildcard authorization of `example.com` (RFC 8555 §7.1.3). Every
 * authorization must belong to the order's account and be used by exactly
 * one identifier; otherwise throws `serverInternal` naming the identifier or
 * authorization (the caller assembled an inconsistent order).
 */
export function linkOrderAuthorizations(order: NewOrder, authorizations: readonly LinkableAuthorization[]): string[] {
  const byKey = new Map<string, LinkableAuthorization>();
  for (const a of authorizations) {
    if (a.accountId !== order.accountId) {
      throw new CertwrightError('serverInternal', `Authorization "${a.id}" belongs to another account than order "${order.id}"`);
    }
    const key = keyOfAuthorization(a);
    if (byKey.has(key)) {
      throw new CertwrightError('serverInternal', `Order "${order.id}" has two authorizations for ${key}`);
    }
    byKey.set(key, a);
  }
  const ids = order.identifiers.map((identifier) => {
    const a = byKey.get(authorizationKeyOf(identifier));
    if (a === undefined) {
      throw new CertwrightError('serverInternal', `Order "${order.id}" has no authorization for ${identifierKey(identifier)}`);
    }
    byKey.delete(authorizationKeyOf(identifier));
    return a.id;
  });
  const unused = [...byKey.values()];
  if (unused.length > 0) {
    throw new CertwrightError('serverInternal', `Authorization "${unused[0]!.id}" matches no identifier of order "${order.id}"`);
  }
  return ids;
}
