import { CompiledQuery, SelectQueryNode, SqliteDialect, SqliteDriver } from 'kysely';
import type { DatabaseConnection, Driver, QueryResult, SqliteDatabase, SqliteStatement } from 'kysely';

/** How many distinct SQL texts a SQLite connection keeps prepared by default. */
export const DEFAULT_STATEMENT_CACHE_SIZE = 256;

/** Configuration of {@link ImmediateSqliteDialect}. */
export interface ImmediateSqliteConfig {
  /** The open database; `Kysely.destroy()` closes it. */
  readonly database: SqliteDatabase;
  /** Prepared statements kept per connection (least recently used dropped first); default {@link DEFAULT_STATEMENT_CACHE_SIZE}. */
  readonly statementCacheSize?: number;
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
 * and rollback) handing out a {@link CachingSqliteConnection} and beginning
 * transactions with `BEGIN IMMEDIATE`.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  readonly #connection: CachingSqliteConnection;

  constructor(config: ImmediateSqliteConfig) {
    super({ database: config.database });
    this.#connection = new CachingSqliteConnection(config.database, config.statementCacheSize ?? DEFAULT_STATEMENT_CACHE_SIZE);
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    await super.acquireConnection(); // waits for the connection mutex
    return this.#connection;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async destroy(): Promise<void> {
    this.#connection.dropStatements();
    await super.destroy();
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
 * A better-sqlite3 connection for kysely that behaves as kysely's own
 * (`reader` statements answer rows through `all()`, others run and report
 * `changes` and `lastInsertRowid` as bigints) but takes statements from a
 * {@link StatementCache}.
 */
export class CachingSqliteConnection implements DatabaseConnection {
  readonly #db: SqliteDatabase;
  readonly #statements: StatementCache;

  constructor(db: SqliteDatabase, cacheSize: number) {
    this.#db = db;
    this.#statements = new StatementCache(db, cacheSize);
  }

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery;
    const stmt = this.#statements.get(sql);
    if (stmt.reader) return Promise.resolve({ rows: stmt.all(parameters) as R[] });
    const { changes, lastInsertRowid } = stmt.run(parameters);
    return Promise.resolve({
      numAffectedRows: changes !== undefined && changes !== null ? BigInt(changes) : undefined,
      insertId: lastInsertRowid !== undefined && lastInsertRowid !== null ? BigInt(lastInsertRowid) : undefined,
      rows: [],
    });
  }

  /**
   * Streams a select's rows one at a time. The statement is prepared afresh,
   * not cached: an iterating statement is busy until the stream ends, and the
   * same SQL may run meanwhile.
   */
  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const { sql, parameters, query } = compiledQuery;
    const stmt = this.#db.prepare(sql);
    if (!SelectQueryNode.is(query)) throw new Error('Sqlite driver only supports streaming of select queries');
    for (const row of stmt.iterate(parameters)) yield { rows: [row as R] };
  }

  /** Drops the cached statements (before the database closes). */
  dropStatements(): void {
    this.#statements.clear();
  }
}
