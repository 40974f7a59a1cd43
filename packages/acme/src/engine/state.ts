/**
 * Status as of now (RFC 8555 §7.1.6) and its persistence by compare-and-set:
 * expiry of authorizations and orders, and pending orders becoming ready or
 * invalid when their authorizations change.
 *
 * Authorizations are stored with the expiry of a valid authorization
 * (`lifetimes.authorization` from creation); a pending one expires earlier,
 * at creation + `lifetimes.pendingAuthorization`.
 * @module
 */
import { orderStatusFromAuthorizations } from '@certwright/core';
import type { Authorization, Order } from '@certwright/core';
import type { EngineContext } from './context.js';

/** The instant an authorization expires given its current status. */
export function authorizationExpiry(ctx: EngineContext, authz: Authorization): Date {
  if (authz.status !== 'pending') return authz.expires;
  const pendingEnd = authz.createdAt.getTime() + ctx.lifetimes.pendingAuthorization;
  return new Date(Math.min(authz.expires.getTime(), pendingEnd));
}

/** True when a pending or valid authorization has passed its expiry at `now`. */
export function isExpired(ctx: EngineContext, authz: Authorization, now: Date): boolean {
  return (authz.status === 'pending' || authz.status === 'valid') && now.getTime() >= authorizationExpiry(ctx, authz).getTime();
}

/**
 * The authorization as of now: an expired one is moved to `expired`
 * (compare-and-set), and `expires` shows the effective expiry. A pending
 * one whose challenge is already decided takes the challenge's outcome
 * (RFC 8555 §7.1.6): validation stores the challenge first and the
 * authorization after it, so a crash in between leaves exactly that.
 */
export async function currentAuthorization(ctx: EngineContext, authz: Authorization): Promise<Authorization> {
  const now = ctx.clock.now();
  let current = authz.status === 'pending' ? await settleFromChallenges(ctx, authz) : authz;
  if (isExpired(ctx, current, now)) {
    const moved = await ctx.store.transitionAuthorization(authz.id, ['pending', 'valid'], 'expired');
    current = moved ?? (await ctx.store.getAuthorization(authz.id)) ?? current;
  }
  return { ...current, expires: authorizationExpiry(ctx, current) };
}

/**
 * Moves a pending authorization to `invalid` after one of its challenges
 * failed and, when this call moved it, fails its challenges that were
 * pending as read (RFC 8555 §7.1.6: one failed challenge fails the
 * authorization). Resolves with the moved authorization, or undefined when
 * it was no longer pending.
 */
export async function invalidateAuthorization(ctx: EngineContext, authz: Authorization): Promise<Authorization | undefined> {
  const moved = await ctx.store.transitionAuthorization(authz.id, 'pending', 'invalid');
  if (moved !== undefined) {
    for (const challenge of authz.challenges) {
      if (challenge.status === 'pending') await ctx.store.transitionChallenge(challenge.id, 'pending', 'invalid');
    }
  }
  return moved;
}

/**
 * A pending authorization with a valid challenge becomes valid, one with an
 * invalid challenge invalid (its other pending challenges with it), as
 * validation would have left them; otherwise it is returned as it is.
 */
async function settleFromChallenges(ctx: EngineContext, authz: Authorization): Promise<Authorization> {
  const decided = authz.challenges.find((c) => c.status === 'valid') ?? authz.challenges.find((c) => c.status === 'invalid');
  if (decided === undefined) return authz;
  const to = decided.status === 'valid' ? 'valid' : 'invalid';
  const moved = to === 'valid' ? await ctx.store.transitionAuthorization(authz.id, 'pending', 'valid') : await invalidateAuthorization(ctx, authz);
  if (moved === undefined) return (await ctx.store.getAuthorization(authz.id)) ?? authz;
  ctx.logger({ level: 'warn', event: 'acme.authorization.settled', authorization: authz.id, status: to, challenge: decided.id });
  return to === 'invalid' ? ((await ctx.store.getAuthorization(authz.id)) ?? moved) : moved;
}

/** {@link currentAuthorization} of several ids, in order; unknown ids are left out. */
export async function currentAuthorizations(ctx: EngineContext, ids: readonly string[]): Promise<Authorization[]> {
  const found = await ctx.store.getAuthorizations(ids);
  return Promise.all(found.map((a) => currentAuthorization(ctx, a)));
}

/**
 * The order as of now: a pending or ready order past its expiry becomes
 * `invalid`; a pending order becomes `ready` when all its authorizations are
 * valid and `invalid` when one failed, expired or was deactivated. Every
 * change is a compare-and-set; a lost race re-reads the winner's result.
 */
export async function currentOrder(ctx: EngineContext, order: Order): Promise<Order> {
  const now = ctx.clock.now();
  if ((order.status === 'pending' || order.status === 'ready') && now.getTime() >= order.expires.getTime()) {
    const moved = await ctx.store.transitionOrder(order.id, ['pending', 'ready'], 'invalid', {
      updatedAt: now,
      error: { type: 'urn:ietf:params:acme:error:malformed', detail: 'The order expired before it was finalized', status: 400 },
    });
    return moved ?? (await ctx.store.getOrder(order.id)) ?? order;
  }
  if (order.status !== 'pending') return order;
  const authorizations = await currentAuthorizations(ctx, order.authorizationIds);
  const next = orderStatusFromAuthorizations('pending', authorizations.map((a) => a.status));
  if (next === 'pending') return order;
  const failed = authorizations.find((a) => a.status !== 'valid' && a.status !== 'pending');
  const changes =
    next === 'invalid' && failed !== undefined
      ? {
          updatedAt: now,
          error: {
            type: 'urn:ietf:params:acme:error:unauthorized',
            detail: `The authorization for ${failed.identifier.value} is ${failed.status}`,
            status: 403,
          },
        }
      : { updatedAt: now };
  const moved = await ctx.store.transitionOrder(order.id, 'pending', next, changes);
  return moved ?? (await ctx.store.getOrder(order.id)) ?? order;
}
