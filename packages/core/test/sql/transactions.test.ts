import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { SqlContext, TRANSACTION_ATTEMPTS } from '../../src/sql/context.js';
import { isTransientConflict } from '../../src/sql/dialect.js';
import type { Schema } from '../../src/sql/schema.js';

describe('isTransientConflict', () => {
  it('recognizes deadlocks, serialization failures and lock wait timeouts, and nothing else', () => {
    expect(isTransientConflict({ code: '40P01' }, 'postgres')).toBe(true);
    expect(isTransientConflict({ code: '40001' }, 'postgres')).toBe(true);
    expect(isTransientConflict({ code: '23505' }, 'postgres')).toBe(false);
    expect(isTransientConflict({ code: 'ER_LOCK_DEADLOCK', errno: 1213 }, 'mysql')).toBe(true);
    expect(isTransientConflict({ code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 }, 'mysql')).toBe(true);
    expect(isTransientConflict({ code: 'ER_DUP_ENTRY', errno: 1062 }, 'mysql')).toBe(false);
    expect(isTransientConflict({ code: 'SQLITE_BUSY' }, 'sqlite')).toBe(false);
  });
});

describe('SqlContext.transaction', () => {
  const dbs: Kysely<Schema>[] = [];
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.destroy();
  });
  /** A context that claims `dialect` over an in-memory SQLite database (the retry logic only looks at error codes). */
  function context(dialect: 'postgres' | 'mysql'): SqlContext {
    const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    dbs.push(db);
    return new SqlContext(db, dialect);
  }

  it('runs a transaction again after a deadlock and returns its result', async () => {
    const ctx = context('mysql');
    let calls = 0;
    const result = await ctx.transaction(async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 });
      return 'done';
    });
    expect(result).toBe('done');
    expect(calls).toBe(2);
  });

  it(`gives up after ${TRANSACTION_ATTEMPTS} attempts with the database's error`, async () => {
    const ctx = context('postgres');
    let calls = 0;
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    await expect(
      ctx.transaction(async () => {
        calls++;
        throw deadlock;
      }),
    ).rejects.toBe(deadlock);
    expect(calls).toBe(TRANSACTION_ATTEMPTS);
  });

  it('does not retry other errors', async () => {
    const ctx = context('postgres');
    let calls = 0;
    const duplicate = Object.assign(new Error('duplicate key'), { code: '23505' });
    await expect(
      ctx.transaction(async () => {
        calls++;
        throw duplicate;
      }),
    ).rejects.toBe(duplicate);
    expect(calls).toBe(1);
  });
});
