/**
 * Durability of a SQLite write-ahead log synced on libuv's thread pool.
 *
 * With `synchronous=FULL` SQLite calls fsync(2) on the WAL inside every
 * COMMIT, and better-sqlite3 runs COMMIT on the event loop: the whole process
 * stops for as long as the disk takes (about 1 ms per commit measured here,
 * more while the disk is busy). With `synchronous=NORMAL` a COMMIT only
 * writes the WAL (into the page cache: a killed process loses nothing, a
 * power cut may) and SQLite syncs it at checkpoints. {@link WalSync} closes
 * that gap without blocking: after a commit, the connection answers nothing
 * more until an fsync of the WAL file that began after the commit has
 * completed on the thread pool, so no caller is ever told of, or shown, a
 * write that power loss could undo. One fsync covers every commit made
 * before it started, so commits that arrive together share it.
 *
 * A checkpoint syncs the WAL before copying it into the database file and
 * syncs the database file afterwards (SQLite's own ordering, which
 * `synchronous=NORMAL` keeps), so frames it later overwrites were durable in
 * the database first. The WAL file is rewritten in place, never replaced,
 * while a connection is open (SQLite deletes it only when the last one
 * closes), so it is opened once.
 */
import { close, fsync, open } from 'node:fs';
import { dirname } from 'node:path';
import { CertwrightError } from '../errors.js';

function call<T>(fn: (done: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err === null ? resolve(value) : reject(err))));
}

/** Tracks commits of one SQLite connection and makes them durable by syncing its WAL file. */
export class WalSync {
  readonly #walPath: string;
  #fd: number | undefined;
  /** Commits made on the connection so far. */
  #committed = 0;
  /** Commits known to be on disk. */
  #synced = 0;
  #inFlight: Promise<void> | undefined;
  #failure: unknown;
  #closed = false;
  #syncs = 0;

  readonly #fsync: (fd: number) => Promise<void>;

  /**
   * @param walPath the database's `-wal` file (absolute, so a later `chdir` does not move it)
   * @param options `fsync` replaces fsync(2) on the open file (tests use it to hold or fail a sync)
   */
  constructor(walPath: string, options: { fsync?: (fd: number) => Promise<void> } = {}) {
    this.#walPath = walPath;
    this.#fsync = options.fsync ?? ((fd) => call<void>((done) => fsync(fd, (err) => done(err, undefined))));
  }

  /** Commits noted so far. */
  get commits(): number {
    return this.#committed;
  }

  /** Commits known to be on disk. */
  get durableCommits(): number {
    return this.#synced;
  }

  /** Records that a transaction committed on the connection (its WAL frames are written, not yet synced). */
  noteCommit(): void {
    this.#committed++;
  }

  /** Whether some commit is not yet known to be on disk. */
  get pending(): boolean {
    return this.#synced < this.#committed;
  }

  /** fsync(2) calls made so far. */
  get syncs(): number {
    return this.#syncs;
  }

  /**
   * Resolves once every commit noted so far is on disk: waits for the sync
   * in flight, then starts another if that one began before the last commit.
   * Rejects with `serverInternal` if a sync failed: after a failed fsync the
   * kernel may have dropped the dirty pages, so whether earlier commits are
   * on disk is unknown and the store must not go on (it stays failed).
   */
  async whenDurable(): Promise<void> {
    const target = this.#committed;
    while (this.#synced < target) {
      if (this.#failure !== undefined) throw this.#failure;
      this.#inFlight ??= this.#syncNow().finally(() => {
        this.#inFlight = undefined;
      });
      await this.#inFlight;
    }
  }

  /** Closes the WAL file descriptor (after the last sync; the database closes separately). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#inFlight?.catch(() => undefined);
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) await call<void>((done) => close(fd, (err) => done(err, undefined)));
  }

  async #syncNow(): Promise<void> {
    // Everything committed before the fsync starts is covered by it.
    const covering = this.#committed;
    try {
      if (this.#closed) throw new Error('the WAL sync was closed');
      const fd = await this.#descriptor();
      // No log file: nothing was ever written to one (or a checkpoint on close moved it into the synced database file).
      if (fd !== undefined) {
        await this.#fsync(fd);
        this.#syncs++;
      }
      this.#synced = Math.max(this.#synced, covering);
    } catch (err) {
      this.#failure = new CertwrightError('serverInternal', `The database's write-ahead log could not be synced to disk: ${(err as Error).message}`);
      throw this.#failure;
    }
  }

  /**
   * The open WAL file; undefined while there is none. The first time it is
   * opened its directory is synced too, so the file's name survives power
   * loss as well as its contents (SQLite does the same for a log it creates).
   */
  async #descriptor(): Promise<number | undefined> {
    if (this.#fd !== undefined) return this.#fd;
    let fd: number;
    try {
      fd = await call<number>((done) => open(this.#walPath, 'r', done));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const dir = await call<number>((done) => open(dirname(this.#walPath), 'r', done));
      try {
        await this.#fsync(dir);
      } finally {
        await call<void>((done) => close(dir, (err) => done(err, undefined)));
      }
    } catch (err) {
      await call<void>((done) => close(fd, (e) => done(e, undefined))).catch(() => undefined);
      throw err;
    }
    this.#fd = fd;
    return fd;
  }
}
