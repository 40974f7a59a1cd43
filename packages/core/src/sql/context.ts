import type { Kysely, Transaction } from 'kysely';
import { CertwrightError } from '../errors.js';
import { isTransientConflict } from './dialect.js';
import type { SqlDialectName } from './dialect.js';
import { QueryTemplates } from './prepared-queries.js';
import type { Schema } from './schema.js';

/** How many times a transaction is tried when the database aborts it for a conflict with another. */
export const TRANSACTION_ATTEMPTS = 3;

/** A query handle: the database or a transaction on it. */
export type Queryable = Kysely<Schema> | Transaction<Schema>;

/**
 * What the role stores share: the database, its dialect, the queries
 * compiled for it, and whether the store was closed (after which every
 * call throws `serverInternal`).
 */
export class SqlContext {
  readonly db: Kysely<Schema>;
  readonly dialect: SqlDialectName;
  /** The hot-path queries, compiled once for this database (see `QueryTemplates`). */
  readonly templates: QueryTemplates;
  #closed = false;

  constructor(db: Kysely<Schema>, dialect: SqlDialectName) {
    this.db = db;
    this.dialect = dialect;
    this.templates = new QueryTemplates(db);
  }

  /** The database, or `serverInternal` if the store was closed. */
  open(): Kysely<Schema> {
    if (this.#closed) throw new CertwrightError('serverInternal', 'The SQL store is closed');
    return this.db;
  }

  /** Marks the store closed. */
  markClosed(): void {
    this.#closed = true;
  }

  /**
   * Runs `work` in one transaction: all of its writes commit, or none (the
   * error propagates). A transaction the database aborted for a deadlock or
   * serialization conflict is run again, up to {@link TRANSACTION_ATTEMPTS}
   * times in all; `work` must therefore read what it decides on inside the
   * transaction (every caller does).
   */
  async transaction<T>(work: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.open().transaction().execute(work);
      } catch (err) {
        if (attempt >= TRANSACTION_ATTEMPTS || !isTransientConflict(err, this.dialect)) throw err;
      }
    }
  }
}
