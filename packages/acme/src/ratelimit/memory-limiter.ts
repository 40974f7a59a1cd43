/**
 * The in-memory rate limiter: buckets in a `Map` of this process. Several
 * server instances each count on their own; use the store-backed limiter
 * to share limits between them.
 * @module
 */
import type { Clock } from '@certwright/core';
import type { BucketState } from './bucket.js';
import { fullAtMs } from './bucket.js';
import type { RateLimiter } from './limiter.js';
import { createBucketLimiter } from './limiter.js';
import type { RateLimitRule, RateLimitRules } from './rules.js';

/** Options of {@link createMemoryRateLimiter}. */
export interface MemoryRateLimiterOptions {
  readonly rules: RateLimitRules;
  readonly clock: Clock;
  /**
   * When more buckets than this are held, buckets that have refilled
   * completely are dropped (they equal absent ones). Default 100,000.
   */
  readonly maxBuckets?: number;
}

/** Default {@link MemoryRateLimiterOptions.maxBuckets}. */
export const DEFAULT_MAX_BUCKETS = 100_000;

/** Creates a per-process rate limiter. Throws `RangeError` for invalid rules. */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions): RateLimiter {
  const buckets = new Map<string, { state: BucketState; rule: RateLimitRule }>();
  const maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
  function sweep(nowMs: number): void {
    for (const [key, held] of buckets) if (fullAtMs(held.state, held.rule) <= nowMs) buckets.delete(key);
  }
  return createBucketLimiter(options.rules, options.clock, async (key, rule, change) => {
    const { next, result } = change(buckets.get(key)?.state);
    if (next !== undefined) {
      buckets.set(key, { state: next, rule });
      if (buckets.size > maxBuckets) sweep(next.updatedAtMs);
    }
    return result;
  });
}
