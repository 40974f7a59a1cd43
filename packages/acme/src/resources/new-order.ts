/**
 * newOrder (RFC 8555 §7.4): identifiers through the identifier policy, one
 * authorization per identifier (a valid one of the same account reused when
 * enabled, never across the wildcard flag), profile, requested validity and
 * ARI `replaces`; the order, its new authorizations and their challenges
 * are written in one `createOrder` call. Rate limits, before that write:
 * refused when an identifier's failed-validation bucket or a registered
 * domain's certificate bucket is empty, and one `newOrdersPerAccount` token
 * taken (given back when the write fails).
 * @module
 */
import { CertwrightError, addMs, combineSubproblems, randomId } from '@certwright/core';
import type { Identifier, NewAuthorization, Subproblem } from '@certwright/core';
import type { EngineContext } from '../engine/context.js';
import type { AcmeRequest } from '../engine/http-types.js';
import { authorizationIdentifier, buildAuthorization, challengeTypesFor, pendingExpiry } from '../engine/authorization-plan.js';
import { requirePayload, signingAccount, verifyPost } from '../engine/request.js';
import { jsonResponse } from '../engine/responses.js';
import type { ResponseParts } from '../engine/responses.js';
import { orderView } from '../engine/views.js';
import { checkReplaces, checkValidityRequest, parseTimestamp, selectProfile } from './order-request.js';
import { refundAll, requireAvailable, takeAll } from '../engine/rate-limits.js';
import { certificateKeys, failedValidationKey, newOrderKey } from '../ratelimit/index.js';

/** Reads `identifiers`: a non-empty array (its items are checked by the identifier policy). */
export function requestedIdentifiers(payload: Record<string, unknown>): unknown[] {
  const ids = payload['identifiers'];
  if (!Array.isArray(ids) || ids.length === 0) throw new CertwrightError('malformed', "'identifiers' must be a non-empty array of identifier objects (RFC 8555 §7.4)");
  return ids;
}

interface Plan {
  newAuthorizations: NewAuthorization[];
  reusedIds: string[];
  earliestExpiry: number;
}

async function planAuthorizations(ctx: EngineContext, accountId: string, identifiers: readonly Identifier[], now: Date): Promise<Plan> {
  const plan: Plan = { newAuthorizations: [], reusedIds: [], earliestExpiry: Number.POSITIVE_INFINITY };
  const problems: Subproblem[] = [];
  const reuse = ctx.options.authorizationReuse;
  for (const requested of identifiers) {
    const { identifier, wildcard } = authorizationIdentifier(requested);
    if (reuse.enabled) {
      const found = await ctx.store.findReusableAuthorization(accountId, identifier, wildcard, addMs(now, reuse.minRemainingMs));
      if (found !== undefined && found.wildcard === wildcard) {
        plan.reusedIds.push(found.id);
        plan.earliestExpiry = Math.min(plan.earliestExpiry, found.expires.getTime());
        continue;
      }
    }
    const types = challengeTypesFor(ctx, identifier, wildcard);
    if (types.length === 0) {
      problems.push({ code: 'rejectedIdentifier', identifier: requested, detail: `No challenge type this server offers can validate ${requested.value}${wildcard ? ' (a wildcard needs dns-01)' : ''}` });
      continue;
    }
    plan.newAuthorizations.push(buildAuthorization(ctx, accountId, identifier, wildcard, types, now));
    plan.earliestExpiry = Math.min(plan.earliestExpiry, pendingExpiry(ctx, now).getTime());
  }
  if (problems.length > 0) throw combineSubproblems(problems);
  return plan;
}

/** POST newOrder, signed with `kid`. */
export async function newOrder(ctx: EngineContext, req: AcmeRequest, log: Record<string, unknown>): Promise<ResponseParts> {
  const verified = await verifyPost(ctx, req, 'kid');
  const account = signingAccount(verified);
  log['account'] = account.id;
  const payload = requirePayload(verified, 'newOrder');
  const identifiers = await ctx.identifierPolicy.check(requestedIdentifiers(payload) as Parameters<typeof ctx.identifierPolicy.check>[0]);
  const profile = selectProfile(ctx, payload['profile']);
  const notBefore = parseTimestamp(payload['notBefore'], 'notBefore');
  const notAfter = parseTimestamp(payload['notAfter'], 'notAfter');
  const now = ctx.clock.now();
  const replaces = await checkReplaces(ctx, account, payload['replaces'], identifiers);
  const plan = await planAuthorizations(ctx, account.id, identifiers, now);
  const expires = new Date(Math.min(now.getTime() + ctx.lifetimes.order, plan.earliestExpiry));
  checkValidityRequest(ctx, profile, notBefore, notAfter, expires);
  await requireAvailable(ctx, [...identifiers.map((i) => failedValidationKey(account.id, i)), ...certificateKeys(identifiers)]);
  const taken = await takeAll(ctx, [newOrderKey(account.id)]);
  const order = await ctx.store.createOrder(
    {
      id: randomId(ctx.random),
      accountId: account.id,
      identifiers,
      expires,
      createdAt: now,
      status: plan.newAuthorizations.length === 0 ? 'ready' : 'pending',
      ...(notBefore === undefined ? {} : { notBefore }),
      ...(notAfter === undefined ? {} : { notAfter }),
      ...(profile === undefined ? {} : { profile }),
      ...(replaces === undefined ? {} : { replaces }),
    },
    plan.newAuthorizations,
    plan.reusedIds,
  ).catch(async (err: unknown) => {
    await refundAll(ctx, taken);
    throw err;
  });
  log['order'] = order.id;
  ctx.logger({ level: 'info', event: 'acme.order.created', account: account.id, order: order.id, identifiers: identifiers.map((i) => i.value), reused: plan.reusedIds.length });
  return jsonResponse(201, orderView(order, ctx.urls), { location: ctx.urls.order(order.id) });
}
