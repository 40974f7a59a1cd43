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
