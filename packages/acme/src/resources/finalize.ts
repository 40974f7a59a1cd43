/**
 * finalize (RFC 8555 §7.4): the order must be `ready` (`orderNotReady`,
 * 403), every authorization still valid, and the CSR accepted by the
 * issuance engine's `prepare` (`badCSR` and friends) before the order moves
 * ready → processing by compare-and-set — so two concurrent finalizes
 * produce one certificate. Issuance runs in the background; the response
 * shows the processing order with `Retry-After`, or — when the engine's
 * `finalizeWaitMs` allows and issuance ends within it — the order as it
 * ended (valid with its certificate URL, or invalid). Success moves the order to
 * valid with its certificate serial; failure to invalid with the problem.
 * One `certificatesPerDomain` token per registered domain is taken before
 * the order moves to processing and given back when issuance fails.
 * @module
 */
import { CertwrightError, combineSubproblems, jwkToSpki, toProblem } from '@certwright/core';
import type { Order, PreparedIssuance } from '@certwright/core';
import { decodeBase64urlStrict } from '../jws/index.js';
import type { EngineContext } from '../engine/context.js';
import type { AcmeRequest } from '../engine/http-types.js';
import { requireOwner, requirePayload, signingAccount, verifyPost } from '../engine/request.js';
import { jsonResponse } from '../engine/responses.js';
import type { ResponseParts } from '../engine/responses.js';
import { currentAuthorizations, currentOrder } from '../engine/state.js';
import { orderView } from '../engine/views.js';
import { settlesWithin } from '../engine/settle.js';
import { recheckCaaForOrder } from '../validation/caa-recheck.js';
import { refundAll, takeAll } from '../engine/rate-limits.js';
import { untilRecorded } from '../engine/until-recorded.js';
import { certificateKeys } from '../ratelimit/index.js';
import type { RateLimitKey } from '../ratelimit/index.js';

async function issueInBackground(ctx: EngineContext, order: Order, prepared: PreparedIssuance, taken: readonly RateLimitKey[]): Promise<void> {
  try {
    let issued: Awaited<ReturnType<typeof ctx.issuance.issue>>;
    try {
      issued = await ctx.issuance.issue(prepared);
    } catch (err) {
      await refundAll(ctx, taken);
      const problem = toProblem(err).document;
      await ctx.store.transitionOrder(order.id, 'processing', 'invalid', { error: problem, updatedAt: ctx.clock.now() });
      ctx.logger({ level: 'warn', event: 'acme.order.issuanceFailed', order: order.id, account: order.accountId, problem: problem.type, detail: problem.detail });
      return;
    }
    // The certificate exists: the order becomes valid as soon as the database lets it (never invalid; if this gives up,
    // order recovery completes it from the issued record).
    await untilRecorded(ctx, 'acme.order.recordDelayed', { order: order.id, serial: issued.serial }, async () => {
      await ctx.store.transitionOrder(order.id, 'processing', 'valid', { certificateSerial: issued.serial, updatedAt: ctx.clock.now() });
    });
    ctx.logger({ level: 'info', event: 'acme.order.valid', order: order.id, account: order.accountId, serial: issued.serial });
  } finally {
    ctx.issuing.delete(order.id);
  }
}

function decodeCsr(payload: Record<string, unknown>): Uint8Array {
  const csr = payload['csr'];
  if (typeof csr !== 'string' || csr === '') throw new CertwrightError('malformed', "The finalize payload needs 'csr', the base64url DER CSR (RFC 8555 §7.4)");
  const der = decodeBase64urlStrict(csr);
  if (der === undefined) throw new CertwrightError('badCSR', "'csr' is not strict base64url (RFC 8555 §7.4)");
  return der;
}

/** POST to an order's finalize URL, signed with `kid`. */
export async function finalizeOrder(ctx: EngineContext, req: AcmeRequest, id: string, log: Record<string, unknown>): Promise<ResponseParts> {
  const verified = await verifyPost(ctx, req, 'kid');
  const account = signingAccount(verified);
  log['account'] = account.id;
  const stored = await ctx.store.getOrder(id);
  if (stored === undefined) throw new CertwrightError('notFound', 'No such order');
  requireOwner(stored.accountId, account, 'order');
  const payload = requirePayload(verified, 'finalize');
  const order = await currentOrder(ctx, stored);
  if (order.status !== 'ready') throw new CertwrightError('orderNotReady', `The order is ${order.status}, not ready; it cannot be finalized (RFC 8555 §7.4)`);
  const csrDer = decodeCsr(payload);
  const authorizations = await currentAuthorizations(ctx, order.authorizationIds);
  const stale = authorizations.filter((a) => a.status !== 'valid');
  if (stale.length > 0 || authorizations.length !== order.authorizationIds.length) {
    throw new CertwrightError('unauthorized', `Authorizations are no longer valid for: ${stale.map((a) => `${a.identifier.value} (${a.status})`).join(', ') || 'some identifiers'}`);
  }
  const caaRecheck = ctx.options.caaRecheck;
  if (caaRecheck !== undefined) {
    const { maxAgeMs, ...lookup } = caaRecheck;
    const outcome = await recheckCaaForOrder(authorizations, ctx.clock.now(), maxAgeMs, { ...lookup, accountUri: ctx.urls.account(account.id) });
    log['caaRechecked'] = outcome.rechecked.length;
    if (outcome.subproblems.length > 0) throw combineSubproblems([...outcome.subproblems], 'caa');
  }
  const prepared = await ctx.issuance.prepare({
    csrDer,
    identifiers: order.identifiers,
    accountId: account.id,
    orderId: order.id,
    accountKeySpki: jwkToSpki(account.jwk),
    ...(order.profile === undefined ? {} : { profile: order.profile }),
    ...(order.notBefore === undefined ? {} : { notBefore: order.notBefore }),
    ...(order.notAfter === undefined ? {} : { notAfter: order.notAfter }),
  });
  const taken = await takeAll(ctx, certificateKeys(order.identifiers));
  const processing = await ctx.store.transitionOrder(order.id, 'ready', 'processing', { updatedAt: ctx.clock.now() }).catch(async (err: unknown) => {
    await refundAll(ctx, taken);
    throw err;
  });
  if (processing === undefined) {
    await refundAll(ctx, taken);
    const now = (await ctx.store.getOrder(order.id))?.status ?? 'unknown';
    throw new CertwrightError('orderNotReady', `The order is ${now}, not ready; another finalization won (RFC 8555 §7.4)`);
  }
  log['order'] = order.id;
  ctx.issuing.add(order.id);
  const issuing = ctx.background.run(`issue ${order.id}`, () => issueInBackground(ctx, processing, prepared, taken));
  if (ctx.finalizeWaitMs > 0 && (await settlesWithin(issuing, ctx.finalizeWaitMs))) {
    const settled = await ctx.store.getOrder(order.id);
    if (settled !== undefined && settled.status !== 'processing') return jsonResponse(200, orderView(settled, ctx.urls), { location: ctx.urls.order(order.id) });
  }
  return jsonResponse(200, orderView(processing, ctx.urls), { location: ctx.urls.order(order.id), retryAfterSeconds: ctx.retryAfterSeconds });
}
