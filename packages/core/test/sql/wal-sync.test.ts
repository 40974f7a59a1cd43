import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { Kysely, sql, type Generated } from 'kysely';
import { ImmediateSqliteDialect } from '../../src/sql/sqlite-dialect.js';
import { WalSync } from '../../src/sql/wal-sync.js';
import { GroupCommit } from '../../src/sql/group-commit.js';
import type { Schema } from '../../src/sql/schema.js';

interface Db {
  t: { id: Generated<number>; v: string };
}

/** A sync the test releases by hand once armed: each fsync then waits for `release()`. */
function heldSync(): { fsync: (fd: number) => Promise<void>; arm: () => void; waiting: () => number; release: () => void } {
  const queue: (() => void)[] = [];
  let armed = false;
  return {
    fsync: () => (armed ? new Promise<void>((resolve) => queue.push(resolve)) : Promise.resolve()),
    arm: () => {
      armed = true;
    },
    waiting: () => queue.length,
    release: () => queue.splice(0).forEach((r) => r()),
  };
}

const turns = async (n = 20): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('WAL sync on the thread pool', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });
  // Every wait below is a few event-loop turns; a hang is a failure, not a slow run.
  const TIMEOUT_MS = 5_000;

  /** A fresh WAL-mode file with `synchronous=NORMAL`, its table `t` created, synced through `fsync` when given. */
  async function open<S = Db>(fsync?: (fd: number) => Promise<void>): Promise<{ db: Kysely<S>; walSync: WalSync; path: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'certwright-walsync-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'ca.db');
    const database = new Database(path);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    const walSync = new WalSync(`${path}-wal`, fsync === undefined ? {} : { fsync });
    const db = new Kysely<S>({ dialect: new ImmediateSqliteDialect({ database, walSync }) });
    cleanup.push(() => db.destroy());
    await sql`create table t (id integer primary key, v text not null)`.execute(db);
    return { db, walSync, path };
  }

  it('answers a write only after a sync that began after its commit, and one sync covers the commits made before it', async () => {
    const gate = heldSync();
    const { db, walSync } = await open(gate.fsync);
    gate.arm();
    const before = walSync.syncs;
    let answered = 0;
    const writes = Array.from({ length: 5 }, (_, i) =>
      db
        .insertInto('t')
        .values({ v: `w${i}` })
        .execute()
        .then(() => answered++),
    );
    await turns();
    expect(walSync.commits).toBeGreaterThanOrEqual(1);
    expect(answered).toBe(0); // committed, not yet on disk: nobody is told
    while (answered < 5) {
      gate.release();
      await turns();
    }
    await Promise.all(writes);
    expect(walSync.pending).toBe(false);
    expect(walSync.durableCommits).toBe(walSync.commits);
    // Five commits; the writes that arrived while a sync was in flight shared the next one.
    expect(walSync.syncs - before).toBeLessThan(5);
  }, TIMEOUT_MS);

  it('answers no read while a commit it may have seen is not on disk, yet lets the connection run other statements meanwhile', async () => {
    const gate = heldSync();
    const { db, walSync } = await open(gate.fsync);
    gate.arm();
    const write = db.insertInto('t').values({ v: 'unsynced' }).execute();
    await turns();
    expect(gate.waiting()).toBe(1);
    let readAnswered = false;
    const read = db
      .selectFrom('t')
      .selectAll()
      .execute()
      .then((rows) => {
        readAnswered = true;
        return rows;
      });
    const second = db.selectFrom('t').select('v').execute();
    await turns();
    expect(readAnswered).toBe(false);
    // Both reads ran (the connection was not held through the wait): they see the committed row.
    gate.release();
    await turns();
    gate.release();
    expect((await read).map((r) => r.v)).toEqual(['unsynced']);
    expect((await second).map((r) => r.v)).toEqual(['unsynced']);
    await write;
    expect(walSync.pending).toBe(false);
  }, TIMEOUT_MS);

  it('answers at once when nothing is waiting to be synced', async () => {
    const { db, walSync } = await open();
    await db.insertInto('t').values({ v: 'a' }).execute();
    const syncs = walSync.syncs;
    expect(walSync.pending).toBe(false);
    expect((await db.selectFrom('t').selectAll().execute()).length).toBe(1);
    expect(walSync.syncs).toBe(syncs);
  }, TIMEOUT_MS);

  it('keeps the statements of a transaction together and answers its commit once synced', async () => {
    const gate = heldSync();
    const { db, walSync } = await open(gate.fsync);
    gate.arm();
    let committed = false;
    const trx = db
      .transaction()
      .execute(async (t) => {
        await t.insertInto('t').values({ v: 'in' }).execute();
        // Inside the transaction nothing waits: its outcome is reported after its own commit.
        expect(walSync.pending).toBe(false);
        await t.insertInto('t').values({ v: 'side' }).execute();
      })
      .then(() => (committed = true));
    await turns();
    expect(committed).toBe(false);
    expect(gate.waiting()).toBe(1);
    gate.release();
    await trx;
    expect(walSync.durableCommits).toBe(walSync.commits);
  }, TIMEOUT_MS);

  it('a kysely connection session takes the connection again after an early release', async () => {
    const { db } = await open();
    const values = await db.connection().execute(async (c) => {
      await c.insertInto('t').values({ v: 'one' }).execute();
      await c.insertInto('t').values({ v: 'two' }).execute();
      return (await c.selectFrom('t').select('v').orderBy('id').execute()).map((r) => r.v);
    });
    expect(values).toEqual(['one', 'two']);
  }, TIMEOUT_MS);

  it('resolves at once when there is no log file yet, and fails for good once a sync fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certwright-walsync-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const missing = new WalSync(join(dir, 'none.db-wal'));
    missing.noteCommit();
    await missing.whenDurable();
    expect(missing.pending).toBe(false);
    expect(missing.syncs).toBe(0);

    // fsync(2) of a character device fails with EINVAL on Linux: a real failed sync.
    const failing = new WalSync('/dev/null');
    failing.noteCommit();
    await expect(failing.whenDurable()).rejects.toMatchObject({ code: 'serverInternal' });
    failing.noteCommit();
    await expect(failing.whenDurable()).rejects.toThrow(/could not be synced/);
    await failing.close();
  }, TIMEOUT_MS);

  it('group commit answers each transaction only once its group is on disk', async () => {
    const gate = heldSync();
    const { db } = await open<Schema>(gate.fsync);
    await sql`create table kv (k text primary key, v text not null)`.execute(db);
    gate.arm();
    const group = new GroupCommit(db);
    let done = 0;
    const runs = Array.from({ length: 4 }, (_, i) =>
      group
        .run((trx) => sql`insert into kv (k, v) values (${`k${i}`}, 'v')`.execute(trx))
        .then(() => done++),
    );
    await turns();
    expect(done).toBe(0);
    expect(gate.waiting()).toBe(1);
    gate.release();
    await Promise.all(runs);
    expect(done).toBe(4);
    expect(group.commits).toBe(1);
  }, TIMEOUT_MS);
});
