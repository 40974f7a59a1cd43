import type { EngineContext } from '../engine/context.js';
import type { AcmeRequest } from '../engine/http-types.js';
import { requireOwner, requirePostAsGet, signingAccount, verifyPost } from '../engine/request.js';
import { jsonResponse, link } from '../engine/responses.js';
import type { ResponseParts } from '../engine/responses.js';

/**
 * An account's orders (RFC 8555 §7.1.2.1), POST-as-GET by the account,
 * newest first, one store page per response with `Link: <next>;rel="next"`.
 * Invalid orders are left out (the RFC's SHOULD NOT), so a page may hold
 * fewer URLs than the page size while a next page still exists.
 */
export async function listOrders(ctx: EngineContext, req: AcmeRequest, id: string, cursor: string | undefined, log: Record<string, unknown>): Promise<ResponseParts> {
  const verified = await verifyPost(ctx, req, 'kid');
  const account = signingAccount(verified);
  log['account'] = account.id;
  requireOwner(id, account, 'orders list');
  requirePostAsGet(verified, 'orders list');
  const page = await ctx.store.listOrdersByAccount(account.id, cursor === undefined ? { limit: ctx.ordersPageSize } : { limit: ctx.ordersPageSize, cursor });
  const orders = page.items.filter((o) => o.status !== 'invalid').map((o) => ctx.urls.order(o.id));
  return jsonResponse(200, { orders }, page.next === undefined ? {} : { links: [link(ctx.urls.orders(account.id, page.next), 'next')] });
}
