import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/sql/group-commit.js';
import type { Schema } from '../../src/sql/schema.js';
import { ImmediateSqliteDialect } from '../../src/sql/sqlite-dialect.js';

interface TestDb {
  parents: { id: number };
  children: { id: number; parent_id: number };
}

let dir: string;
let path: string;
let db: Kysely<TestDb>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certwright-group-commit-'));
  path = join(dir, 'db.sqlite');
  const database = new Database(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('foreign_keys = ON');
  db = new Kysely<TestDb>({ dialect: new ImmediateSqliteDialect({ database }) });
  await sql`create table parents (id integer primary key)`.execute(db);
  await sql`create table children (id integer primary key, parent_id integer not null references parents(id) deferrable initially deferred)`.execute(db);
});

afterEach(async () => {
  await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** GroupCommit is typed for the store's schema; these tests use their own tables. */
function groupCommit(max?: number): GroupCommit {
  return new GroupCommit(db as unknown as Kysely<Schema>, max === undefined ? {} : { maxTransactionsPerCommit: max });
}

function insertParent(gc: GroupCommit, id: number): Promise<number> {
  return gc.run(async (trx) => {
    await (trx as unknown as Kysely<TestDb>).insertInto('parents').values({ id }).execute();
    return id;
  });
}

/** Rows as another connection to the same file sees them: only what is committed. */
function committedParents(): number[] {
  const other = new Database(path, { readonly: true });
  try {
    return (other.prepare('select id from parents order by id').all() as { id: number }[]).map((r) => r.id);
  } finally {
    other.close();
  }
}

describe('GroupCommit (SQLite)', () => {
  it('commits transactions that arrive together with fewer physical commits, and resolves each only once committed', async () => {
    const gc = groupCommit();
    const ids = Array.from({ length: 20 }, (_, i) => i + 1);
    const visibleWhenResolved: boolean[] = [];
    await Promise.all(ids.map((id) => insertParent(gc, id).then(() => visibleWhenResolved.push(committedParents().includes(id)))));
    expect(committedParents()).toEqual(ids);
    expect(visibleWhenResolved).toEqual(ids.map(() => true));
    expect(gc.commits).toBeGreaterThanOrEqual(1);
    expect(gc.commits).toBeLessThan(20);
  });

  it('resolves a transaction only after its row is visible to another connection', async () => {
    const gc = groupCommit();
    await insertParent(gc, 7);
    expect(committedParents()).toEqual([7]);
  });

  it('undoes only the failing transaction of a group', async () => {
    const gc = groupCommit();
    const results = await Promise.allSettled([
      insertParent(gc, 1),
      gc.run(async (trx) => {
        await (trx as unknown as Kysely<TestDb>).insertInto('parents').values({ id: 2 }).execute();
        throw new Error('work failed');
      }),
      insertParent(gc, 3),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(committedParents()).toEqual([1, 3]);
  });

  it('rejects every transaction of a group whose commit fails, and keeps none of their writes', async () => {
    const gc = groupCommit();
    const results = await Promise.allSettled([
      insertParent(gc, 1),
      // A deferred foreign key is checked at COMMIT: this makes the group's commit fail.
      gc.run(async (trx) => {
        await (trx as unknown as Kysely<TestDb>).insertInto('children').values({ id: 1, parent_id: 999 }).execute();
      }),
      insertParent(gc, 3),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(committedParents()).toEqual([]);
    // The next transaction starts a fresh group.
    await insertParent(gc, 4);
    expect(committedParents()).toEqual([4]);
  });

  it('makes a query outside the group wait for the commit, so it never sees uncommitted rows', async () => {
    const gc = groupCommit();
    let read: Promise<{ id: number }[]> | undefined;
    const pending = gc.run(async (trx) => {
      await (trx as unknown as Kysely<TestDb>).insertInto('parents').values({ id: 5 }).execute();
      // Issued while the group holding the uncommitted row is open.
      read = db.selectFrom('parents').select('id').execute();
    });
    await pending;
    const rows = await read!;
    expect(rows).toEqual([{ id: 5 }]);
    expect(committedParents()).toEqual([5]);
  });

  it('commits a full group before starting the next', async () => {
    const gc = groupCommit(2);
    await Promise.all([1, 2, 3, 4, 5].map((id) => insertParent(gc, id)));
    expect(gc.commits).toBeGreaterThanOrEqual(3);
    expect(committedParents()).toEqual([1, 2, 3, 4, 5]);
  });

  it('flush commits the open group at once and is a no-op without one', async () => {
    const gc = groupCommit();
    await gc.flush();
    expect(gc.commits).toBe(0);
    const pending = insertParent(gc, 9);
    await gc.flush();
    await pending;
    expect(gc.commits).toBe(1);
  });

  it('runs single statements without a savepoint: a constraint failure backs out that statement alone', async () => {
    const gc = groupCommit();
    const statement = (id: number): Promise<unknown> =>
      gc.runStatement((trx) => (trx as unknown as Kysely<TestDb>).insertInto('parents').values({ id }).execute());
    await statement(1);
    const results = await Promise.allSettled([statement(2), statement(1), statement(3)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((results[1] as PromiseRejectedResult).reason as { code?: string }).code).toMatch(/^SQLITE_CONSTRAINT/);
    expect(committedParents()).toEqual([1, 2, 3]);
    const executed: string[] = [];
    const counting = new Kysely<TestDb>({
      dialect: new ImmediateSqliteDialect({ database: new Database(path) }),
      log: (event) => {
        executed.push(event.query.sql);
      },
    });
    try {
      const counted = new GroupCommit(counting as unknown as Kysely<Schema>);
      await counted.runStatement((trx) => (trx as unknown as Kysely<TestDb>).insertInto('parents').values({ id: 4 }).execute());
      expect(executed.some((q) => /savepoint/i.test(q))).toBe(false);
    } finally {
      await counting.destroy();
    }
  });

  it('rolls back the whole group when a single statement fails otherwise than on a constraint', async () => {
    const gc = groupCommit();
    const results = await Promise.allSettled([
      insertParent(gc, 1),
      gc.runStatement(async () => {
        throw Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' });
      }),
      insertParent(gc, 2),
    ]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(committedParents()).toEqual([]);
    // The next group is unaffected.
    await insertParent(gc, 3);
    expect(committedParents()).toEqual([3]);
  });

  it('refuses a group size that is not a positive integer', () => {
    expect(() => groupCommit(0)).toThrow(RangeError);
  });
});
