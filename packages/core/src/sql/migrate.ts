import { Migrator } from 'kysely';
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { CertwrightError } from '../errors.js';
import type { SqlDialectName } from './dialect.js';
import { MIGRATIONS } from './migrations/index.js';
import type { SqlMigration } from './migrations/index.js';

/**
 * The table in which applied migrations are recorded. It is not kysely's
 * default (`kysely_migration`), so a host application that runs its own kysely
 * migrations in the same database keeps its own history.
 */
export const MIGRATION_TABLE = 'certwright_migration';
/** The table kysely's migration lock lives in (so concurrent migrators wait for each other). */
export const MIGRATION_LOCK_TABLE = 'certwright_migration_lock';

/** The schema version a migration produces: the number before the first `_` of its name. */
export function migrationVersion(name: string): number {
  const match = /^(\d+)_/.exec(name);
  if (match === null) throw new CertwrightError('serverInternal', `Migration name "${name}" does not start with a version number`);
  return Number(match[1]);
}

/** The schema version the running code knows best (the version of its last migration). */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.reduce((max, m) => Math.max(max, migrationVersion(m.name)), 0);

/** What {@link migrateToLatest} did. */
export interface MigrationOutcome {
  /** Schema version before. */
  before: number;
  /** Schema version after. */
  after: number;
  /** Names of the migrations applied now (empty when the schema was current or newer). */
  applied: string[];
}

function provider(migrations: readonly SqlMigration[], dialect: SqlDialectName): MigrationProvider {
  return {
    getMigrations: () => {
      const out: Record<string, Migration> = {};
      for (const m of migrations) out[m.name] = { up: (db) => m.up(db as Kysely<unknown>, dialect) };
      return Promise.resolve(out);
    },
  };
}

async function appliedMigrationNames(db: Kysely<unknown>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) return [];
  const rows = await (db as Kysely<Record<typeof MIGRATION_TABLE, { name: string }>>)
    .selectFrom(MIGRATION_TABLE)
    .select('name')
    .execute();
  return rows.map((r) => r.name);
}

/**
 * The database's schema version: the highest version among the applied
 * migrations, 0 for an empty database. It may exceed
 * {@link LATEST_SCHEMA_VERSION} when newer code already migrated it.
 */
export async function schemaVersion(db: Kysely<unknown>): Promise<number> {
  const names = await appliedMigrationNames(db);
  return names.reduce((max, n) => Math.max(max, migrationVersion(n)), 0);
}

/**
 * Migrates the database to the latest schema this code knows, under kysely's
 * migration lock (safe to run from several instances at once). A database
 * whose schema is already newer is left alone: migrations are expand-only, so
 * the newer schema serves this code too.
 * @throws CertwrightError `serverInternal` when a migration fails (its error is the `cause`).
 */
export async function migrateToLatest(db: Kysely<unknown>, dialect: SqlDialectName): Promise<MigrationOutcome> {
  return runMigrations(db, dialect, MIGRATIONS);
}

/** {@link migrateToLatest} over an explicit migration list (the real list in production; tests use prefixes of it). */
export async function runMigrations(
  db: Kysely<unknown>,
  dialect: SqlDialectName,
  migrations: readonly SqlMigration[],
): Promise<MigrationOutcome> {
  const before = await schemaVersion(db);
  const latest = migrations.reduce((max, m) => Math.max(max, migrationVersion(m.name)), 0);
  if (before >= latest) return { before, after: before, applied: [] };
  const migrator = new Migrator({
    db,
    provider: provider(migrations, dialect),
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new CertwrightError('serverInternal', `Schema migration ${failed} failed`, { cause: error });
  }
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  return { before, after: await schemaVersion(db), applied };
}
