import { CompiledQuery, SelectQueryNode, SqliteDialect, SqliteDriver } from 'kysely';
import type { DatabaseConnection, Driver, QueryResult, SqliteDatabase, SqliteStatement } from 'kysely';
import type { WalSync } from './wal-sync.js';

/** How many distinct SQL texts a SQLite connection keeps prepared by default. */
export const DEFAULT_STATEMENT_CACHE_SIZE = 256;

/** Configuration of {@link ImmediateSqliteDialect}. */
export interface ImmediateSqliteConfig {
  /** The open database; `Kysely.destroy()` closes it. */
  readonly database: SqliteDatabase;
  /** Prepared statements kept per connection (least recently used dropped first); default {@link DEFAULT_STATEMENT_CACHE_SIZE}. */
  readonly statementCacheSize?: number;
  /**
   * With `synchronous=NORMAL`: the WAL is synced here after commits, off the
   * event loop, and no statement's result is answered while a commit before
   * it is not yet on disk (see {@link WalSync}).
   */
  readonly walSync?: WalSync;
}

/**
 * Kysely's SQLite dialect with two changes to its driver: transactions
 * start with `BEGIN IMMEDIATE` (the write lock is taken up front, so lock
 * waits go through `busy_timeout` instead of failing on upgrade), and each
 * distinct SQL text is prepared once and reused ({@link StatementCache})
 * instead of being prepared for every execution.
 */
export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ImmediateSqliteConfig;

  constructor(config: ImmediateSqliteConfig) {
    super({ database: config.database });
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/**
 * Kysely's `SqliteDriver` (its single-connection mutex, savepoints, commit
 * and rollback) handing out leases of one {@link CachingSqliteConnection}
 * and beginning transactions with `BEGIN IMMEDIATE`.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #connection: CachingSqliteConnection;
  readonly #walSync: WalSync | undefined;

  constructor(config: ImmediateSqliteConfig) {
    super({ database: config.database });
    this.#walSync = config.walSync;
    this.#connection = new CachingSqliteConnection(config.database, config.statementCacheSize ?? DEFAULT_STATEMENT_CACHE_SIZE, config.walSync);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const lock = async (): Promise<void> => {
      await super.acquireConnection(); // waits for the connection mutex
    };
    await lock();
    return new ConnectionLease(this.#connection, lock, () => void super.releaseConnection());
  }

  /** Kysely passes the connection it acquired (its `Driver` interface; `SqliteDriver` declares no parameter). */
  override async releaseConnection(connection?: DatabaseConnection): Promise<void> {
    if (!(connection instanceof ConnectionLease)) throw new Error('releaseConnection needs the lease that acquireConnection returned');
    connection.release();
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async destroy(): Promise<void> {
    this.#connection.dropStatements();
    await super.destroy();
    await this.#walSync?.close();
  }
}

/**
 * A bounded least-recently-used map from SQL text to its prepared statement.
 * better-sqlite3 has no explicit finalize: a dropped statement is finalized
 * when it is garbage collected, or when the database closes.
 */
export class StatementCache {
  readonly #db: SqliteDatabase;
  readonly #capacity: number;
  readonly #statements = new Map<string, SqliteStatement>();

  /** Throws `RangeError` unless `capacity` is a positive integer. */
  constructor(db: SqliteDatabase, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`statement cache size must be a positive integer, got ${capacity}`);
    this.#db = db;
    this.#capacity = capacity;
  }

  /** How many statements are cached. */
  get size(): number {
    return this.#statements.size;
  }

  /** The prepared statement for `sql`, prepared now if not cached (a preparation error propagates and caches nothing). */
  get(sql: string): SqliteStatement {
    const cached = this.#statements.get(sql);
    if (cached !== undefined) {
      // Map keeps insertion order: re-inserting marks the entry most recently used.
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    const stmt = this.#db.prepare(sql);
    if (this.#statements.size >= this.#capacity) {
      const oldest = this.#statements.keys().next();
      if (oldest.done !== true) this.#statements.delete(oldest.value);
    }
    this.#statements.set(sql, stmt);
    return stmt;
  }

  /** Drops every cached statement. */
  clear(): void {
    this.#statements.clear();
  }
}

/**
 * One holder's use of the single connection, from kysely's acquire to its
 * release. The connection may hand the lock on early: a statement outside a
 * transaction that waits for the WAL sync before answering has already run,
 * so the next holder may go on meanwhile. A holder that runs another
 * statement afterwards (kysely's `db.connection()` sessions do) takes the
 * lock again first; outside a transaction nothing depends on holding it in
 * between.
 */
class ConnectionLease implements DatabaseConnection {
  readonly #connection: CachingSqliteConnection;
  readonly #lock: () => Promise<void>;
  readonly #unlock: () => void;
  #held = true;

  constructor(connection: CachingSqliteConnection, lock: () => Promise<void>, unlock: () => void) {
    this.#connection = connection;
    this.#lock = lock;
    this.#unlock = unlock;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (!this.#held) {
      await this.#lock();
      this.#held = true;
    }
    return this.#connection.executeQuery(compiledQuery, () => this.release());
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!this.#held) {
      await this.#lock();
      this.#held = true;
    }
    yield* this.#connection.streamQuery<R>(compiledQuery);
  }

  /** Hands the connection to the next holder (if this lease holds it). */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    this.#unlock();
  }
}

/** better-sqlite3's `Database` as far as this connection needs it beyond kysely's interface. */
interface TransactionState {
  /** Whether a transaction is open on the connection (better-sqlite3's `Database#inTransaction`). */
  readonly inTransaction: boolean;
}

/** better-sqlite3's `Statement` beyond kysely's interface. */
interface StatementWrites {
  /** True when the statement never writes the database (`sqlite3_stmt_readonly`; transaction control statements count as read-only). */
  readonly readonly: boolean;
}

/**
 * A better-sqlite3 connection for kysely that behaves as kysely's own
 * (`reader` statements answer rows through `all()`, others run and report
 * `changes` and `lastInsertRowid` as bigints) but takes statements from a
 * {@link StatementCache}. With a {@link WalSync}, a write statement that
 * leaves no transaction open (a COMMIT, or a write in autocommit mode) is
 * noted as a commit, and a statement outside a transaction answers only
 * once every commit made before it ran is on disk, so nothing reads or
 * acknowledges a write that power loss could undo; meanwhile the event loop
 * goes on, and so does the connection (the statement has run: its lease is
 * released early). Statements inside a transaction
 * answer at once: their outcome is reported only after their own commit.
 */
export class CachingSqliteConnection implements DatabaseConnection {
  readonly #db: SqliteDatabase & Partial<TransactionState>;
  readonly #statements: StatementCache;
  readonly #walSync: WalSync | undefined;

  constructor(db: SqliteDatabase, cacheSize: number, walSync?: WalSync) {
    this.#db = db;
    this.#statements = new StatementCache(db, cacheSize);
    this.#walSync = walSync;
  }

  /**
   * Runs one statement. `releaseEarly`, when given, is called if the
   * statement ran outside a transaction and its answer now waits for the
   * WAL sync: the connection itself is free for the next holder by then.
   */
  executeQuery<R>(compiledQuery: CompiledQuery, releaseEarly?: () => void): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery;
    const stmt = this.#statements.get(sql) as SqliteStatement & Partial<StatementWrites>;
    const wasInTransaction = this.#db.inTransaction === true;
    let result: QueryResult<R>;
    if (stmt.reader) {
      result = { rows: stmt.all(parameters) as R[] };
    } else {
      const { changes, lastInsertRowid } = stmt.run(parameters);
      result = {
        numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
        insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
        rows: [],
      };
    }
    const walSync = this.#walSync;
    if (walSync === undefined || this.#db.inTransaction === true) return Promise.resolve(result);
    // A transaction ended (COMMIT; ROLLBACK costs a needless sync), or a write ran in autocommit mode.
    if (wasInTransaction || stmt.readonly !== true) walSync.noteCommit();
    if (!walSync.pending) return Promise.resolve(result);
    releaseEarly?.();
    return walSync.whenDurable().then(() => result);
  }

  /**
   * Streams a select's rows one at a time. The statement is prepared afresh,
   * not cached: an iterating statement is busy until the stream ends, and the
   * same SQL may run meanwhile.
   */
  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const { sql, parameters, query } = compiledQuery;
    if (this.#walSync?.pending === true && this.#db.inTransaction !== true) await this.#walSync.whenDurable();
    const stmt = this.#db.prepare(sql);
    if (!SelectQueryNode.is(query)) throw new Error('Sqlite driver only supports streaming of select queries');
    for (const row of stmt.iterate(parameters)) yield { rows: [row as R] };
  }

  /** Drops the cached statements (before the database closes). */
  dropStatements(): void {
    this.#statements.clear();
  }
}
