import { Kysely, MysqlDialect, PostgresDialect, sql } from 'kysely';
import type { SqlDialectName } from './dialect.js';
import { SQL_DIALECTS } from './dialect.js';
import type { Schema } from './schema.js';
import { SqlStore } from './sql-store.js';
import { loadDriver } from './load-driver.js';
import { ImmediateSqliteDialect } from './sqlite-dialect.js';
import { WalSync } from './wal-sync.js';
import { CertwrightError } from '../errors.js';
import { DEFAULT_DATABASE_TIMEOUT_MS, guardMysqlPool, guardPostgresPool, type MysqlPoolLike, type PgPoolLike } from './guarded-pools.js';
import { resolve as resolvePath } from 'node:path';

/** Options to open a store on a database URL; the store owns (and closes) its connections. */
export interface SqlUrlOptions {
  /**
   * Where the database is:
   * - `postgres://user@host:5432/db` (or `postgresql://`): PostgreSQL through a `pg` pool;
   * - `mysql://user@host:3306/db` or `mariadb://…`: MariaDB/MySQL through a `mysql2` pool;
   * - `sqlite:<path>`, a plain file path, or `:memory:`: SQLite through `better-sqlite3`.
   */
  url: string;
  /**
   * Whether a SQLite commit must survive power loss: `FULL` (default) makes
   * every commit durable before anything reports it (see `sqliteWalSync` for
   * where the sync runs); `NORMAL` leaves syncing to SQLite's checkpoints,
   * which is faster but may lose the last commits on power loss (a killed
   * process loses nothing; the file is never corrupted).
   */
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  /**
   * Where a durable SQLite file's write-ahead log is synced
   * (`sqliteSynchronous: 'FULL'` only):
   * - `thread-pool` (default): SQLite runs with `synchronous=NORMAL` and the
   *   store syncs the WAL itself with fsync(2) on libuv's thread pool after
   *   each commit; the connection answers no statement after a commit until
   *   that sync has completed, so no write is acknowledged, and no read shows
   *   a write, before it is on disk, yet the event loop keeps running while
   *   the disk works (see `WalSync`);
   * - `inline`: SQLite's own `synchronous=FULL`, which syncs inside every
   *   COMMIT on the event loop and stops the process for as long as the
   *   disk takes.
   */
  sqliteWalSync?: 'thread-pool' | 'inline';
  /**
   * Group commit on a SQLite file (default true; never for `:memory:`):
   * store writes that arrive together share one physical commit, so one
   * fsync instead of one per write, and each write resolves only once its
   * commit is durable (see `GroupCommit`).
   */
  sqliteGroupCommit?: boolean;
  /** How long a SQLite writer waits for a lock held by another process, in ms (default 5000). */
  sqliteBusyTimeoutMs?: number;
  /** Connections in the PostgreSQL or MySQL pool (default 10). */
  poolSize?: number;
  /**
   * PostgreSQL and MySQL: how long, in ms, the store waits to get a
   * connection (opening one, or a free one from a full pool) and for the
   * answer to each statement (default 10 000; 0: no bound). When it runs out,
   * or the connection fails, the operation throws a 503 `unavailable`
   * `CertwrightError` with `Retry-After` and the driver's error as its
   * cause, the connection is discarded, and the pool opens a new one for the
   * next operation, so the store recovers by itself once the database is
   * back. The bound covers migrations too: give a long migration
   * `timeoutMs: 0`.
   */
  timeoutMs?: number;
}

/** Options to use a Kysely instance the host application owns (and closes). */
export interface SqlKyselyOptions {
  db: Kysely<Schema>;
  dialect: SqlDialectName;
}

/** Options for {@link openSqlStore}. */
export type OpenSqlStoreOptions = SqlUrlOptions | SqlKyselyOptions;

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Where a URL points: the dialect and what its driver needs. */
export type ParsedSqlUrl =
  | { dialect: 'sqlite'; path: string }
  | { dialect: 'postgres'; url: string }
  | { dialect: 'mysql'; url: string };

/**
 * Parses a database URL for {@link openSqlStore}; `mariadb://` becomes
 * `mysql://` (same protocol). Throws `RangeError` for an unknown scheme.
 */
export function parseSqlUrl(url: string): ParsedSqlUrl {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') return { dialect: 'postgres', url };
  if (scheme === 'mysql') return { dialect: 'mysql', url };
  if (scheme === 'mariadb') return { dialect: 'mysql', url: `mysql:${url.slice('mariadb:'.length)}` };
  if (scheme === 'sqlite') {
    const rest = url.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') throw new RangeError('openSqlStore: "sqlite:" needs a file path or :memory:');
    return { dialect: 'sqlite', path };
  }
  if (url.includes('://')) throw new RangeError(`openSqlStore: unsupported database URL scheme "${scheme ?? url}"`);
  if (url === '') throw new RangeError('openSqlStore: empty database URL');
  return { dialect: 'sqlite', path: url };
}

/**
 * Opens the SQL store. With `{ url }` it loads the one driver the URL needs
 * (`better-sqlite3`, `pg` or `mysql2`, optional peer dependencies), opens a
 * small pool and checks that the database answers; with `{ db, dialect }` it
 * uses the host's Kysely instance as is. It does not migrate: call
 * `store.migrate()` or run `scripts/migrate.mjs` first.
 *
 * SQLite files are opened in WAL mode, durable (every commit on disk before
 * it is reported; the WAL synced on the thread pool unless
 * `sqliteWalSync: 'inline'`; not durable with `sqliteSynchronous: 'NORMAL'`), a busy timeout and foreign keys on, and
 * transactions start with `BEGIN IMMEDIATE` so that two processes sharing a
 * file queue for the write lock instead of failing on upgrade; each distinct
 * SQL text is prepared once per connection and reused (a bounded cache).
 */
export async function openSqlStore(options: OpenSqlStoreOptions): Promise<SqlStore> {
  if ('db' in options) {
    if (!SQL_DIALECTS.includes(options.dialect)) throw new RangeError(`openSqlStore: unknown dialect "${String(options.dialect)}"`);
    return new SqlStore(options.db, options.dialect, false);
  }
  const parsed = parseSqlUrl(options.url);
  const db = await openKysely(parsed, options);
  try {
    await sql`select 1`.execute(db);
  } catch (err) {
    // Closing a pool whose connections failed may fail as well: the first error is the one to report.
    await db.destroy().catch(() => undefined);
    // Opening is not a request: say what failed rather than "retry later".
    const cause = err instanceof CertwrightError && err.code === 'unavailable' ? err.cause : err;
    throw new Error(`cannot reach the database: ${cause instanceof Error ? cause.message : String(cause)}`, { cause: err });
  }
  const groupCommit = parsed.dialect === 'sqlite' && parsed.path !== ':memory:' && options.sqliteGroupCommit !== false;
  return new SqlStore(db, parsed.dialect, true, { groupCommit });
}

async function openKysely(parsed: ParsedSqlUrl, options: SqlUrlOptions): Promise<Kysely<Schema>> {
  switch (parsed.dialect) {
    case 'sqlite':
      return new Kysely<Schema>({ dialect: await sqliteDialect(parsed.path, options) });
    case 'postgres': {
      const pg = await loadDriver('pg', () => import('pg'));
      const timeoutMs = databaseTimeout(options);
      const bound = timeoutMs === 0 ? {} : { connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs };
      // keepAlive: a peer that vanished (host down, partition) is noticed on idle connections too.
      const pool = new pg.default.Pool({ connectionString: parsed.url, max: options.poolSize ?? DEFAULT_POOL_SIZE, keepAlive: true, ...bound });
      return new Kysely<Schema>({ dialect: new PostgresDialect({ pool: guardPostgresPool(pool as unknown as PgPoolLike) }) });
    }
    case 'mysql': {
      const mysql = await loadDriver('mysql2', () => import('mysql2'));
      const timeoutMs = databaseTimeout(options);
      const pool = mysql.createPool({ uri: parsed.url, connectionLimit: options.poolSize ?? DEFAULT_POOL_SIZE, enableKeepAlive: true, ...(timeoutMs === 0 ? {} : { connectTimeout: timeoutMs }) });
      return new Kysely<Schema>({ dialect: new MysqlDialect({ pool: guardMysqlPool(pool as unknown as MysqlPoolLike, timeoutMs) }) });
    }
  }
}

function databaseTimeout(options: SqlUrlOptions): number {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0) throw new RangeError(`openSqlStore: timeoutMs must be a whole number of ms, 0 or more, got ${String(timeoutMs)}`);
  return timeoutMs;
}

async function sqliteDialect(path: string, options: SqlUrlOptions): Promise<ImmediateSqliteDialect> {
  const { default: Database } = await loadDriver('better-sqlite3', () => import('better-sqlite3'));
  const database = new Database(path);
  let walSync: WalSync | undefined;
  try {
    const walSyncMode = options.sqliteWalSync ?? 'thread-pool';
    if (walSyncMode !== 'thread-pool' && walSyncMode !== 'inline') {
      throw new RangeError(`openSqlStore: sqliteWalSync must be "thread-pool" or "inline", got "${String(walSyncMode)}"`);
    }
    // A file system without shared memory support keeps another journal mode; it is then synced inline.
    const wal = path !== ':memory:' && String(database.pragma('journal_mode = WAL', { simple: true })).toLowerCase() === 'wal';
    const durable = options.sqliteSynchronous !== 'NORMAL';
    if (wal && durable && walSyncMode === 'thread-pool') walSync = new WalSync(`${resolvePath(database.name)}-wal`);
    database.pragma(`synchronous = ${durable && walSync === undefined ? 'FULL' : 'NORMAL'}`);
    database.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.sqliteBusyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS))}`);
    database.pragma('foreign_keys = ON');
  } catch (err) {
    database.close();
    throw err;
  }
  return new ImmediateSqliteDialect({ database, walSync });
}
