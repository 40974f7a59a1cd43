/**
 * newAccount (RFC 8555 §7.3, §7.3.1, §7.3.4).
 *
 * Decisions:
 * - A key that already has an account gets 200 with that account's
 *   `Location` and object (§7.3.1), unless the account is deactivated or
 *   revoked (`unauthorized`).
 * - When the directory advertises `termsOfService`, a new account must send
 *   `termsOfServiceAgreed: true`; otherwise `malformed` (as Boulder does;
 *   `userActionRequired` is kept for terms that changed later, §7.3.3).
 * - `newAccountsPerIp` (rate limit) is taken just before the account is
 *   written and given back when the write fails; finding an existing
 *   account costs nothing.
 * - An `externalAccountBinding`, when sent, is always verified, even when
 *   not required; the EAB key is bound in the same store write that creates
 *   the account, so a key binds at most one account.
 * @module
 */
import { CertwrightError, isCertwrightError, randomId } from '@certwright/core';
import type { Account } from '@certwright/core';
import { verifyEabJws } from '../jws/index.js';
import type { VerifiedJws } from '../jws/index.js';
import type { EngineContext } from '../engine/context.js';
import type { AcmeRequest } from '../engine/http-types.js';
import { requirePayload, verifyPost } from '../engine/request.js';
import { jsonResponse } from '../engine/responses.js';
import type { ResponseParts } from '../engine/responses.js';
import { accountView } from '../engine/views.js';
import { checkContacts } from './contacts.js';
import { refundAll, takeAll } from '../engine/rate-limits.js';
import { newAccountKey } from '../ratelimit/index.js';

function existingAccountResponse(ctx: EngineContext, account: Account): ResponseParts {
  if (account.status !== 'valid') throw new CertwrightError('inactiveAccount', `The account for this key is ${account.status} (RFC 8555 §7.3.6)`);
  return jsonResponse(200, accountView(account, ctx.urls), { location: ctx.urls.account(account.id) });
}

function optionalBoolean(payload: Record<string, unknown>, name: string): boolean | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new CertwrightError('malformed', `'${name}' must be a boolean`);
  return value;
}

async function checkBinding(ctx: EngineContext, payload: Record<string, unknown>, verified: VerifiedJws): Promise<string | undefined> {
  const binding = payload['externalAccountBinding'];
  if (binding === undefined) {
    if (ctx.options.meta?.externalAccountRequired === true) throw new CertwrightError('externalAccountRequired', 'This server requires an externalAccountBinding on newAccount (RFC 8555 §7.3.4)');
    return undefined;
  }
  const eab = await verifyEabJws(binding, verified, { lookupMacKey: ctx.lookupMacKey });
  const key = await ctx.store.getEabKey(eab.keyId);
  if (key?.boundAccountId !== undefined) throw new CertwrightError('unauthorized', `The external account key ${JSON.stringify(eab.keyId)} is already bound to an account`);
  return eab.keyId;
}

/** POST newAccount, signed with `jwk`. */
export async function newAccount(ctx: EngineContext, req: AcmeRequest, log: Record<string, unknown>): Promise<ResponseParts> {
  const verified = await verifyPost(ctx, req, 'jwk');
  const payload = requirePayload(verified, 'newAccount');
  const onlyReturnExisting = optionalBoolean(payload, 'onlyReturnExisting') ?? false;
  const agreed = optionalBoolean(payload, 'termsOfServiceAgreed') ?? false;
  const existing = await ctx.store.getAccountByThumbprint(verified.thumbprint);
  if (existing !== undefined) {
    log['account'] = existing.id;
    return existingAccountResponse(ctx, existing);
  }
  if (onlyReturnExisting) throw new CertwrightError('accountDoesNotExist', 'No account exists for this key and onlyReturnExisting is true (RFC 8555 §7.3.1)');
  const contact = payload['contact'] === undefined ? [] : checkContacts(payload['contact']);
  if (ctx.options.meta?.termsOfService !== undefined && !agreed) {
    throw new CertwrightError('malformed', `You must agree to the terms of service (${ctx.options.meta.termsOfService}) with termsOfServiceAgreed: true`);
  }
  const eabKeyId = await checkBinding(ctx, payload, verified);
  const taken = await takeAll(ctx, [newAccountKey(req.remoteAddress)]);
  const id = randomId(ctx.random);
  let account: Account;
  try {
    account = await ctx.store.createAccount({
      id,
      jwk: verified.jwk,
      thumbprint: verified.thumbprint,
      contact,
      termsOfServiceAgreed: agreed,
      createdAt: ctx.clock.now(),
      ...(eabKeyId === undefined ? {} : { eabKeyId }),
    });
  } catch (err) {
    await refundAll(ctx, taken);
    if (isCertwrightError(err, 'conflict')) {
      const raced = await ctx.store.getAccountByThumbprint(verified.thumbprint);
      if (raced !== undefined) return existingAccountResponse(ctx, raced);
    }
    throw err;
  }
  log['account'] = account.id;
  ctx.logger({ level: 'info', event: 'acme.account.created', account: account.id, eabKeyId });
  return jsonResponse(201, accountView(account, ctx.urls), { location: ctx.urls.account(account.id) });
}
