import type { PurgeResult, RetentionStore } from '../store/types.js';
import type { SqlContext } from './context.js';
import { toMillis } from './rows.js';

/**
 * Bounded deletion of expired rows in SQL. Each kind is purged in two steps
 * that work alike on SQLite, PostgreSQL and MariaDB (which has no `LIMIT` in
 * `IN` subqueries): select at most `batchSize` candidate keys, then delete
 * those keys while re-checking the conditions, so a row that changed in
 * between is kept.
 */
export class SqlRetentionStore implements RetentionStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  /** @inheritdoc */
  async purgeExpired(before: Date, batchSize: number): Promise<PurgeResult> {
    const limit = toMillis(before);
    return {
      nonces: await this.#purgeNonces(limit, batchSize),
      orders: await this.#purgeOrders(limit, batchSize),
      authorizations: await this.#purgeAuthorizations(limit, batchSize),
    };
  }

  async #purgeNonces(before: number, batchSize: number): Promise<number> {
    const db = this.#ctx.open();
    const values = (await db.selectFrom('nonces').select('value').where('expires', '<', before).limit(batchSize).execute()).map((r) => r.value);
    if (values.length === 0) return 0;
    const result = await db.deleteFrom('nonces').where('value', 'in', values).where('expires', '<', before).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /** Expired orders, except valid ones with a certificate; their authorization links go with them. */
  async #purgeOrders(before: number, batchSize: number): Promise<number> {
    const ids = (
      await this.#ctx
        .open()
        .selectFrom('orders')
        .select('id')
        .where('expires', '<', before)
        .where((eb) => eb.or([eb('status', '<>', 'valid'), eb('certificate_serial', 'is', null)]))
        .limit(batchSize)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return 0;
    return this.#ctx.transaction(async (trx) => {
      const result = await trx
        .deleteFrom('orders')
        .where('id', 'in', ids)
        .where('expires', '<', before)
        .where((eb) => eb.or([eb('status', '<>', 'valid'), eb('certificate_serial', 'is', null)]))
        .executeTakeFirst();
      await trx
        .deleteFrom('order_authorizations')
        .where('order_id', 'in', ids)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('orders').select('orders.id').whereRef('orders.id', '=', 'order_authorizations.order_id'))),
        )
        .execute();
      return Number(result.numDeletedRows);
    });
  }

  /** Expired authorizations no remaining order links to, with their challenges. */
  async #purgeAuthorizations(before: number, batchSize: number): Promise<number> {
    const ids = (
      await this.#ctx
        .open()
        .selectFrom('authorizations')
        .select('id')
        .where('expires', '<', before)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('order_authorizations').select('order_authorizations.order_id').whereRef('order_authorizations.authorization_id', '=', 'authorizations.id'))),
        )
        .limit(batchSize)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return 0;
    return this.#ctx.transaction(async (trx) => {
      const result = await trx
        .deleteFrom('authorizations')
        .where('id', 'in', ids)
        .where('expires', '<', before)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('order_authorizations').select('order_authorizations.order_id').whereRef('order_authorizations.authorization_id', '=', 'authorizations.id'))),
        )
        .executeTakeFirst();
      await trx
        .deleteFrom('challenges')
        .where('authorization_id', 'in', ids)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('authorizations').select('authorizations.id').whereRef('authorizations.id', '=', 'challenges.authorization_id'))),
        )
        .execute();
      return Number(result.numDeletedRows);
    });
  }
}
