/**
 * The authorization resource (RFC 8555 §7.5): POST-as-GET by its account
 * (an expired one is shown, and stored, as `expired`), or deactivation with
 * `{"status":"deactivated"}` (§7.5.2) from pending or valid, by
 * compare-and-set.
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { EngineContext } from '../engine/context.js';
import type { AcmeRequest } from '../engine/http-types.js';
import { requireOwner, signingAccount, verifyPost } from '../engine/request.js';
import { jsonResponse } from '../engine/responses.js';
import type { ResponseParts } from '../engine/responses.js';
import { currentAuthorization } from '../engine/state.js';
import { authorizationView } from '../engine/views.js';

/** POST to an authorization URL, signed with `kid`. */
export async function postAuthorization(ctx: EngineContext, req: AcmeRequest, id: string, log: Record<string, unknown>): Promise<ResponseParts> {
  const verified = await verifyPost(ctx, req, 'kid');
  const account = signingAccount(verified);
  log['account'] = account.id;
  const stored = await ctx.store.getAuthorization(id);
  if (stored === undefined) throw new CertwrightError('notFound', 'No such authorization');
  requireOwner(stored.accountId, account, 'authorization');
  const payload = verified.payload;
  if (payload !== undefined && Object.keys(payload).length > 0) {
    const status = payload['status'];
    if (status !== 'deactivated') throw new CertwrightError('malformed', `An authorization's status can only be set to "deactivated" (RFC 8555 §7.5.2), got ${JSON.stringify(status ?? null)}`);
    const current = await currentAuthorization(ctx, stored);
    if (current.status !== 'pending' && current.status !== 'valid') throw new CertwrightError('malformed', `The authorization is ${current.status} and cannot be deactivated`);
    const moved = await ctx.store.transitionAuthorization(id, ['pending', 'valid'], 'deactivated');
    if (moved === undefined) throw new CertwrightError('conflict', 'The authorization changed while it was being deactivated; retry');
    ctx.logger({ level: 'info', event: 'acme.authorization.deactivated', account: account.id, authorization: id });
    return jsonResponse(200, authorizationView(await currentAuthorization(ctx, moved), ctx.urls));
  }
  return jsonResponse(200, authorizationView(await currentAuthorization(ctx, stored), ctx.urls));
}
