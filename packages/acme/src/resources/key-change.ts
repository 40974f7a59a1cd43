/**
 * keyChange (RFC 8555 §7.3.5): the outer JWS is signed by the account's
 * current key (`kid`), the inner one by the new key (checked by
 * `verifyInnerJws`). A new key that already belongs to an account is
 * refused with 409 and that account's `Location`; the same key as now is
 * `malformed`. The change is compare-and-set on the account version.
 * @module
 */
import { CertwrightError, isCertwrightError } from '@certwright/core';
import { verifyInnerJws } from '../jws/index.js';
import type { EngineContext } from '../engine/context.js';
import type { AcmeRequest } from '../engine/http-types.js';
import { signingAccount, verifyPost } from '../engine/request.js';
import { jsonResponse } from '../engine/responses.js';
import type { ResponseParts } from '../engine/responses.js';
import { accountView } from '../engine/views.js';

async function keyInUse(ctx: EngineContext, thumbprint: string): Promise<CertwrightError | undefined> {
  const holder = await ctx.store.getAccountByThumbprint(thumbprint);
  if (holder === undefined) return undefined;
  const location = ctx.urls.account(holder.id);
  return new CertwrightError('conflict', 'The new key already belongs to an account (RFC 8555 §7.3.5)', { headers: { Location: location } });
}

/** POST keyChange. */
export async function keyChange(ctx: EngineContext, req: AcmeRequest, log: Record<string, unknown>): Promise<ResponseParts> {
  const verified = await verifyPost(ctx, req, 'kid');
  const account = signingAccount(verified);
  log['account'] = account.id;
  const inner = await verifyInnerJws(verified, { allowedAlgorithms: ctx.verifier.allowedAlgorithms });
  if (inner.thumbprint === account.thumbprint) throw new CertwrightError('malformed', 'The new key is the same as the current account key');
  const inUse = await keyInUse(ctx, inner.thumbprint);
  if (inUse !== undefined) throw inUse;
  let updated;
  try {
    updated = await ctx.store.updateAccount(account.id, account.version, { jwk: inner.jwk, thumbprint: inner.thumbprint });
  } catch (err) {
    if (isCertwrightError(err, 'conflict')) throw (await keyInUse(ctx, inner.thumbprint)) ?? err;
    throw err;
  }
  if (updated === undefined) throw new CertwrightError('conflict', 'The account was changed by another request; retry');
  ctx.logger({ level: 'info', event: 'acme.account.keyChanged', account: account.id });
  return jsonResponse(200, accountView(updated, ctx.urls), { location: ctx.urls.account(updated.id) });
}
