/**
 * The PostgreSQL (`pg`) and MariaDB/MySQL (`mysql2`) connection pools as
 * kysely sees them, guarded for a database that goes away: a connection
 * that cannot be had, or a statement without an answer, fails within the
 * store's timeout; a connection that failed is dropped instead of going
 * back to the pool; and every such failure reaches the caller as a 503
 * `unavailable` {@link CertwrightError} (RFC 9110 §15.6.4, with
 * `Retry-After`) carrying the driver's error as its cause. Errors of the
 * statements themselves (constraint violations, syntax) pass unchanged.
 * @module
 */
import type { MysqlPool, MysqlPoolConnection, MysqlQueryResult, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { CertwrightError } from '../errors.js';

/** Default bound on getting a connection and on each statement, in ms. */
export const DEFAULT_DATABASE_TIMEOUT_MS = 10_000;

/** `Retry-After` seconds suggested to clients while the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Node socket errors and the drivers' own codes for a lost or silent connection. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  // MariaDB/MySQL: the session was killed (KILL), the server is shutting down, or it is read-only (a replica after a
  // failover): a new connection may reach the new primary.
  'ER_CONNECTION_KILLED',
  'ER_SERVER_SHUTDOWN',
  'ER_OPTION_PREVENTS_STATEMENT',
  // PostgreSQL 25006 read_only_sql_transaction: connected to a standby (after a failover, through a stale address).
  '25006',
]);

/** `pg` reports these without a code. */
const PG_CONNECTION_MESSAGES = /^(Connection terminated|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed)/;

/**
 * Whether `err` says the connection, not the statement, failed: a socket
 * error, a driver timeout, a `mysql2` fatal error, a PostgreSQL SQLSTATE of
 * class 08 (connection exception) or 57P01–57P03 (the server shut the
 * session down or is not accepting connections yet), or a server that is
 * read-only (a standby or replica reached after a failover).
 */
export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { code?: unknown; fatal?: unknown };
  if (e.fatal === true) return true;
  if (typeof e.code === 'string' && (CONNECTION_ERROR_CODES.has(e.code) || /^08[0-9A-Z]{3}$/.test(e.code) || /^57P0[1-3]$/.test(e.code))) return true;
  return PG_CONNECTION_MESSAGES.test(e.message);
}

/**
 * The error a request sees while the database is unreachable: 503
 * `serverInternal` with `Retry-After`. Clients get only the detail; the
 * message, which logs print, also names the driver's error.
 */
export function databaseUnavailable(cause: unknown): CertwrightError {
  const err = new CertwrightError('unavailable', 'The CA cannot reach its database at the moment; retry later', { retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS, cause });
  err.message = `${err.detail} (${cause instanceof Error ? cause.message : String(cause)})`;
  return err;
}

/** What the guard needs of a `pg` client. */
interface PgClient {
  query(text: string, values: readonly unknown[]): Promise<PostgresQueryResult<unknown>>;
  release(destroy?: boolean): void;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** What the guard needs of a `pg` pool (built with `connectionTimeoutMillis` and `query_timeout`). */
export interface PgPoolLike {
  connect(): Promise<PgClient>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'connect', listener: (client: PgClient) => void): unknown;
}

/**
 * Guards a `pg` pool. Every client gets an `error` listener for its whole
 * life: a connection that dies while checked out (the server restarted,
 * the session was terminated) is an `error` event on the client, which Node
 * would otherwise turn into a process crash. A client whose connection
 * failed answers its remaining statements at once with the same failure and
 * is destroyed on release, so a transaction's ROLLBACK does not wait out a
 * second timeout and the pool opens a fresh connection next time.
 */
export function guardPostgresPool(pool: PgPoolLike): PostgresPool {
  const ignore = (): void => undefined;
  pool.on('error', ignore);
  pool.on('connect', (client) => void client.on('error', ignore));
  return {
    async connect(): Promise<PostgresPoolClient> {
      let client: PgClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw databaseUnavailable(err);
      }
      let broken: unknown;
      const guarded = {
        async query(text: string, values: readonly unknown[]): Promise<PostgresQueryResult<unknown>> {
          if (broken !== undefined) throw databaseUnavailable(broken);
          try {
            return await client.query(text, values);
          } catch (err) {
            if (!isConnectionFailure(err)) throw err;
            broken = err;
            throw databaseUnavailable(err);
          }
        },
        release(): void {
          client.release(broken !== undefined);
        },
      };
      return guarded as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

/** What the guard needs of a `mysql2` pool connection. */
interface MysqlConnection {
  query(options: { sql: string; timeout?: number }, values: unknown[], callback?: (err: unknown, result: MysqlQueryResult) => void): unknown;
  release(): void;
  destroy(): void;
}

/** What the guard needs of a `mysql2` pool (built with `connectTimeout`). */
export interface MysqlPoolLike {
  getConnection(callback: (err: unknown, connection: MysqlConnection) => void): void;
  end(callback: (err: unknown) => void): void;
}

/**
 * Guards a `mysql2` pool: waiting for a connection (a full pool of hung
 * connections, a server that accepts TCP but never greets) gives up after
 * `timeoutMs`; each statement carries `timeoutMs` as its `mysql2` inactivity
 * timeout; a connection whose statement timed out or that failed fatally
 * is destroyed (taken out of the pool) rather than handed to the next
 * request. `timeoutMs` 0 sets no bound.
 */
export function guardMysqlPool(pool: MysqlPoolLike, timeoutMs: number): MysqlPool {
  return {
    getConnection(callback): void {
      let settled = false;
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              settled = true;
              callback(databaseUnavailable(new Error(`no database connection within ${timeoutMs} ms`)), undefined as unknown as MysqlPoolConnection);
            }, timeoutMs)
          : undefined;
      pool.getConnection((err, connection) => {
        clearTimeout(timer);
        if (settled) {
          if (err === null || err === undefined) connection.release();
          return;
        }
        settled = true;
        if (err !== null && err !== undefined) callback(databaseUnavailable(err), undefined as unknown as MysqlPoolConnection);
        else callback(null, guardMysqlConnection(connection, timeoutMs));
      });
    },
    end: (callback) => pool.end(callback),
  };
}

function guardMysqlConnection(connection: MysqlConnection, timeoutMs: number): MysqlPoolConnection {
  let broken: unknown;
  function query(sql: string, parameters: unknown[], callback?: (error: unknown, result: MysqlQueryResult) => void): unknown {
    const options = timeoutMs > 0 ? { sql, timeout: timeoutMs } : { sql };
    if (callback === undefined) return connection.query(options, parameters);
    if (broken !== undefined) {
      const failure = databaseUnavailable(broken);
      queueMicrotask(() => callback(failure, undefined as unknown as MysqlQueryResult));
      return undefined;
    }
    connection.query(options, parameters, (err, result) => {
      if (err === null || err === undefined || !isConnectionFailure(err)) return callback(err, result);
      broken = err;
      connection.destroy();
      callback(databaseUnavailable(err), result);
    });
    return undefined;
  }
  return { query, release: () => connection.release() } as MysqlPoolConnection;
}
