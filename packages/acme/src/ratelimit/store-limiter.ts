/**
 * The store-backed rate limiter: buckets in a {@link RateLimitStore}, shared
 * by every server instance on that store. Each decision is a read followed
 * by a compare-and-set, retried when a concurrent writer won.
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { Clock } from '@certwright/core';
import { fullAtMs } from './bucket.js';
import type { RateLimiter } from './limiter.js';
import { createBucketLimiter } from './limiter.js';
import type { RateLimitRules } from './rules.js';
import type { RateLimitStore } from './store.js';

/** Options of {@link createStoreRateLimiter}. */
export interface StoreRateLimiterOptions {
  readonly rules: RateLimitRules;
  readonly clock: Clock;
  readonly store: RateLimitStore;
  /** Compare-and-set attempts per decision before refusing with `rateLimited` and `Retry-After: 1` (default 8). */
  readonly maxAttempts?: number;
}

/** Creates a rate limiter shared through `store`. Throws `RangeError` for invalid rules. */
export function createStoreRateLimiter(options: StoreRateLimiterOptions): RateLimiter {
  const maxAttempts = options.maxAttempts ?? 8;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  const { store } = options;
  return createBucketLimiter(options.rules, options.clock, async (key, rule, change) => {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const row = await store.getBucket(key);
      const { next, result } = change(row);
      if (next === undefined) return result;
      if (await store.compareAndSetBucket(key, row?.version, { ...next, fullAtMs: fullAtMs(next, rule) })) return result;
    }
    throw new CertwrightError('rateLimited', `Rate limit ${rule.name}: the bucket ${key} is too contended right now; retry in a second`, { retryAfterSeconds: 1 });
  });
}
