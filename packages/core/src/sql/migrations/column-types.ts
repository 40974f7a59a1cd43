import { sql } from 'kysely';
import type { ColumnDataType, CreateTableBuilder, Expression } from 'kysely';
import type { SqlDialectName } from '../dialect.js';

/** A column type: a kysely type name or raw SQL. */
export type ColumnTypeExpression = ColumnDataType | Expression<unknown>;

/*
 * Column types shared by the migrations. Migrations that already ran depend on
 * these exact definitions: never change an existing helper, add a new one.
 */

/**
 * A key column (ids, thumbprints, serials, key ids): VARCHAR(255) so MariaDB
 * can index it, compared byte-wise on every backend (PostgreSQL `COLLATE "C"`,
 * MySQL/MariaDB through the table's `utf8mb4_bin`, SQLite's default BINARY).
 */
export function keyType(dialect: SqlDialectName): ColumnTypeExpression {
  return dialect === 'postgres' ? sql`varchar(255) collate "C"` : 'varchar(255)';
}

/** A short enumerated value (statuses, identifier and challenge types). */
export function shortType(dialect: SqlDialectName): ColumnTypeExpression {
  return dialect === 'postgres' ? sql`varchar(64) collate "C"` : 'varchar(64)';
}

/** A JSON document or free text; MEDIUMTEXT on MySQL/MariaDB, whose TEXT stops at 64 KiB. */
export function documentType(dialect: SqlDialectName): ColumnTypeExpression {
  return dialect === 'mysql' ? sql`mediumtext` : 'text';
}

/** A byte array: BLOB, BYTEA or LONGBLOB. */
export function bytesType(dialect: SqlDialectName): ColumnTypeExpression {
  switch (dialect) {
    case 'sqlite':
      return 'blob';
    case 'postgres':
      return 'bytea';
    case 'mysql':
      return sql`longblob`;
  }
}

/** A millisecond timestamp. */
export const MILLIS_TYPE: ColumnTypeExpression = 'bigint';

/** A small integer (also booleans as 0/1). */
export const INT_TYPE: ColumnTypeExpression = 'integer';

/**
 * Table options: on MySQL/MariaDB, InnoDB with a binary utf8mb4 collation so
 * that keys compare case-sensitively (base64url thumbprints and nonces differ
 * by case); nothing elsewhere.
 */
export function tableOptions<T extends string, C extends string>(
  dialect: SqlDialectName,
): (builder: CreateTableBuilder<T, C>) => CreateTableBuilder<T, C> {
  return (builder) =>
    dialect === 'mysql' ? builder.modifyEnd(sql`engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`) : builder;
}

/**
 * An IEEE 754 double (DOUBLE PRECISION; REAL affinity on SQLite), for values
 * that must read back exactly as the JavaScript number written, such as the
 * tokens of a rate-limit bucket.
 */
export const DOUBLE_TYPE: ColumnTypeExpression = 'double precision';

/** A 64-bit counter (read back as a number or, from PostgreSQL's `int8`, a string). */
export const COUNTER_TYPE: ColumnTypeExpression = 'bigint';
