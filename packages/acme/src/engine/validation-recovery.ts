/**
 * Recovery of validations a crash interrupted (RFC 8555 §7.5.1): a POST to a
 * challenge moves it `pending → processing` and validates in the background;
 * a process that dies meanwhile leaves it `processing`, its authorization
 * pending, and the client polling a validation nobody runs. Each such
 * challenge is validated again (the client asked for it; its answer is
 * normally still in place), or failed when its authorization is no longer
 * pending.
 * @module
 */
import type { ProblemDocument } from '@certwright/core';
import type { EngineContext } from './context.js';
import { currentAuthorization } from './state.js';
import { validateChallenge } from './validation.js';

/** Default {@link AcmeServer.recoverValidations} limit. */
export const DEFAULT_VALIDATION_RECOVERY_LIMIT = 1000;

const INTERRUPTED: ProblemDocument = {
  type: 'urn:ietf:params:acme:error:serverInternal',
  detail: 'validation was interrupted and the authorization is no longer pending',
  status: 500,
};

/**
 * Starts again, in the background, the validation of up to `limit`
 * challenges left `processing`; resolves with their ids once started. Only
 * for a host that knows no other process is validating from its store (at
 * start-up, before taking requests, on a database it owns alone): a
 * challenge another node is validating is `processing` too.
 */
export async function recoverValidations(ctx: EngineContext, limit: number): Promise<string[]> {
  const stuck = await ctx.store.listChallengesByStatus('processing', { limit });
  const restarted: string[] = [];
  for (const challenge of stuck) {
    const stored = await ctx.store.getAuthorization(challenge.authorizationId);
    const account = stored === undefined ? undefined : await ctx.store.getAccount(stored.accountId);
    if (stored === undefined || account === undefined) continue;
    const authz = await currentAuthorization(ctx, stored);
    if (authz.status !== 'pending') {
      await ctx.store.transitionChallenge(challenge.id, 'processing', 'invalid', { error: INTERRUPTED });
      continue;
    }
    ctx.logger({ level: 'warn', event: 'acme.challenge.revalidating', challenge: challenge.id, authorization: authz.id, type: challenge.type });
    ctx.background.run(`validate ${challenge.id}`, () => validateChallenge(ctx, account, authz, challenge));
    restarted.push(challenge.id);
  }
  return restarted;
}
