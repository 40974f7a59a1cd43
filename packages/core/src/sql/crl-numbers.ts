import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';
import type { CrlNumberStore, CrlScope } from '../store/types.js';
import type { SqlContext } from './context.js';
import type { SqlDialectName } from './dialect.js';

/**
 * The database server's current time in milliseconds since the Unix epoch.
 * `crl_numbers.updated_at` is informational (when a number was last handed
 * out); the allocation itself takes no time from the caller.
 */
function databaseNowMillis(dialect: SqlDialectName): RawBuilder<number> {
  switch (dialect) {
    case 'sqlite':
      return sql<number>`cast(round((julianday('now') - 2440587.5) * 86400000) as integer)`;
    case 'postgres':
      return sql<number>`cast(round(extract(epoch from clock_timestamp()) * 1000) as bigint)`;
    case 'mysql':
      return sql<number>`cast(round(unix_timestamp(now(3)) * 1000) as signed)`;
  }
}

/**
 * CRL numbers in SQL (table `crl_numbers`, schema version 2; RFC 5280
 * §5.2.3): one row per issuer and shard holding the last number handed out.
 * `next` first inserts the row with 0 if it is missing (a duplicate key does
 * nothing), then, in one transaction, increments it with
 * `UPDATE … SET number = number + 1` and reads it back. The UPDATE takes the
 * row's write lock (the database's write lock on SQLite) until the commit,
 * so concurrent callers, in this process or in others, queue and each gets
 * its own number.
 */
export class SqlCrlNumberStore implements CrlNumberStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  /** @inheritdoc */
  async nextCrlNumber(scope: CrlScope): Promise<bigint> {
    const { issuerId, shard } = scope;
    const dialect = this.#ctx.dialect;
    const now = databaseNowMillis(dialect);
    await this.#ctx.write((q) => {
      const insert = q.insertInto('crl_numbers').values({ issuer_id: issuerId, shard, number: 0, updated_at: now });
      return (dialect === 'mysql'
        ? insert.onDuplicateKeyUpdate({ number: sql<number>`${sql.ref('number')}` })
        : insert.onConflict((oc) => oc.columns(['issuer_id', 'shard']).doNothing())
      ).execute();
    });
    return this.#ctx.transaction(async (trx) => {
      await trx
        .updateTable('crl_numbers')
        .set({ number: sql<number>`${sql.ref('number')} + 1`, updated_at: now })
        .where('issuer_id', '=', issuerId)
        .where('shard', '=', shard)
        .execute();
      const row = await trx.selectFrom('crl_numbers').select('number').where('issuer_id', '=', issuerId).where('shard', '=', shard).executeTakeFirstOrThrow();
      return BigInt(row.number);
    });
  }

  /** @inheritdoc */
  async currentCrlNumber(scope: CrlScope): Promise<bigint> {
    const row = await this.#ctx
      .open()
      .selectFrom('crl_numbers')
      .select('number')
      .where('issuer_id', '=', scope.issuerId)
      .where('shard', '=', scope.shard)
      .executeTakeFirst();
    return row === undefined ? 0n : BigInt(row.number);
  }
}
