/**
 * Storage of rate-limit buckets shared by several server instances: one row
 * per bucket, changed only by compare-and-set on its version, so that two
 * instances taking from the same bucket at once cannot both spend the last
 * token. An SQL implementation needs a table of its own (key primary key,
 * tokens, updated_at_ms, full_at_ms, version).
 * @module
 */
import type { BucketState } from './bucket.js';

/** A stored bucket. */
export interface StoredBucket extends BucketState {
  /** Incremented by every write; the compare-and-set token. */
  readonly version: number;
  /** When the bucket is full again: after it the row may be purged. */
  readonly fullAtMs: number;
}

/** Bucket rows for the store-backed rate limiter. */
export interface RateLimitStore {
  /** The bucket stored under `key`, or `undefined` (a full bucket). */
  getBucket(key: string): Promise<StoredBucket | undefined>;
  /**
   * Writes `next` under `key` with version `expectedVersion + 1` (1 when
   * `expectedVersion` is `undefined`) if the stored version is still
   * `expectedVersion` (`undefined`: no row). Returns false, writing nothing,
   * when another writer got there first.
   */
  compareAndSetBucket(key: string, expectedVersion: number | undefined, next: BucketState & { readonly fullAtMs: number }): Promise<boolean>;
  /** Deletes at most `limit` buckets full before `beforeMs`; returns how many. */
  purgeFullBuckets(beforeMs: number, limit: number): Promise<number>;
}

/** A {@link RateLimitStore} in memory: for tests and single-process set-ups sharing one store object. */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #rows = new Map<string, StoredBucket>();

  /** @inheritdoc */
  async getBucket(key: string): Promise<StoredBucket | undefined> {
    return this.#rows.get(key);
  }

  /** @inheritdoc */
  async compareAndSetBucket(key: string, expectedVersion: number | undefined, next: BucketState & { readonly fullAtMs: number }): Promise<boolean> {
    if (this.#rows.get(key)?.version !== expectedVersion) return false;
    this.#rows.set(key, { tokens: next.tokens, updatedAtMs: next.updatedAtMs, fullAtMs: next.fullAtMs, version: (expectedVersion ?? 0) + 1 });
    return true;
  }

  /** @inheritdoc */
  async purgeFullBuckets(beforeMs: number, limit: number): Promise<number> {
    let removed = 0;
    for (const [key, row] of this.#rows) {
      if (removed >= limit) break;
      if (row.fullAtMs < beforeMs) {
        this.#rows.delete(key);
        removed++;
      }
    }
    return removed;
  }

  /** How many rows are stored. */
  get size(): number {
    return this.#rows.size;
  }
}
