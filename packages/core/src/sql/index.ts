/**
 * @certwright/core/sql — the certwright {@link Store} over SQLite
 * (better-sqlite3), PostgreSQL (pg) and MariaDB/MySQL (mysql2) through
 * kysely, with versioned, expand-only schema migrations. The drivers are
 * optional peer dependencies, loaded only for the database a URL names.
 * @packageDocumentation
 */
export { openSqlStore, parseSqlUrl } from './open.js';
export type { OpenSqlStoreOptions, ParsedSqlUrl, SqlKyselyOptions, SqlUrlOptions } from './open.js';
export { SqlStore } from './sql-store.js';
export { DEFAULT_DATABASE_TIMEOUT_MS, isConnectionFailure } from './guarded-pools.js';
export { LATEST_SCHEMA_VERSION, MIGRATION_LOCK_TABLE, MIGRATION_TABLE, migrateToLatest, schemaVersion } from './migrate.js';
export type { MigrationOutcome } from './migrate.js';
export { SQL_DIALECTS, isUniqueViolation } from './dialect.js';
export type { SqlDialectName } from './dialect.js';
export type { Schema } from './schema.js';
