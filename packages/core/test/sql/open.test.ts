import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { isUniqueViolation, openSqlStore, parseSqlUrl } from '../../src/sql/index.js';
import type { Schema, SqlStore } from '../../src/sql/index.js';
import { isCertwrightError } from '../../src/errors.js';
import { loadDriver } from '../../src/sql/load-driver.js';
import { newAccount } from '../store/fixtures.js';

describe('parseSqlUrl', () => {
  it.each([
    ['postgres://u@h:5432/db', { dialect: 'postgres', url: 'postgres://u@h:5432/db' }],
    ['postgresql://u@h/db', { dialect: 'postgres', url: 'postgresql://u@h/db' }],
    ['mysql://root@h:3306/db', { dialect: 'mysql', url: 'mysql://root@h:3306/db' }],
    ['mariadb://root@h:3306/db', { dialect: 'mysql', url: 'mysql://root@h:3306/db' }],
    ['sqlite:/var/lib/ca.db', { dialect: 'sqlite', path: '/var/lib/ca.db' }],
    ['sqlite:///var/lib/ca.db', { dialect: 'sqlite', path: '/var/lib/ca.db' }],
    ['sqlite:relative.db', { dialect: 'sqlite', path: 'relative.db' }],
    [':memory:', { dialect: 'sqlite', path: ':memory:' }],
    ['/tmp/ca.db', { dialect: 'sqlite', path: '/tmp/ca.db' }],
  ])('%s', (url, expected) => {
    expect(parseSqlUrl(url)).toEqual(expected);
  });

  it('refuses an unknown scheme, naming it', () => {
    expect(() => parseSqlUrl('redis://localhost/0')).toThrow(/unsupported database URL scheme "redis"/);
  });

  it('refuses an empty URL and a sqlite: URL without a path', () => {
    expect(() => parseSqlUrl('')).toThrow(/empty database URL/);
    expect(() => parseSqlUrl('sqlite:')).toThrow(/needs a file path/);
  });
});

describe('isUniqueViolation', () => {
  it('recognizes each driver’s duplicate-key error and nothing else', () => {
    expect(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }, 'sqlite')).toBe(true);
    expect(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_UNIQUE' }, 'sqlite')).toBe(true);
    expect(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_NOTNULL' }, 'sqlite')).toBe(false);
    expect(isUniqueViolation({ code: '23505' }, 'postgres')).toBe(true);
    expect(isUniqueViolation({ code: '23502' }, 'postgres')).toBe(false);
    expect(isUniqueViolation({ code: 'ER_DUP_ENTRY', errno: 1062 }, 'mysql')).toBe(true);
    expect(isUniqueViolation({ code: 'ER_NO_SUCH_TABLE', errno: 1146 }, 'mysql')).toBe(false);
    expect(isUniqueViolation(new Error('duplicate'), 'postgres')).toBe(false);
    expect(isUniqueViolation(undefined, 'sqlite')).toBe(false);
  });
});

describe('openSqlStore on SQLite', () => {
  const dirs: string[] = [];
  const stores: SqlStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function tempFile(): string {
    const dir = mkdtempSync(join(tmpdir(), 'certwright-open-'));
    dirs.push(dir);
    return join(dir, 'ca.db');
  }
  async function pragma(store: SqlStore, name: string): Promise<unknown> {
    const { rows } = await sql<Record<string, unknown>>`${sql.raw(`pragma ${name}`)}`.execute(store.db);
    return Object.values(rows[0] ?? {})[0];
  }

  it('opens a file in WAL mode, a busy timeout and foreign keys on, the WAL synced by the store (synchronous=NORMAL) or by SQLite (FULL)', async () => {
    const store = await openSqlStore({ url: `sqlite:${tempFile()}` });
    stores.push(store);
    expect(store.dialect).toBe('sqlite');
    expect(await pragma(store, 'journal_mode')).toBe('wal');
    expect(await pragma(store, 'synchronous')).toBe(1);
    expect(await pragma(store, 'busy_timeout')).toBe(5000);
    expect(await pragma(store, 'foreign_keys')).toBe(1);
    const inline = await openSqlStore({ url: `sqlite:${tempFile()}`, sqliteWalSync: 'inline' });
    stores.push(inline);
    expect(await pragma(inline, 'synchronous')).toBe(2);
    const relaxed = await openSqlStore({ url: `sqlite:${tempFile()}`, sqliteSynchronous: 'NORMAL' });
    stores.push(relaxed);
    expect(await pragma(relaxed, 'synchronous')).toBe(1);
    await expect(openSqlStore({ url: `sqlite:${tempFile()}`, sqliteWalSync: 'sometimes' as 'inline' })).rejects.toThrow(/sqliteWalSync must be/);
  });

  it('groups the writes of a file that arrive together into fewer durable commits, unless turned off; never for :memory:', async () => {
    const grouped = await openSqlStore({ url: `sqlite:${tempFile()}` });
    stores.push(grouped);
    await grouped.migrate();
    await Promise.all(Array.from({ length: 10 }, (_, i) => grouped.createAccount(newAccount({ id: `acct-${i}`, thumbprint: `thumb-${i}` }))));
    expect(grouped.groupCommits).toBeGreaterThanOrEqual(1);
    expect(grouped.groupCommits).toBeLessThan(10);
    expect((await grouped.getAccount('acct-9'))?.id).toBe('acct-9');
    const separate = await openSqlStore({ url: `sqlite:${tempFile()}`, sqliteGroupCommit: false });
    stores.push(separate);
    expect(separate.groupCommits).toBeUndefined();
    const memory = await openSqlStore({ url: ':memory:' });
    stores.push(memory);
    expect(memory.groupCommits).toBeUndefined();
  });

  it('takes synchronous=NORMAL and another busy timeout as options', async () => {
    const store = await openSqlStore({ url: tempFile(), sqliteSynchronous: 'NORMAL', sqliteBusyTimeoutMs: 1234 });
    stores.push(store);
    expect(await pragma(store, 'synchronous')).toBe(1);
    expect(await pragma(store, 'busy_timeout')).toBe(1234);
  });

  it('works in memory', async () => {
    const store = await openSqlStore({ url: ':memory:' });
    stores.push(store);
    await store.migrate();
    const account = await store.createAccount(newAccount());
    expect(await store.getAccount(account.id)).toEqual(account);
  });

  it('refuses every call after close with serverInternal', async () => {
    const store = await openSqlStore({ url: ':memory:' });
    await store.migrate();
    await store.close();
    const err = await store.getAccount('x').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCertwrightError(err, 'serverInternal')).toBe(true);
    expect(isCertwrightError(err) && err.detail).toContain('closed');
    const err2 = await store.recordAbandoned('01', new Date(0)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCertwrightError(err2, 'serverInternal')).toBe(true);
  });
});

describe('openSqlStore with the host’s own Kysely', () => {
  it('uses it as is and leaves it open on close', async () => {
    const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    try {
      const store = await openSqlStore({ db, dialect: 'sqlite' });
      expect(store.db).toBe(db);
      await store.migrate();
      const account = await store.createAccount(newAccount());
      await store.close();
      const row = await db.selectFrom('accounts').select('id').executeTakeFirst();
      expect(row?.id).toBe(account.id);
    } finally {
      await db.destroy();
    }
  });

  it('refuses an unknown dialect, naming it', async () => {
    const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    try {
      await expect(openSqlStore({ db, dialect: 'oracle' as 'sqlite' })).rejects.toThrow(/unknown dialect "oracle"/);
    } finally {
      await db.destroy();
    }
  });
});

describe('openSqlStore on an unreachable server', () => {
  it('fails at open for PostgreSQL', async () => {
    await expect(openSqlStore({ url: 'postgres://postgres@127.0.0.1:1/test' })).rejects.toThrow(/ECONNREFUSED|connect/);
  });
  it('fails at open for MariaDB', async () => {
    await expect(openSqlStore({ url: 'mariadb://root@127.0.0.1:1/test' })).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});

describe('loadDriver', () => {
  it('names the missing package to install, keeping the cause', async () => {
    const cause = Object.assign(new Error("Cannot find package 'pg'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const err = await loadDriver('pg', () => Promise.reject(cause)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('"pg"');
    expect((err as Error).message).toContain('npm install pg');
    expect((err as Error).cause).toBe(cause);
  });

  it('returns the loaded module', async () => {
    expect(await loadDriver('x', () => Promise.resolve(42))).toBe(42);
  });
});
