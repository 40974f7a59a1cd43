/**
 * The rate limiter interface the ACME engine consults, and the bucket
 * limiter both implementations share: the decisions live here; an
 * implementation only supplies an atomic read-modify-write of one bucket.
 * @module
 */
import type { Clock } from '@certwright/core';
import type { BucketState } from './bucket.js';
import { refundTokens, spendTokens, takeTokens, tokensAt } from './bucket.js';
import type { RateLimitName, RateLimitRule, RateLimitRules } from './rules.js';
import { compileRules } from './rules.js';

/** One bucket: the limit and what it counts for (an address, an account, a domain). */
export interface RateLimitKey {
  readonly limit: RateLimitName;
  readonly subject: string;
}

/** A limiter's answer. Refused: seconds until the cost fits and until the bucket is full again. */
export type RateLimitDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number; readonly resetSeconds: number; readonly limit: RateLimitRule };

/**
 * A rate limiter. Limits that are not configured always allow. A limiter
 * that fails (a store outage) throws, and the request fails with it.
 */
export interface RateLimiter {
  /** Takes `cost` tokens (default 1) from the key's bucket if it holds them; otherwise takes nothing and refuses. */
  check(key: RateLimitKey, cost?: number): Promise<RateLimitDecision>;
  /** Whether the bucket holds `cost` tokens (default 1), taking none. */
  peek(key: RateLimitKey, cost?: number): Promise<RateLimitDecision>;
  /** Takes `cost` tokens (default 1) whatever is left, down to zero: for events counted after they happened (failed validations). */
  spend(key: RateLimitKey, cost?: number): Promise<void>;
  /** Gives back `cost` tokens (default 1) taken by `check` for a request that then did not happen; never above capacity. */
  refund(key: RateLimitKey, cost?: number): Promise<void>;
}

/** The text key of a bucket, `limit:subject`. */
export function bucketKey(key: RateLimitKey): string {
  return `${key.limit}:${key.subject}`;
}

/**
 * An atomic read-modify-write of one bucket: `change` receives the stored
 * state (`undefined`: absent, i.e. full) and returns the state to store (or
 * `undefined` to leave it) with a result. It may be called more than once
 * when a concurrent writer wins.
 */
export type BucketUpdate = <T>(key: string, rule: RateLimitRule, change: (state: BucketState | undefined) => { next?: BucketState; result: T }) => Promise<T>;

/** Seconds for a `Retry-After`: whole seconds, at least 1 (floating-point noise below a microsecond ignored). */
function seconds(ms: number): number {
  return Math.max(1, Math.ceil(Math.ceil(ms - 1e-3) / 1000));
}

function checkCost(cost: number): number {
  if (!Number.isFinite(cost) || cost < 0) throw new RangeError(`A rate limit cost must be a non-negative number, got ${cost}`);
  return cost;
}

/** Builds a {@link RateLimiter} over `update`, with `rules` and time from `clock`. Throws `RangeError` for invalid rules. */
export function createBucketLimiter(rules: RateLimitRules, clock: Clock, update: BucketUpdate): RateLimiter {
  const compiled = compileRules(rules);
  const allowed: RateLimitDecision = { allowed: true };
  async function decide(key: RateLimitKey, cost: number, take: boolean): Promise<RateLimitDecision> {
    const rule = compiled.get(key.limit);
    if (rule === undefined) return allowed;
    checkCost(cost);
    const now = clock.now().getTime();
    return update<RateLimitDecision>(bucketKey(key), rule, (state) => {
      const outcome = takeTokens(state, rule, cost, now);
      if (outcome.allowed) return take ? { next: outcome.next, result: allowed } : { result: allowed };
      return { result: { allowed: false, retryAfterSeconds: seconds(outcome.retryAfterMs), resetSeconds: seconds(outcome.resetAfterMs), limit: rule } };
    });
  }
  return {
    check: (key, cost = 1) => decide(key, cost, true),
    peek: (key, cost = 1) => decide(key, cost, false),
    async spend(key, cost = 1) {
      const rule = compiled.get(key.limit);
      if (rule === undefined) return;
      checkCost(cost);
      const now = clock.now().getTime();
      await update(bucketKey(key), rule, (state) => ({ next: spendTokens(state, rule, cost, now), result: undefined }));
    },
    async refund(key, cost = 1) {
      const rule = compiled.get(key.limit);
      if (rule === undefined) return;
      checkCost(cost);
      const now = clock.now().getTime();
      await update(bucketKey(key), rule, (state) => (tokensAt(state, rule, now) >= rule.count ? { result: undefined } : { next: refundTokens(state, rule, cost, now), result: undefined }));
    },
  };
}
