/**
 * A fixed-size pool of PKCS#11 sessions. A session runs one cryptographic
 * operation at a time (PKCS#11 v2.40 §5.1), so parallel signing needs one
 * session per concurrent signature; callers beyond the pool size wait in
 * FIFO order. Sessions are opened by the `open` callback (which also sees to
 * the login) and closed by `close`; a session found broken is discarded and
 * replaced on the next demand.
 */
import type { Handle } from 'pkcs11js';
import { HsmError } from './errors.js';

interface Waiter {
  resolve(session: Handle): void;
  reject(err: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

/** Callbacks and size of a {@link SessionPool}. */
export interface SessionPoolOptions {
  size: number;
  /** Opens a new session ready for signing. */
  open(): Promise<Handle>;
  /** Closes a session; errors are ignored by the pool. */
  close(session: Handle): void;
}

/** A pool of PKCS#11 sessions with a FIFO wait queue. */
export class SessionPool {
  private readonly idle: Handle[] = [];
  private readonly busy = new Set<Handle>();
  private readonly waiters: Waiter[] = [];
  private opening = 0;
  private closed = false;

  constructor(private readonly options: SessionPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1) throw new HsmError('invalidConfiguration', `poolSize must be a positive integer, got ${options.size}`);
  }

  /** Sessions open now (idle + busy + being opened). */
  get size(): number {
    return this.idle.length + this.busy.size + this.opening;
  }

  /** Callers waiting for a session. */
  get queued(): number {
    return this.waiters.length;
  }

  /** Sessions not in use. */
  idleSessions(): readonly Handle[] {
    return [...this.idle];
  }

  /** Opens sessions until the pool is full. */
  async fill(): Promise<void> {
    while (this.size < this.options.size) {
      await this.openCounted((session) => {
        this.idle.push(session);
      });
    }
  }

  /**
   * A session for exclusive use; waits when all are busy. Rejects with
   * `signal.reason` when `signal` aborts while waiting, and with
   * {@link HsmError} `closed` after {@link SessionPool.close}.
   */
  acquire(signal?: AbortSignal): Promise<Handle> {
    if (this.closed) return Promise.reject(new HsmError('closed', 'the PKCS#11 session pool is closed'));
    if (signal?.aborted) return Promise.reject(signal.reason);
    const session = this.idle.pop();
    if (session !== undefined) {
      this.busy.add(session);
      return Promise.resolve(session);
    }
    if (this.size < this.options.size) return this.openBusy();
    return new Promise<Handle>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.waiters.indexOf(waiter);
          if (index >= 0) this.waiters.splice(index, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Returns a healthy session to the pool (or to the first waiter). */
  release(session: Handle): void {
    if (!this.busy.delete(session)) return;
    if (this.closed) {
      this.closeQuietly(session);
      return;
    }
    const waiter = this.nextWaiter();
    if (waiter !== undefined) {
      this.busy.add(session);
      waiter.resolve(session);
    } else this.idle.push(session);
  }

  /**
   * Drops a broken session (busy or idle) and lets a waiter have a fresh
   * one. `invalid` says the token no longer knows the handle: it is then not
   * closed, since the number may already belong to a newer session.
   */
  discard(session: Handle, invalid = false): void {
    const wasBusy = this.busy.delete(session);
    const idleIndex = this.idle.indexOf(session);
    if (idleIndex >= 0) this.idle.splice(idleIndex, 1);
    if (!wasBusy && idleIndex < 0) return;
    if (!invalid) this.closeQuietly(session);
    this.serveWaiters();
  }

  /** Drops every idle session the token no longer knows (`valid` false), without closing it. */
  prune(valid: (session: Handle) => boolean): number {
    const broken = this.idle.filter((s) => !valid(s));
    for (const session of broken) this.discard(session, true);
    return broken.length;
  }

  /** Drops every idle session, closing those the token still knows (`valid` true). */
  discardIdle(valid: (session: Handle) => boolean): number {
    const all = [...this.idle];
    for (const session of all) this.discard(session, !valid(session));
    return all.length;
  }

  /**
   * Closes idle sessions now and busy ones when released; pending waiters
   * are rejected with {@link HsmError} `closed`.
   */
  close(): void {
    this.closed = true;
    for (const session of this.idle.splice(0)) this.closeQuietly(session);
    for (const waiter of this.waiters.splice(0)) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.reject(new HsmError('closed', 'the PKCS#11 session pool is closed'));
    }
  }

  private nextWaiter(): Waiter | undefined {
    const waiter = this.waiters.shift();
    waiter?.signal?.removeEventListener('abort', waiter.onAbort);
    return waiter;
  }

  private serveWaiters(): void {
    while (this.waiters.length > 0 && this.size < this.options.size && !this.closed) {
      const waiter = this.nextWaiter()!;
      this.openBusy().then(waiter.resolve, waiter.reject);
    }
  }

  /**
   * Opens a session and hands it to `adopt` in the same synchronous step
   * that stops counting it as opening. Returning the handle through another
   * `await` first would leave a gap of a microtask in which `size` misses
   * the session, and a discard or an acquire running in that gap would open
   * one session too many.
   */
  private async openCounted<T>(adopt: (session: Handle) => T): Promise<T> {
    this.opening++;
    let session: Handle;
    try {
      session = await this.options.open();
    } finally {
      this.opening--;
    }
    return adopt(session);
  }

  private openBusy(): Promise<Handle> {
    return this.openCounted((session) => {
      if (this.closed) {
        this.closeQuietly(session);
        throw new HsmError('closed', 'the PKCS#11 session pool is closed');
      }
      this.busy.add(session);
      return session;
    });
  }

  private closeQuietly(session: Handle): void {
    try {
      this.options.close(session);
    } catch {
      // The session is gone either way; a close error says nothing useful.
    }
  }
}
