/**
 * What a deactivated account leaves behind (RFC 8555 §7.3.6: the server
 * "SHOULD cancel any pending operations authorized by the account's key,
 * such as certificate orders"). The account's `pending` and `ready` orders
 * become `invalid` with an `unauthorized` error, and their `pending`
 * authorizations `deactivated`, so no validation still running for them is
 * recorded and nothing lingers as pending until it expires. Orders already
 * `processing` finish their issuance: the certificate is signed or about to
 * be, and stays revocable. Each change is a compare-and-set, so a request
 * racing the cancellation loses cleanly; a crash part-way leaves only
 * orders that nobody can use any more (every request of the account is
 * refused) to expire as usual.
 * @module
 */
import type { ProblemDocument } from '@certwright/core';
import type { EngineContext } from './context.js';

const ACCOUNT_DEACTIVATED: ProblemDocument = {
  type: 'urn:ietf:params:acme:error:unauthorized',
  detail: 'The account that placed this order was deactivated (RFC 8555 §7.3.6)',
  status: 403,
};

/** What {@link cancelAccountOrders} changed. */
export interface AccountCancellation {
  /** Orders moved to `invalid`. */
  orders: number;
  /** Authorizations moved to `deactivated`. */
  authorizations: number;
}

/** Cancels the pending and ready orders of the deactivated account `accountId`, and their pending authorizations. */
export async function cancelAccountOrders(ctx: EngineContext, accountId: string): Promise<AccountCancellation> {
  const done: AccountCancellation = { orders: 0, authorizations: 0 };
  const authorizationsSeen = new Set<string>();
  let cursor: string | undefined;
  do {
    // Read a page as the orders list does (RFC 8555 §7.1.2.1), so this walks the store the same way.
    const limit = ctx.ordersPageSize;
    const page = await ctx.store.listOrdersByAccount(accountId, cursor === undefined ? { limit } : { limit, cursor });
    for (const order of page.items) {
      if (order.status !== 'pending' && order.status !== 'ready') continue;
      const moved = await ctx.store.transitionOrder(order.id, ['pending', 'ready'], 'invalid', { updatedAt: ctx.clock.now(), error: ACCOUNT_DEACTIVATED });
      if (moved === undefined) continue;
      done.orders++;
      for (const id of order.authorizationIds) {
        if (authorizationsSeen.has(id)) continue;
        authorizationsSeen.add(id);
        if ((await ctx.store.transitionAuthorization(id, 'pending', 'deactivated')) !== undefined) done.authorizations++;
      }
    }
    cursor = page.next;
  } while (cursor !== undefined);
  return done;
}
