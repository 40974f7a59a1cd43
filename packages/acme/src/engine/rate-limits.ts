/**
 * How the engine applies its {@link RateLimiter}: before any write, so that a
 * refused request writes nothing; a refusal is `rateLimited` (429) with
 * `Retry-After` and a detail naming the limit, what it counted and when the
 * next request fits and the bucket is full again. Without a limiter nothing
 * is limited.
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { RateLimitDecision, RateLimitKey } from '../ratelimit/index.js';
import type { EngineContext } from './context.js';

function formatPeriod(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** The `rateLimited` error for a refused key. */
export function rateLimitError(ctx: EngineContext, key: RateLimitKey, decision: Extract<RateLimitDecision, { allowed: false }>): CertwrightError {
  const now = ctx.clock.now().getTime();
  const retryAt = new Date(now + decision.retryAfterSeconds * 1000).toISOString();
  const resetAt = new Date(now + decision.resetSeconds * 1000).toISOString();
  const { limit } = decision;
  return new CertwrightError(
    'rateLimited',
    `Rate limit ${limit.name} exceeded for ${key.subject}: at most ${limit.count} per ${formatPeriod(limit.periodSeconds)}; ` +
      `retry after ${retryAt} (${decision.retryAfterSeconds} s), fully reset at ${resetAt}`,
    { retryAfterSeconds: decision.retryAfterSeconds },
  );
}

/** Throws `rateLimited` unless every key has a token, taking none. */
export async function requireAvailable(ctx: EngineContext, keys: readonly RateLimitKey[]): Promise<void> {
  const limiter = ctx.rateLimiter;
  if (limiter === undefined) return;
  for (const key of keys) {
    const decision = await limiter.peek(key);
    if (!decision.allowed) throw rateLimitError(ctx, key, decision);
  }
}

/**
 * Takes one token of every key, or none: when a key refuses, the tokens
 * already taken are given back and `rateLimited` is thrown. Returns the
 * keys taken, for {@link refundAll} when the request then fails.
 */
export async function takeAll(ctx: EngineContext, keys: readonly RateLimitKey[]): Promise<readonly RateLimitKey[]> {
  const limiter = ctx.rateLimiter;
  if (limiter === undefined || keys.length === 0) return [];
  const taken: RateLimitKey[] = [];
  for (const key of keys) {
    let decision: RateLimitDecision;
    try {
      decision = await limiter.check(key);
    } catch (err) {
      await refundAll(ctx, taken);
      throw err;
    }
    if (!decision.allowed) {
      await refundAll(ctx, taken);
      throw rateLimitError(ctx, key, decision);
    }
    taken.push(key);
  }
  return taken;
}

/** Gives back tokens taken by {@link takeAll}; a limiter failure is logged, never thrown. */
export async function refundAll(ctx: EngineContext, keys: readonly RateLimitKey[]): Promise<void> {
  const limiter = ctx.rateLimiter;
  if (limiter === undefined) return;
  for (const key of keys) {
    try {
      await limiter.refund(key);
    } catch (err) {
      ctx.logger({ level: 'warn', event: 'acme.rateLimit.refundFailed', limit: key.limit, subject: key.subject, error: err instanceof Error ? err.message : String(err) });
    }
  }
}

/** Counts an event that already happened (a failed validation); a limiter failure is logged, never thrown. */
export async function spendAfter(ctx: EngineContext, key: RateLimitKey): Promise<void> {
  const limiter = ctx.rateLimiter;
  if (limiter === undefined) return;
  try {
    await limiter.spend(key);
  } catch (err) {
    ctx.logger({ level: 'warn', event: 'acme.rateLimit.spendFailed', limit: key.limit, subject: key.subject, error: err instanceof Error ? err.message : String(err) });
  }
}
