/**
 * Recovery of validations a crash interrupted (RFC 8555 §7.5.1): a POST to a
 * challenge moves it `pending → processing` (recording `processingAt`) and
 * validates in the background; a process that dies meanwhile leaves it
 * `processing`, its authorization pending, and the client polling a
 * validation nobody runs. Each such challenge is validated again (the client
 * asked for it; its answer is normally still in place), or failed when its
 * authorization is no longer pending.
 *
 * Which challenges count as interrupted: at start-up on a database this
 * process owns alone, every `processing` one ({@link recoverValidations});
 * on a shared database, those `processing` since before the validation
 * recovery timeout ({@link recoverStaleValidations}), longer than any
 * validation and the recording of its outcome can take. A challenge whose
 * start is unknown (started by code of schema version 2) is left alone
 * there: it may be another node's validation in progress. Every take-over
 * is a compare-and-set of `processingAt` from the value read to now, so of
 * several nodes recovering at once exactly one takes each challenge, and a
 * node that dies while revalidating leaves it to be taken again later.
 * @module
 */
import type { Challenge, ProblemDocument } from '@certwright/core';
import type { EngineContext } from './context.js';
import { currentAuthorization } from './state.js';
import { validateChallenge } from './validation.js';

/** Default {@link AcmeServer.recoverValidations} limit. */
export const DEFAULT_VALIDATION_RECOVERY_LIMIT = 1000;

/**
 * Added to `validationTimeoutMs` for the default
 * `recovery.validationProcessingTimeoutMs`: recording a validation's outcome
 * waits out an unavailable store for about ten minutes (`untilRecorded`),
 * each attempt bounded by the store's own statement timeout; twenty minutes
 * covers both with a margin for clock differences between nodes.
 */
export const VALIDATION_RECORDING_ALLOWANCE_MS = 20 * 60_000;

const INTERRUPTED: ProblemDocument = {
  type: 'urn:ietf:params:acme:error:serverInternal',
  detail: 'validation was interrupted and the authorization is no longer pending',
  status: 500,
};

/** What one validation recovery did, by challenge id. */
export interface ValidationRecoveryReport {
  /** Challenges whose validation was started again (it ends in the background). */
  readonly restarted: readonly string[];
  /** Challenges failed because their authorization is no longer pending. */
  readonly failed: readonly string[];
}

type Outcome = 'restarted' | 'failed' | 'skipped';

/**
 * Takes over one challenge read as `processing`: compare-and-set of its
 * `processingAt` to now, then its validation again in the background, or a
 * failure when its authorization is no longer pending. `skipped` when
 * another recovery took it first, it settled meanwhile, or its
 * authorization or account is gone.
 */
async function takeOver(ctx: EngineContext, read: Challenge): Promise<Outcome> {
  const challenge = await ctx.store.reclaimChallenge(read.id, read.processingAt, ctx.clock.now());
  if (challenge === undefined) return 'skipped';
  const stored = await ctx.store.getAuthorization(challenge.authorizationId);
  const account = stored === undefined ? undefined : await ctx.store.getAccount(stored.accountId);
  if (stored === undefined || account === undefined) return 'skipped';
  const authz = await currentAuthorization(ctx, stored);
  if (authz.status !== 'pending') {
    return (await ctx.store.transitionChallenge(challenge.id, 'processing', 'invalid', { error: INTERRUPTED })) === undefined ? 'skipped' : 'failed';
  }
  ctx.logger({ level: 'warn', event: 'acme.challenge.revalidating', challenge: challenge.id, authorization: authz.id, type: challenge.type });
  ctx.background.run(`validate ${challenge.id}`, () => validateChallenge(ctx, account, authz, challenge));
  return 'restarted';
}

/** Takes over each of `stuck` in turn; an error of one is logged and the others go on. */
async function takeOverAll(ctx: EngineContext, stuck: readonly Challenge[]): Promise<ValidationRecoveryReport> {
  const report = { restarted: [] as string[], failed: [] as string[], skipped: [] as string[] };
  for (const challenge of stuck) {
    let outcome: Outcome = 'skipped';
    try {
      outcome = await takeOver(ctx, challenge);
    } catch (err) {
      ctx.logger({ level: 'error', event: 'acme.challenge.recoveryFailed', challenge: challenge.id, error: err instanceof Error ? err.message : String(err) });
    }
    report[outcome].push(challenge.id);
  }
  return { restarted: report.restarted, failed: report.failed };
}

/**
 * Starts again, in the background, the validation of up to `limit`
 * challenges left `processing`, however recent; resolves with the ids of
 * the validations started. Only for a host that knows no other process is
 * validating from its store (at start-up, before taking requests, on a
 * database it owns alone): a challenge another node is validating is
 * `processing` too.
 */
export async function recoverValidations(ctx: EngineContext, limit: number): Promise<string[]> {
  const stuck = await ctx.store.listChallengesByStatus('processing', { limit });
  return [...(await takeOverAll(ctx, stuck)).restarted];
}

/**
 * Takes over up to `limit` challenges `processing` since before
 * `processingBefore` (see the module comment): safe on a database shared by
 * several nodes.
 */
export async function recoverStaleValidations(ctx: EngineContext, processingBefore: Date, limit: number): Promise<ValidationRecoveryReport> {
  return takeOverAll(ctx, await ctx.store.listChallengesByStatus('processing', { limit, processingBefore }));
}
