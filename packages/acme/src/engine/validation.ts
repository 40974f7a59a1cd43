/**
 * Challenge validation in the background (RFC 8555 §7.5.1, §8): the
 * validator runs with a timeout; its outcome moves the challenge
 * (processing → valid/invalid), the authorization (pending → valid/invalid)
 * and the account's pending orders that use it, each by compare-and-set.
 * A failure counts against `failedValidationsPerAccountIdentifier`.
 * @module
 */
import { CertwrightError, toProblem } from '@certwright/core';
import { untilRecorded } from './until-recorded.js';
import type { Account, Authorization, Challenge } from '@certwright/core';
import type { EngineContext } from './context.js';
import { currentOrder, invalidateAuthorization } from './state.js';
import { keyAuthorization } from './validator.js';
import type { ValidationResult } from './validator.js';
import { spendAfter } from './rate-limits.js';
import { failedValidationKey } from '../ratelimit/index.js';

/** How many pending orders using a just decided authorization are refreshed after a validation (oldest first); others refresh when read. */
export const ORDERS_REFRESHED_AFTER_VALIDATION = 100;

function withTimeout<T>(promise: Promise<T>, ms: number, identifier: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CertwrightError('connection', `Validation of ${identifier} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runValidator(ctx: EngineContext, account: Account, authz: Authorization, challenge: Challenge): Promise<ValidationResult> {
  const validator = ctx.validators.find((v) => v.type === challenge.type);
  if (validator === undefined) throw new CertwrightError('serverInternal', `No validator is configured for ${challenge.type}`);
  return withTimeout(
    validator.validate({ identifier: authz.identifier, wildcard: authz.wildcard, token: challenge.token, keyAuthorization: keyAuthorization(challenge.token, account.thumbprint), account }),
    ctx.validationTimeoutMs,
    authz.identifier.value,
  );
}

/** Brings the account's pending orders that use the just decided authorization up to date (RFC 8555 §7.1.6). */
async function refreshAccountOrders(ctx: EngineContext, accountId: string, authorizationId: string): Promise<void> {
  const orders = await ctx.store.listPendingOrdersByAuthorization(authorizationId, ORDERS_REFRESHED_AFTER_VALIDATION);
  for (const order of orders) {
    if (order.accountId === accountId) await currentOrder(ctx, order);
  }
}

/**
 * Validates one challenge that the caller has already moved to
 * `processing`, and records the outcome, waiting for the store while it is
 * unavailable ({@link untilRecorded}). Each step of the recording is done
 * once across attempts.
 */
export async function validateChallenge(ctx: EngineContext, account: Account, authz: Authorization, challenge: Challenge): Promise<void> {
  let outcome: { ok: true; record: unknown[] } | { ok: false; error: unknown };
  try {
    const result = await runValidator(ctx, account, authz, challenge);
    outcome = { ok: true, record: result.record };
  } catch (err) {
    outcome = { ok: false, error: err };
  }
  const now = ctx.clock.now();
  let moved: boolean | undefined;
  if (outcome.ok) {
    const { record } = outcome;
    await untilRecorded(ctx, 'acme.challenge.recordDelayed', { challenge: challenge.id }, async () => {
      moved ??= (await ctx.store.transitionChallenge(challenge.id, 'processing', 'valid', { validatedAt: now, validationRecord: record })) !== undefined;
      if (moved) await ctx.store.transitionAuthorization(authz.id, 'pending', 'valid');
    });
    ctx.logger({ level: 'info', event: 'acme.challenge.valid', challenge: challenge.id, authorization: authz.id, type: challenge.type, identifier: authz.identifier.value });
  } else {
    const problem = toProblem(outcome.error).document;
    let spent = false;
    await untilRecorded(ctx, 'acme.challenge.recordDelayed', { challenge: challenge.id }, async () => {
      moved ??= (await ctx.store.transitionChallenge(challenge.id, 'processing', 'invalid', { error: problem })) !== undefined;
      if (!moved) return;
      if (!spent) await spendAfter(ctx, failedValidationKey(account.id, authz.identifier));
      spent = true;
      await invalidateAuthorization(ctx, authz); // the failed challenge left pending already: it stays as recorded
    });
    ctx.logger({ level: 'info', event: 'acme.challenge.invalid', challenge: challenge.id, authorization: authz.id, type: challenge.type, identifier: authz.identifier.value, problem: problem.type });
  }
  await refreshAccountOrders(ctx, account.id, authz.id);
}
