import type { ControlledTransaction, Kysely, Transaction } from 'kysely';
import type { Schema } from './schema.js';

/** Default {@link GroupCommitOptions.maxTransactionsPerCommit}. */
export const DEFAULT_MAX_TRANSACTIONS_PER_COMMIT = 64;

/** Options of {@link GroupCommit}. */
export interface GroupCommitOptions {
  /** The most transactions one physical commit carries (default 64); a full group commits before the next starts. */
  readonly maxTransactionsPerCommit?: number;
}

/** A promise with its settle functions. */
interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A group's outcome is also reported to each transaction in it; this only keeps an unobserved rejection quiet.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** One physical transaction carrying several logical ones. */
interface Group {
  readonly trx: ControlledTransaction<Schema>;
  readonly durable: Deferred;
  size: number;
  /** Set when a savepoint could not be rolled back: the whole group is then rolled back instead of committed. */
  broken?: unknown;
}

/** A constraint violation: SQLite backed out the failing statement and nothing else (SQLITE_CONSTRAINT_*, conflict resolution ABORT). */
function isStatementOnlyFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT');
}

/** A FIFO lock: one holder at a time. */
class Lock {
  #tail: Promise<void> = Promise.resolve();

  /** Waits for the lock; resolves with the function that releases it. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const ready = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => held);
    return ready;
  }
}

/**
 * Group commit for SQLite. Every commit of a durable SQLite database
 * (`synchronous=FULL`) waits for the disk (an fsync of the write-ahead log),
 * and better-sqlite3 runs it on the event loop, which then stalls for that
 * long. Here transactions that arrive while others are in flight share one
 * physical transaction: each runs inside its own savepoint (its own writes
 * roll back alone when it fails), and the physical `COMMIT` — one fsync for
 * the whole group — happens once the event loop has taken up every request
 * that was waiting (after the current turn), or when the group is full.
 *
 * Nothing is reported before it is durable: {@link run} resolves only after
 * the commit that carries the transaction, so a caller never acts on (or
 * answers a client with) a write a crash could still undo. If that commit
 * fails, every transaction of the group rejects with its error and none of
 * their writes remain. Queries outside {@link run} wait for the connection
 * until the group has committed, so they never see uncommitted writes.
 */
export class GroupCommit {
  readonly #db: Kysely<Schema>;
  readonly #maxPerCommit: number;
  /** Held by one logical transaction at a time, and by a commit. */
  readonly #lock = new Lock();
  #group: Group | undefined;
  #commitScheduled: NodeJS.Immediate | undefined;
  #commits = 0;

  /** @throws RangeError for a group size that is not a positive integer. */
  constructor(db: Kysely<Schema>, options: GroupCommitOptions = {}) {
    const max = options.maxTransactionsPerCommit ?? DEFAULT_MAX_TRANSACTIONS_PER_COMMIT;
    if (!Number.isSafeInteger(max) || max <= 0) throw new RangeError(`maxTransactionsPerCommit must be a positive integer, got ${max}`);
    this.#db = db;
    this.#maxPerCommit = max;
  }

  /** Physical commits made so far (each one fsync on a durable database). */
  get commits(): number {
    return this.#commits;
  }

  /**
   * Runs `work` as one atomic unit (a savepoint of the current group) and
   * resolves with its result once the group's commit is durable. An error
   * from `work` undoes only its own writes and rejects at once.
   */
  async run<T>(work: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
    return this.#inGroup(async (group) => {
      const inner = await group.trx.savepoint('certwright_txn').execute();
      let result: T;
      try {
        result = await work(inner);
      } catch (err) {
        try {
          await inner.rollbackToSavepoint('certwright_txn').execute();
          await inner.releaseSavepoint('certwright_txn').execute();
        } catch (undoErr) {
          group.broken = undoErr;
        }
        throw err;
      }
      await inner.releaseSavepoint('certwright_txn').execute();
      return result;
    });
  }

  /**
   * Runs `work` (one SQL statement, or statements each of which may stand
   * alone) in the current group without a savepoint of its own, and resolves with its result once
   * the group's commit is durable. One statement is atomic by itself: when
   * it fails on a constraint SQLite backs out that statement alone and the
   * group goes on (conflict resolution ABORT, the default). Any other error
   * may have rolled back the whole transaction (SQLite does so for
   * SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY, SQLITE_NOMEM), so the group is
   * then rolled back instead of committed and every write in it fails.
   * This saves a savepoint and its release per write.
   */
  async runStatement<T>(work: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
    return this.#inGroup(async (group) => {
      try {
        return await work(group.trx);
      } catch (err) {
        if (!isStatementOnlyFailure(err)) group.broken ??= err;
        throw err;
      }
    });
  }

  /**
   * Runs `body` in the current group under the lock (committing a full group
   * first, opening one if none is open), schedules the group's commit, and
   * resolves with the body's result once that commit is durable.
   */
  async #inGroup<T>(body: (group: Group) => Promise<T>): Promise<T> {
    const release = await this.#lock.acquire();
    let group: Group;
    let result: T;
    try {
      if (this.#group !== undefined && this.#group.size >= this.#maxPerCommit) await this.#commitHeld();
      group = this.#group ?? (await this.#openGroup());
      group.size++;
      result = await body(group);
    } finally {
      this.#scheduleCommit();
      release();
    }
    await group.durable.promise;
    return result;
  }

  /** Commits the open group now, if any (before the database is closed). */
  async flush(): Promise<void> {
    const release = await this.#lock.acquire();
    try {
      await this.#commitHeld();
    } finally {
      release();
    }
  }

  async #openGroup(): Promise<Group> {
    const trx = await this.#db.startTransaction().execute();
    this.#group = { trx, durable: deferred(), size: 0 };
    return this.#group;
  }

  /** Commits after the current turn of the event loop, so that what the turn started can join the group. */
  #scheduleCommit(): void {
    if (this.#group === undefined || this.#commitScheduled !== undefined) return;
    this.#commitScheduled = setImmediate(() => {
      this.#commitScheduled = undefined;
      // Errors reach the group's transactions through its promise.
      this.flush().catch(() => undefined);
    });
  }

  /** Commits the open group; the caller holds the lock. */
  async #commitHeld(): Promise<void> {
    const group = this.#group;
    if (group === undefined) return;
    this.#group = undefined;
    try {
      if (group.broken !== undefined) throw group.broken;
      await group.trx.commit().execute();
      this.#commits++;
      group.durable.resolve();
    } catch (err) {
      group.durable.reject(err);
      await group.trx.rollback().execute().catch(() => undefined);
    }
  }
}
