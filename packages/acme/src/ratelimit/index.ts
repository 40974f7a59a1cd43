/**
 * Rate limits of the ACME engine: token buckets per client address, account,
 * account and identifier, and registered domain, with an in-memory limiter
 * and one shared through a {@link RateLimitStore}.
 * @module
 */
export * from './rules.js';
export * from './bucket.js';
export * from './limiter.js';
export * from './memory-limiter.js';
export * from './store.js';
export * from './store-limiter.js';
export * from './keys.js';
