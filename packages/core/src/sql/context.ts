import type { Kysely, Transaction } from 'kysely';
import { CertwrightError } from '../errors.js';
import { isTransientConflict } from './dialect.js';
import type { SqlDialectName } from './dialect.js';
import { GroupCommit } from './group-commit.js';
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
  /** On a durable SQLite file: transactions share physical commits (see {@link GroupCommit}). */
  readonly #groupCommit: GroupCommit | undefined;
  #closed = false;

  constructor(db: Kysely<Schema>, dialect: SqlDialectName, options: { groupCommit?: boolean } = {}) {
    this.db = db;
    this.dialect = dialect;
    this.templates = new QueryTemplates(db);
    if (options.groupCommit === true) {
      if (dialect !== 'sqlite') throw new RangeError('group commit is for SQLite only');
      this.#groupCommit = new GroupCommit(db);
    }
  }

  /** Physical commits made by group commit so far; undefined without it. */
  get groupCommits(): number | undefined {
    return this.#groupCommit?.commits;
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

  /** Commits what group commit holds (before the database closes or is migrated); a no-op without it. */
  async flush(): Promise<void> {
    await this.#groupCommit?.flush();
  }

  /**
   * Runs a write whose statements each stand alone (normally one statement:
   * it is atomic by itself; the nonce redemption's update-then-delete needs
   * no atomicity between its two): with group commit it joins the current
   * group without a savepoint and resolves once that is durable; otherwise
   * it runs directly on the database (autocommit). Statements that must
   * commit together need {@link transaction}.
   */
  async write<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    const db = this.open();
    return this.#groupCommit === undefined ? work(db) : this.#groupCommit.runStatement(work);
  }

  /**
   * Runs `work` in one transaction: all of its writes commit, or none (the
   * error propagates). A transaction the database aborted for a deadlock or
   * serialization conflict is run again, up to {@link TRANSACTION_ATTEMPTS}
   * times in all; `work` must therefore read what it decides on inside the
   * transaction (every caller does). With group commit the transaction is
   * a savepoint of the current group and resolves once the group's commit
   * is durable.
   */
  async transaction<T>(work: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const db = this.open();
        return await (this.#groupCommit === undefined ? db.transaction().execute(work) : this.#groupCommit.run(work));
      } catch (err) {
        if (attempt >= TRANSACTION_ATTEMPTS || !isTransientConflict(err, this.dialect)) throw err;
      }
    }
  }
}
