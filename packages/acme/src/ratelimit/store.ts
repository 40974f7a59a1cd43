/**
 * Storage of rate-limit buckets shared by several server instances. The role
 * lives in `@certwright/core` (`RateLimitStore` in its store types), so every
 * core `Store` — `MemoryStore`, and the SQL store over its
 * `rate_limit_buckets` table (schema version 2) — can back the store-backed
 * limiter directly; this module re-exports it under the names acme always
 * had.
 * @module
 */
export { MemoryRateLimitStore } from '@certwright/core';
export type { RateLimitStore, StoredBucket } from '@certwright/core';
