import type { BucketState, RateLimitStore, StoredBucket } from '../store/types.js';
import type { SqlContext } from './context.js';
import { isUniqueViolation } from './dialect.js';

/**
 * Rate-limit buckets in SQL (table `rate_limit_buckets`, schema version 2),
 * shared by every server instance on the database. A write is
 * compare-and-set: the first one for a key is an INSERT (a concurrent
 * INSERT of the same key loses on the primary key), every later one is
 * `UPDATE … WHERE key = ? AND version = ?` judged by its affected-row count.
 * Tokens are a DOUBLE PRECISION column, so a bucket reads back exactly as
 * written.
 */
export class SqlRateLimitStore implements RateLimitStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  /** @inheritdoc */
  async getBucket(key: string): Promise<StoredBucket | undefined> {
    const row = await this.#ctx
      .open()
      .selectFrom('rate_limit_buckets')
      .select(['tokens', 'updated_at', 'full_at', 'version'])
      .where('key', '=', key)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return { tokens: Number(row.tokens), updatedAtMs: Number(row.updated_at), fullAtMs: Number(row.full_at), version: Number(row.version) };
  }

  /** @inheritdoc */
  async compareAndSetBucket(key: string, expectedVersion: number | undefined, next: BucketState & { readonly fullAtMs: number }): Promise<boolean> {
    const values = { tokens: next.tokens, updated_at: next.updatedAtMs, full_at: next.fullAtMs };
    if (expectedVersion === undefined) {
      try {
        await this.#ctx.write((q) => q.insertInto('rate_limit_buckets').values({ key, ...values, version: 1 }).execute());
        return true;
      } catch (err) {
        if (isUniqueViolation(err, this.#ctx.dialect)) return false;
        throw err;
      }
    }
    const result = await this.#ctx.write((q) =>
      q
        .updateTable('rate_limit_buckets')
        .set({ ...values, version: expectedVersion + 1 })
        .where('key', '=', key)
        .where('version', '=', expectedVersion)
        .executeTakeFirst(),
    );
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * @inheritdoc Two steps that work alike on every backend: select at most
   * `limit` candidate keys, then delete them while re-checking `full_at`, so
   * a bucket written in between is kept.
   */
  async purgeFullBuckets(beforeMs: number, limit: number): Promise<number> {
    const db = this.#ctx.open();
    const keys = (await db.selectFrom('rate_limit_buckets').select('key').where('full_at', '<', beforeMs).limit(limit).execute()).map((r) => r.key);
    if (keys.length === 0) return 0;
    const result = await db.deleteFrom('rate_limit_buckets').where('key', 'in', keys).where('full_at', '<', beforeMs).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
