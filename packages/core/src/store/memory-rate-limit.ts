import type { BucketState, RateLimitStore, StoredBucket } from './types.js';

/**
 * A {@link RateLimitStore} in process memory, for tests and single-process
 * set-ups sharing one store object. Each compare-and-set checks and writes
 * with no `await` in between, so of concurrent writers with the same
 * expected version exactly one wins. Rows are copied in and out.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #rows = new Map<string, StoredBucket>();

  /** @inheritdoc */
  async getBucket(key: string): Promise<StoredBucket | undefined> {
    const row = this.#rows.get(key);
    return row === undefined ? undefined : { ...row };
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

  /** How many buckets are stored. */
  get size(): number {
    return this.#rows.size;
  }
}
