import { CertwrightError } from '@certwright/core';
import type { EngineContext } from '../engine/context.js';
import type { AcmeRequest } from '../engine/http-types.js';
import { requireOwner, requirePostAsGet, signingAccount, verifyPost } from '../engine/request.js';
import { jsonResponse } from '../engine/responses.js';
import type { ResponseParts } from '../engine/responses.js';
import { currentOrder } from '../engine/state.js';
import { orderView } from '../engine/views.js';

/**
 * The order resource (RFC 8555 §7.1.3), POST-as-GET by its account. Its
 * status is brought up to date first (pending → ready/invalid, expiry),
 * persisted by compare-and-set; a processing order carries `Retry-After`.
 */
export async function getOrder(ctx: EngineContext, req: AcmeRequest, id: string, log: Record<string, unknown>): Promise<ResponseParts> {
  const verified = await verifyPost(ctx, req, 'kid');
  const account = signingAccount(verified);
  log['account'] = account.id;
  requirePostAsGet(verified, 'order');
  const stored = await ctx.store.getOrder(id);
  if (stored === undefined) throw new CertwrightError('notFound', 'No such order');
  requireOwner(stored.accountId, account, 'order');
  const order = await currentOrder(ctx, stored);
  return jsonResponse(200, orderView(order, ctx.urls), order.status === 'processing' ? { retryAfterSeconds: ctx.retryAfterSeconds } : {});
}
