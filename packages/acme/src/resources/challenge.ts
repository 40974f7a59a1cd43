/**
 * The challenge resource (RFC 8555 §7.5.1): POST-as-GET returns it; a POST
 * with a JSON object (normally `{}`) asks for validation. Validation starts
 * only through the compare-and-set pending → processing, so of two
 * concurrent POSTs exactly one starts a validation. Responses link the
 * authorization (`rel="up"`) and carry `Retry-After` while processing; with
 * `challengeWaitMs` the POST that starts a validation answers with its
 * outcome when the validation ends within that wait.
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { Challenge } from '@certwright/core';
import type { EngineContext } from '../engine/context.js';
import type { AcmeRequest } from '../engine/http-types.js';
import { requireOwner, signingAccount, verifyPost } from '../engine/request.js';
import { jsonResponse, link } from '../engine/responses.js';
import type { ResponseParts } from '../engine/responses.js';
import { currentAuthorization } from '../engine/state.js';
import { validateChallenge } from '../engine/validation.js';
import { settlesWithin } from '../engine/settle.js';
import { challengeView } from '../engine/views.js';

function challengeResponse(ctx: EngineContext, challenge: Challenge): ResponseParts {
  return jsonResponse(200, challengeView(challenge, ctx.urls), {
    links: [link(ctx.urls.authorization(challenge.authorizationId), 'up')],
    ...(challenge.status === 'processing' ? { retryAfterSeconds: ctx.retryAfterSeconds } : {}),
  });
}

/** POST to a challenge URL, signed with `kid`. */
export async function postChallenge(ctx: EngineContext, req: AcmeRequest, id: string, log: Record<string, unknown>): Promise<ResponseParts> {
  const verified = await verifyPost(ctx, req, 'kid');
  const account = signingAccount(verified);
  log['account'] = account.id;
  const challenge = await ctx.store.getChallenge(id);
  if (challenge === undefined) throw new CertwrightError('notFound', 'No such challenge');
  const stored = await ctx.store.getAuthorization(challenge.authorizationId);
  if (stored === undefined) throw new CertwrightError('notFound', 'No such challenge');
  requireOwner(stored.accountId, account, 'challenge');
  if (verified.isPostAsGet || challenge.status !== 'pending') return challengeResponse(ctx, challenge);
  const authz = await currentAuthorization(ctx, stored);
  if (authz.status !== 'pending') throw new CertwrightError('malformed', `The authorization is ${authz.status}; its challenges can no longer be answered`);
  if (authz.challenges.some((c) => c.status === 'processing')) {
    throw new CertwrightError('malformed', 'Another challenge of this authorization is already being validated');
  }
  const started = await ctx.store.transitionChallenge(id, 'pending', 'processing', { processingAt: ctx.clock.now() });
  if (started === undefined) return challengeResponse(ctx, (await ctx.store.getChallenge(id)) ?? challenge);
  log['challenge'] = id;
  const validating = ctx.background.run(`validate ${id}`, () => validateChallenge(ctx, account, authz, started));
  if (ctx.challengeWaitMs > 0 && (await settlesWithin(validating, ctx.challengeWaitMs))) {
    const settled = await ctx.store.getChallenge(id);
    if (settled !== undefined) return challengeResponse(ctx, settled);
  }
  return challengeResponse(ctx, started);
}
