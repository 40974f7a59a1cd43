import { describe, expect, it } from 'vitest';
import { isHsmError, SessionPool } from '../src/index.js';

function fakePool(size: number) {
  let next = 0;
  const closed: number[] = [];
  const pool = new SessionPool({
    size,
    open: async () => Buffer.from([next++]),
    close: (session) => {
      closed.push(session[0]!);
    },
  });
  return { pool, closed, opened: () => next };
}

describe('SessionPool', () => {
  it('refuses a size that is not a positive integer, naming poolSize', () => {
    expect(() => fakePool(0)).toThrow(/poolSize must be a positive integer, got 0/);
    expect(() => fakePool(1.5)).toThrow(/poolSize/);
  });

  it('opens sessions up to its size, then queues callers in FIFO order', async () => {
    const { pool, opened } = fakePool(2);
    const a = await pool.acquire();
    const b = await pool.acquire();
    expect(opened()).toBe(2);
    const order: number[] = [];
    const c = pool.acquire().then((s) => (order.push(1), s));
    const d = pool.acquire().then((s) => (order.push(2), s));
    expect(pool.queued).toBe(2);
    pool.release(b);
    pool.release(a);
    expect(await c).toBe(b);
    expect(await d).toBe(a);
    expect(order).toEqual([1, 2]);
    expect(opened()).toBe(2);
  });

  it('counts a session that has just opened without a gap, so a caller arriving then waits instead of opening one too many', async () => {
    let opened = 0;
    let finishSecond!: (session: Buffer) => void;
    const second = new Promise<Buffer>((resolve) => (finishSecond = resolve));
    const pool = new SessionPool({ size: 2, open: () => (opened++ === 0 ? Promise.resolve(Buffer.from([0])) : second), close: () => {} });
    const a = await pool.acquire();
    const b = pool.acquire();
    let late: Promise<Buffer> | undefined;
    // Registered after the pool's own await on the same promise, so it runs
    // right after the pool's continuation, before any later microtask.
    void second.then(() => {
      late = pool.acquire();
    });
    finishSecond(Buffer.from([1]));
    expect((await b)[0]).toBe(1);
    expect(late).toBeDefined();
    expect(opened).toBe(2);
    expect(pool.size).toBe(2);
    expect(pool.queued).toBe(1);
    pool.release(a);
    expect(await late).toBe(a);
  });

  it('a discarded session is closed and replaced for the next waiter', async () => {
    const { pool, closed, opened } = fakePool(1);
    const a = await pool.acquire();
    const waiting = pool.acquire();
    pool.discard(a);
    const b = await waiting;
    expect(closed).toEqual([0]);
    expect(b[0]).toBe(1);
    expect(opened()).toBe(2);
  });

  it('a session the token no longer knows is dropped without C_CloseSession', async () => {
    const { pool, closed } = fakePool(2);
    await pool.fill();
    expect(pool.prune((s) => s[0] !== 0)).toBe(1);
    expect(closed).toEqual([]);
    expect(pool.size).toBe(1);
  });

  it('a device reset drops every idle session, closing only those the token still knows', async () => {
    const { pool, closed } = fakePool(3);
    await pool.fill();
    expect(pool.discardIdle((s) => s[0] !== 1)).toBe(3);
    expect(closed.sort()).toEqual([0, 2]);
    expect(pool.size).toBe(0);
  });

  it('an aborted waiter leaves the queue and rejects with the abort reason', async () => {
    const { pool } = fakePool(1);
    const a = await pool.acquire();
    const controller = new AbortController();
    const waiting = pool.acquire(controller.signal);
    controller.abort(new Error('deadline'));
    await expect(waiting).rejects.toThrow('deadline');
    expect(pool.queued).toBe(0);
    pool.release(a);
    expect(pool.idleSessions()).toEqual([a]);
  });

  it('close rejects waiters with closed and closes a busy session only when it is released', async () => {
    const { pool, closed } = fakePool(1);
    const a = await pool.acquire();
    const waiting = pool.acquire();
    pool.close();
    await expect(waiting).rejects.toSatisfy((e: unknown) => isHsmError(e, 'closed'));
    expect(closed).toEqual([]);
    pool.release(a);
    expect(closed).toEqual([0]);
    await expect(pool.acquire()).rejects.toSatisfy((e: unknown) => isHsmError(e, 'closed'));
  });

  it('close closes idle sessions at once', async () => {
    const { pool, closed } = fakePool(2);
    await pool.fill();
    pool.close();
    expect(closed.sort()).toEqual([0, 1]);
    expect(pool.size).toBe(0);
  });
});
