import type { Kysely } from 'kysely';
import type { SqlDialectName } from '../dialect.js';
import { COUNTER_TYPE, DOUBLE_TYPE, INT_TYPE, MILLIS_TYPE, keyType, tableOptions } from './column-types.js';

/**
 * Schema version 2 (expand-only: two new tables):
 * - `rate_limit_buckets`: the token buckets of the store-backed rate limiter,
 *   shared by every server instance; compare-and-set on `version`, purged
 *   once full again (`full_at`, indexed);
 * - `crl_numbers`: the last cRLNumber handed out per issuer and CRL shard
 *   (RFC 5280 §5.2.3).
 */
export async function up(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  const key = keyType(dialect);
  const options = tableOptions(dialect);

  await db.schema
    .createTable('rate_limit_buckets')
    .addColumn('key', key, (c) => c.primaryKey())
    .addColumn('tokens', DOUBLE_TYPE, (c) => c.notNull())
    .addColumn('updated_at', MILLIS_TYPE, (c) => c.notNull())
    .addColumn('full_at', MILLIS_TYPE, (c) => c.notNull())
    .addColumn('version', INT_TYPE, (c) => c.notNull())
    .$call(options)
    .execute();
  await db.schema.createIndex('rate_limit_buckets_full_at_idx').on('rate_limit_buckets').column('full_at').execute();

  await db.schema
    .createTable('crl_numbers')
    .addColumn('issuer_id', key, (c) => c.notNull())
    .addColumn('shard', INT_TYPE, (c) => c.notNull())
    .addColumn('number', COUNTER_TYPE, (c) => c.notNull())
    .addColumn('updated_at', MILLIS_TYPE, (c) => c.notNull())
    .addPrimaryKeyConstraint('crl_numbers_pkey', ['issuer_id', 'shard'])
    .$call(options)
    .execute();
}
