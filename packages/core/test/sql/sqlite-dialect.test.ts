import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import type { Generated, SqliteDatabase, SqliteStatement } from 'kysely';
import { ImmediateSqliteDialect, StatementCache } from '../../src/sql/sqlite-dialect.js';

/** A better-sqlite3 database that counts how often each SQL text is prepared. */
function countingDatabase(): { database: Database.Database; prepared: Map<string, number> } {
  const database = new Database(':memory:');
  const prepared = new Map<string, number>();
  const prepare = database.prepare.bind(database);
  database.prepare = ((text: string) => {
    prepared.set(text, (prepared.get(text) ?? 0) + 1);
    return prepare(text);
  }) as typeof database.prepare;
  return { database, prepared };
}

interface Db {
  t: { id: Generated<number>; v: string };
}

describe('StatementCache', () => {
  /** A fake database whose statements are tagged with their SQL. */
  const fake = (): { db: SqliteDatabase; prepares: string[] } => {
    const prepares: string[] = [];
    const db: SqliteDatabase = {
      close: () => undefined,
      prepare: (text: string) => {
        prepares.push(text);
        return { reader: true, text } as unknown as SqliteStatement;
      },
    };
    return { db, prepares };
  };

  it('prepares each SQL text once and evicts the least recently used beyond its capacity', () => {
    const { db, prepares } = fake();
    const cache = new StatementCache(db, 2);
    const a = cache.get('a');
    expect(cache.get('a')).toBe(a);
    cache.get('b');
    cache.get('a'); // a is now more recently used than b
    cache.get('c'); // evicts b
    expect(cache.size).toBe(2);
    expect(cache.get('a')).toBe(a);
    cache.get('b');
    expect(prepares).toEqual(['a', 'b', 'c', 'b']);
    cache.clear();
    expect(cache.size).toBe(0);
  });

  it('caches nothing when preparation fails, and refuses a capacity below one', () => {
    const db: SqliteDatabase = {
      close: () => undefined,
      prepare: () => {
        throw new Error('syntax error');
      },
    };
    const cache = new StatementCache(db, 4);
    expect(() => cache.get('selec 1')).toThrow('syntax error');
    expect(cache.size).toBe(0);
    expect(() => new StatementCache(db, 0)).toThrow(RangeError);
  });
});

describe('ImmediateSqliteDialect', () => {
  it('reuses prepared statements and answers rows, affected rows and insert ids as kysely does', async () => {
    const { database, prepared } = countingDatabase();
    const db = new Kysely<Db>({ dialect: new ImmediateSqliteDialect({ database }) });
    try {
      await sql`create table t (id integer primary key, v text not null)`.execute(db);
      for (const v of ['x', 'y', 'z']) {
        const inserted = await db.insertInto('t').values({ v }).executeTakeFirstOrThrow();
        expect(typeof inserted.insertId).toBe('bigint');
      }
      const updated = await db.updateTable('t').set({ v: 'w' }).where('v', 'in', ['x', 'y']).executeTakeFirstOrThrow();
      expect(updated.numUpdatedRows).toBe(2n);
      const rows = await db.selectFrom('t').selectAll().orderBy('id').execute();
      expect(rows.map((r) => r.v)).toEqual(['w', 'w', 'z']);
      expect(prepared.get('insert into "t" ("v") values (?)')).toBe(1);
    } finally {
      await db.destroy();
    }
    expect(database.open).toBe(false);
  });

  it('begins transactions with BEGIN IMMEDIATE, rolls back on error, and streams selects', async () => {
    const { database, prepared } = countingDatabase();
    const db = new Kysely<Db>({ dialect: new ImmediateSqliteDialect({ database, statementCacheSize: 8 }) });
    try {
      await sql`create table t (id integer primary key, v text not null)`.execute(db);
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ v: 'kept' }).execute();
      });
      await expect(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('t').values({ v: 'dropped' }).execute();
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(prepared.get('begin immediate')).toBe(1);
      const streamed: string[] = [];
      for await (const row of db.selectFrom('t').select('v').stream()) streamed.push(row.v);
      expect(streamed).toEqual(['kept']);
    } finally {
      await db.destroy();
    }
  });
});
