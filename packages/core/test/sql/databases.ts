import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { MIGRATION_TABLE, openSqlStore } from '../../src/sql/index.js';
import type { SqlStore } from '../../src/sql/index.js';

/*
 * Fresh databases for the SQL store tests, one per `open()`, so that test
 * files (and tests) never share state:
 * - SQLite: a new file in a temp directory (WAL needs a real file);
 * - PostgreSQL and MariaDB: `CREATE DATABASE cw_<random>` on the server of
 *   the given URL, dropped again on close.
 *
 * `CERTWRIGHT_SCHEMA_PREMIGRATED=1` means the schema was migrated by someone
 * else (scripts/schema-compat.mjs: newer code migrated, older code tests):
 * no migration runs. The fresh database then copies the premigrated one:
 * SQLite copies the file named by `CERTWRIGHT_TEST_SQLITE_FILE`, PostgreSQL
 * uses the URL's database as template, MariaDB clones its tables with
 * `CREATE TABLE … LIKE` and copies the migration records.
 */

/** True when the tests must use an already migrated schema and never migrate. */
export function schemaPremigrated(): boolean {
  return process.env['CERTWRIGHT_SCHEMA_PREMIGRATED'] === '1';
}

/** A store on a fresh database, and how to release both. */
export interface OpenedStore {
  store: SqlStore;
  close: () => Promise<void>;
}

/** Options of the openers: `migrate: false` leaves a fresh database empty (for migration tests). */
export interface OpenOptions {
  migrate?: boolean;
}

async function ready(store: SqlStore, cleanup: () => Promise<void>, options: OpenOptions): Promise<OpenedStore> {
  try {
    if (options.migrate !== false && !schemaPremigrated()) await store.migrate();
  } catch (err) {
    await store.close();
    await cleanup();
    throw err;
  }
  return {
    store,
    close: async () => {
      await store.close();
      await cleanup();
    },
  };
}

/** A store on a new SQLite file in a temp directory (or a copy of `CERTWRIGHT_TEST_SQLITE_FILE`). */
export async function openTempSqlite(options: OpenOptions = {}): Promise<OpenedStore> {
  const dir = mkdtempSync(join(tmpdir(), 'certwright-sqlite-'));
  const file = join(dir, 'store.db');
  const template = process.env['CERTWRIGHT_TEST_SQLITE_FILE'];
  if (template !== undefined && template !== '') {
    if (!existsSync(template)) throw new Error(`CERTWRIGHT_TEST_SQLITE_FILE=${template} does not exist`);
    copyFileSync(template, file);
    if (existsSync(`${template}-wal`)) copyFileSync(`${template}-wal`, `${file}-wal`);
  } else if (schemaPremigrated()) {
    throw new Error('CERTWRIGHT_SCHEMA_PREMIGRATED=1 needs CERTWRIGHT_TEST_SQLITE_FILE=<premigrated SQLite file>');
  }
  const cleanup = async (): Promise<void> => rmSync(dir, { recursive: true, force: true });
  let store: SqlStore;
  try {
    store = await openSqlStore({ url: `sqlite:${file}` });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return ready(store, cleanup, options);
}

function freshName(): string {
  return `cw_${randomBytes(8).toString('hex')}`;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function databaseOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`Unsupported test database name "${name}" in ${url}`);
  return name;
}

async function withPgAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A store on a new PostgreSQL database created through `adminUrl` (e.g. postgres://postgres@127.0.0.1:5432/test). */
export async function openFreshPostgres(adminUrl: string, options: OpenOptions = {}): Promise<OpenedStore> {
  const name = freshName();
  const template = schemaPremigrated() ? ` template "${databaseOf(adminUrl)}"` : '';
  // With a template the admin connection must not sit in the template database itself.
  const adminOn = schemaPremigrated() ? withDatabase(adminUrl, 'postgres') : adminUrl;
  await withPgAdmin(adminOn, (c) => c.query(`create database "${name}"${template}`));
  const cleanup = (): Promise<void> => withPgAdmin(adminOn, (c) => c.query(`drop database if exists "${name}" with (force)`)).then(() => undefined);
  let store: SqlStore;
  try {
    store = await openSqlStore({ url: withDatabase(adminUrl, name), poolSize: 5 });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return ready(store, cleanup, options);
}

async function withMysqlAdmin<T>(url: string, work: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection({ uri: url.replace(/^mariadb:/, 'mysql:') });
  try {
    return await work(conn);
  } finally {
    await conn.end();
  }
}

/** A store on a new MariaDB/MySQL database created through `adminUrl` (e.g. mysql://root@127.0.0.1:3306/test). */
export async function openFreshMysql(adminUrl: string, options: OpenOptions = {}): Promise<OpenedStore> {
  const name = freshName();
  await withMysqlAdmin(adminUrl, async (c) => {
    await c.query(`create database \`${name}\``);
    if (!schemaPremigrated()) return;
    const source = databaseOf(adminUrl);
    const [tables] = await c.query(`select table_name as t from information_schema.tables where table_schema = ?`, [source]);
    for (const { t } of tables as { t: string }[]) {
      await c.query(`create table \`${name}\`.\`${t}\` like \`${source}\`.\`${t}\``);
      if (t.startsWith(MIGRATION_TABLE)) await c.query(`insert into \`${name}\`.\`${t}\` select * from \`${source}\`.\`${t}\``);
    }
  });
  const cleanup = (): Promise<void> => withMysqlAdmin(adminUrl, (c) => c.query(`drop database if exists \`${name}\``)).then(() => undefined);
  let store: SqlStore;
  try {
    store = await openSqlStore({ url: withDatabase(adminUrl.replace(/^mariadb:/, 'mysql:'), name), poolSize: 5 });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return ready(store, cleanup, options);
}
