import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { LATEST_SCHEMA_VERSION, migrateToLatest, schemaVersion } from '../../src/sql/index.js';
import { MIGRATIONS } from '../../src/sql/migrations/index.js';
import type { SqlMigration } from '../../src/sql/migrations/index.js';
import { migrationVersion, runMigrations } from '../../src/sql/migrate.js';
import { isCertwrightError } from '../../src/errors.js';
import { newAccount } from '../store/fixtures.js';
import { expandOnlyViolations } from './expand-only.js';
import { openFreshMysql, openFreshPostgres, openTempSqlite } from './databases.js';
import type { OpenedStore } from './databases.js';

const migrationsDir = fileURLToPath(new URL('../../src/sql/migrations/', import.meta.url));
/** Migration modules are the files named `NNNN_description.ts` (scripts/schema-compat.mjs reads the same pattern). */
const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.ts$/;

describe('migration sources', () => {
  const files = readdirSync(migrationsDir)
    .filter((f) => MIGRATION_FILE.test(f))
    .sort();

  it('every migration file is registered, in order, with consecutive versions from 1', () => {
    expect(files.length).toBeGreaterThan(0);
    expect(MIGRATIONS.map((m) => `${m.name}.ts`)).toEqual(files);
    expect(MIGRATIONS.map((m) => migrationVersion(m.name))).toEqual(files.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(files.length);
  });

  it('every migration is expand-only', () => {
    const violations = files.flatMap((f) => expandOnlyViolations(f, readFileSync(join(migrationsDir, f), 'utf8')));
    expect(violations).toEqual([]);
  });

  const rejected: [string, string, string][] = [
    ['dropTable', "await db.schema.dropTable('orders').execute();", 'no dropTable'],
    ['dropColumn', "await db.schema.alterTable('orders').dropColumn('profile').execute();", 'no dropColumn'],
    ['renameTo', "await db.schema.alterTable('orders').renameTo('orders2').execute();", 'no renameTo'],
    ['renameColumn', "await db.schema.alterTable('orders').renameColumn('a', 'b').execute();", 'no renameColumn'],
    ['alterColumn setNotNull', "await db.schema.alterTable('orders').alterColumn('profile', (c) => c.setNotNull()).execute();", 'no alterColumn'],
    ['modifyColumn', "await db.schema.alterTable('orders').modifyColumn('profile', 'text').execute();", 'no modifyColumn'],
    ['dropIndex', "await db.schema.dropIndex('orders_expires_idx').execute();", 'no dropIndex'],
    ['raw DROP', 'await sql`DROP TABLE nonces`.execute(db);', 'no raw DROP'],
    ['raw RENAME', 'await sql`ALTER TABLE orders RENAME TO x`.execute(db);', 'no raw RENAME'],
    ['raw ALTER COLUMN', 'await sql`ALTER TABLE orders ALTER COLUMN profile SET NOT NULL`.execute(db);', 'no raw ALTER/MODIFY/CHANGE COLUMN'],
    ['raw DELETE', 'await sql`DELETE FROM nonces`.execute(db);', 'no raw TRUNCATE or DELETE'],
    [
      'NOT NULL column without default',
      "await db.schema.alterTable('orders').addColumn('region', 'varchar(64)', (c) => c.notNull()).execute();",
      'an added column must be nullable or have a default',
    ],
    [
      'unique constraint on an existing table',
      "await db.schema.alterTable('orders').addUniqueConstraint('orders_x', ['profile']).execute();",
      'no new constraint on an existing table',
    ],
    ['raw NOT NULL column', 'await sql`ALTER TABLE orders ADD COLUMN region varchar(64) NOT NULL`.execute(db);', 'an added column must be nullable or have a default'],
    ['raw unique constraint', 'await sql`ALTER TABLE orders ADD CONSTRAINT orders_x UNIQUE (profile)`.execute(db);', 'no new constraint on an existing table'],
  ];
  it.each(rejected)('refuses %s', (_, source, rule) => {
    const violations = expandOnlyViolations('0002_bad.ts', source);
    expect(violations.length).toBeGreaterThan(0);
    expect(violations[0]).toMatchObject({ file: '0002_bad.ts' });
    expect(violations.map((v) => v.rule).join(' | ')).toContain(rule);
  });

  it('compat.json names the commit of every older schema version (scripts/schema-compat.mjs checks it out)', () => {
    const compatFile = join(migrationsDir, 'compat.json');
    expect(existsSync(compatFile)).toBe(true);
    const compat = JSON.parse(readFileSync(compatFile, 'utf8')) as Record<string, unknown>;
    const older = Array.from({ length: LATEST_SCHEMA_VERSION - 1 }, (_, i) => String(i + 1));
    expect(Object.keys(compat).sort()).toEqual(older.sort());
    for (const version of older) expect(compat[version], `compat.json "${version}"`).toMatch(/^[0-9a-f]{40}$/);
  });

  it('accepts new tables, nullable or defaulted columns and indexes, and ignores comments', () => {
    const source = [
      '// never drop table here; rename to nothing',
      "await db.schema.createTable('x').addColumn('id', 'varchar(255)', (c) => c.primaryKey()).addColumn('n', 'integer', (c) => c.notNull()).execute();",
      "await db.schema.alterTable('orders').addColumn('region', 'varchar(64)').execute();",
      "await db.schema.alterTable('orders').addColumn('tries', 'integer', (c) => c.notNull().defaultTo(0)).execute();",
      "await db.schema.createIndex('orders_region_idx').on('orders').column('region').execute();",
      'await sql`ALTER TABLE orders ADD COLUMN tries2 integer NOT NULL DEFAULT 0`.execute(db);',
    ].join('\n');
    expect(expandOnlyViolations('0002_good.ts', source)).toEqual([]);
  });
});

/** A later, expand-only migration (a new nullable column, a new table), as a future release might ship. */
const FUTURE: SqlMigration = {
  name: '0099_future_expansion',
  up: async (db: Kysely<unknown>) => {
    await db.schema.alterTable('orders').addColumn('future_note', 'varchar(255)').execute();
    await db.schema.createTable('future_things').addColumn('id', 'varchar(255)', (c) => c.primaryKey()).execute();
  },
};

function migrationSuite(name: string, open: () => Promise<OpenedStore>): void {
  describe(`migrations on ${name}`, () => {
    it('migrates an empty database to the latest version; a second run is a no-op', async () => {
      const { store, close } = await open();
      try {
        expect(await store.schemaVersion()).toBe(0);
        const first = await store.migrate();
        expect(first).toEqual({ before: 0, after: LATEST_SCHEMA_VERSION, applied: MIGRATIONS.map((m) => m.name) });
        expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
        const second = await migrateToLatest(store.db as Kysely<unknown>, store.dialect);
        expect(second).toEqual({ before: LATEST_SCHEMA_VERSION, after: LATEST_SCHEMA_VERSION, applied: [] });
        await store.createAccount(newAccount());
      } finally {
        await close();
      }
    });

    it('upgrades a version 1 database that holds data to the latest version, keeping the data', async () => {
      const { store, close } = await open();
      try {
        const db = store.db as Kysely<unknown>;
        expect((await runMigrations(db, store.dialect, MIGRATIONS.slice(0, 1))).after).toBe(1);
        const account = await store.createAccount(newAccount());
        const outcome = await store.migrate();
        expect(outcome).toEqual({ before: 1, after: LATEST_SCHEMA_VERSION, applied: MIGRATIONS.slice(1).map((m) => m.name) });
        expect(await store.getAccount(account.id)).toEqual(account);
        expect(await store.nextCrlNumber({ issuerId: 'issuer-a', shard: 0 })).toBe(1n);
        expect(await store.compareAndSetBucket('k', undefined, { tokens: 1, updatedAtMs: 1, fullAtMs: 2 })).toBe(true);
      } finally {
        await close();
      }
    });

    it('leaves a newer (expand-only) schema alone and keeps working on it', async () => {
      const { store, close } = await open();
      try {
        const db = store.db as Kysely<unknown>;
        const newer = await runMigrations(db, store.dialect, [...MIGRATIONS, FUTURE]);
        expect(newer.after).toBe(99);
        expect(await schemaVersion(db)).toBe(99);
        expect(await store.migrate()).toEqual({ before: 99, after: 99, applied: [] });
        const account = await store.createAccount(newAccount());
        expect(await store.getAccount(account.id)).toEqual(account);
      } finally {
        await close();
      }
    });

    it('reports a failing migration as serverInternal naming it, with the cause', async () => {
      const { store, close } = await open();
      try {
        const broken: SqlMigration = {
          name: '0001_broken',
          up: async (db: Kysely<unknown>) => {
            await db.schema.createTable('nonces_dup').addColumn('value', 'varchar(255)', (c) => c.primaryKey()).execute();
            await db.schema.createTable('nonces_dup').addColumn('value', 'varchar(255)').execute();
          },
        };
        const err = await runMigrations(store.db as Kysely<unknown>, store.dialect, [broken]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isCertwrightError(err, 'serverInternal')).toBe(true);
        expect(isCertwrightError(err) && err.detail).toContain('0001_broken');
        expect((err as Error).cause).toBeDefined();
      } finally {
        await close();
      }
    });
  });
}

const premigrated = process.env['CERTWRIGHT_SCHEMA_PREMIGRATED'] === '1';
if (!premigrated) {
  migrationSuite('SQLite', () => openTempSqlite({ migrate: false }));
  const pgUrl = process.env['CERTWRIGHT_TEST_POSTGRES_URL'];
  if (pgUrl !== undefined && pgUrl !== '') migrationSuite('PostgreSQL', () => openFreshPostgres(pgUrl, { migrate: false }));
  const myUrl = process.env['CERTWRIGHT_TEST_MYSQL_URL'];
  if (myUrl !== undefined && myUrl !== '') migrationSuite('MariaDB', () => openFreshMysql(myUrl, { migrate: false }));
}
