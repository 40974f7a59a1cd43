/**
 * The account resource (RFC 8555 §7.3.2 update, §7.3.6 deactivation):
 * POST-as-GET returns it; a payload may change `contact` or set
 * `status: "deactivated"` (final; later requests by the account are
 * `unauthorized`, and its pending orders are cancelled in the background).
 * Updates are compare-and-set on the account version.
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { Account, AccountChanges } from '@certwright/core';
import type { EngineContext } from '../engine/context.js';
import type { AcmeRequest } from '../engine/http-types.js';
import { requireOwner, signingAccount, verifyPost } from '../engine/request.js';
import { jsonResponse } from '../engine/responses.js';
import type { ResponseParts } from '../engine/responses.js';
import { accountView } from '../engine/views.js';
import { cancelAccountOrders } from '../engine/account-cancellation.js';
import { checkContacts } from './contacts.js';

function changesFrom(payload: Record<string, unknown>): AccountChanges {
  const changes: AccountChanges = {};
  const status = payload['status'];
  if (status !== undefined) {
    if (status !== 'deactivated') throw new CertwrightError('malformed', `An account's status can only be set to "deactivated" (RFC 8555 §7.3.6), got ${JSON.stringify(status)}`);
    changes.status = 'deactivated';
  }
  if (payload['contact'] !== undefined) changes.contact = checkContacts(payload['contact']);
  return changes;
}

/** POST to an account URL, signed with `kid` by that account. */
export async function postAccount(ctx: EngineContext, req: AcmeRequest, id: string, log: Record<string, unknown>): Promise<ResponseParts> {
  const verified = await verifyPost(ctx, req, 'kid');
  let account = signingAccount(verified);
  log['account'] = account.id;
  requireOwner(id, account, 'account URL');
  if (verified.payload !== undefined) {
    const changes = changesFrom(verified.payload as Record<string, unknown>);
    if (Object.keys(changes).length > 0) {
      const updated: Account | undefined = await ctx.store.updateAccount(account.id, account.version, changes);
      if (updated === undefined) throw new CertwrightError('conflict', 'The account was changed by another request; retry');
      account = updated;
      ctx.logger({ level: 'info', event: changes.status === 'deactivated' ? 'acme.account.deactivated' : 'acme.account.updated', account: account.id });
      if (changes.status === 'deactivated') {
        const accountId = account.id;
        ctx.background.run(`cancel the orders of account ${accountId}`, async () => {
          const cancelled = await cancelAccountOrders(ctx, accountId);
          ctx.logger({ level: 'info', event: 'acme.account.orders_cancelled', account: accountId, ...cancelled });
        });
      }
    }
  }
  return jsonResponse(200, accountView(account, ctx.urls), { location: ctx.urls.account(account.id) });
}
