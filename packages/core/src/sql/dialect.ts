/**
 * The SQL databases certwright supports. `mysql` covers MariaDB and MySQL,
 * which share a wire protocol and driver.
 */
export type SqlDialectName = 'sqlite' | 'postgres' | 'mysql';

/** The names accepted as {@link SqlDialectName}, for validation of options. */
export const SQL_DIALECTS: readonly SqlDialectName[] = ['sqlite', 'postgres', 'mysql'];

function field(err: unknown, name: string): unknown {
  return typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[name] : undefined;
}

/**
 * True when `err` is a driver error for a violated primary key or unique
 * constraint: SQLite `SQLITE_CONSTRAINT_PRIMARYKEY`/`_UNIQUE`, PostgreSQL
 * SQLSTATE 23505, MySQL/MariaDB error 1062 (`ER_DUP_ENTRY`).
 */
export function isUniqueViolation(err: unknown, dialect: SqlDialectName): boolean {
  const code = field(err, 'code');
  switch (dialect) {
    case 'sqlite':
      return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
    case 'postgres':
      return code === '23505';
    case 'mysql':
      return code === 'ER_DUP_ENTRY' || field(err, 'errno') === 1062;
  }
}

/**
 * True when `err` says the database aborted a transaction to resolve a
 * conflict with another one, so running it again may succeed: a deadlock
 * (PostgreSQL 40P01, MySQL/MariaDB 1213 `ER_LOCK_DEADLOCK`), a serialization
 * failure (PostgreSQL 40001) or a lock wait timeout (MySQL/MariaDB 1205).
 * SQLite waits for locks through `busy_timeout` instead.
 */
export function isTransientConflict(err: unknown, dialect: SqlDialectName): boolean {
  const code = field(err, 'code');
  switch (dialect) {
    case 'sqlite':
      return false;
    case 'postgres':
      return code === '40P01' || code === '40001';
    case 'mysql':
      return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT' || field(err, 'errno') === 1213 || field(err, 'errno') === 1205;
  }
}
