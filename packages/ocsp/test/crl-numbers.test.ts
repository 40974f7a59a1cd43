import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isCertwrightError, memoryLogger } from '@certwright/core';
import { FileCrlNumberStore, MemoryCrlNumberStore, createBackgroundTask, type Timers } from '../src/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'certwright-crlnumbers-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('CRL number stores', () => {
  it('count per issuer and shard, from 1', async () => {
    for (const store of [new MemoryCrlNumberStore(), await FileCrlNumberStore.open(join(tempDir(), 'n.json'))]) {
      expect(await store.currentCrlNumber({ issuerId: 'a', shard: 0 })).toBe(0n);
      expect(await store.nextCrlNumber({ issuerId: 'a', shard: 0 })).toBe(1n);
      expect(await store.nextCrlNumber({ issuerId: 'a', shard: 0 })).toBe(2n);
      expect(await store.nextCrlNumber({ issuerId: 'a', shard: 1 })).toBe(1n);
      expect(await store.nextCrlNumber({ issuerId: 'b', shard: 0 })).toBe(1n);
      expect(await store.currentCrlNumber({ issuerId: 'a', shard: 0 })).toBe(2n);
    }
  });

  it('file store: concurrent allocations are distinct, persisted, and leave no temporary files', async () => {
    const dir = tempDir();
    const path = join(dir, 'n.json');
    const store = await FileCrlNumberStore.open(path);
    const numbers = await Promise.all(Array.from({ length: 20 }, () => store.nextCrlNumber({ issuerId: 'a', shard: 3 })));
    expect(new Set(numbers).size).toBe(20);
    expect(await (await FileCrlNumberStore.open(path)).currentCrlNumber({ issuerId: 'a', shard: 3 })).toBe(20n);
    expect(readdirSync(dir)).toEqual(['n.json']);
  });

  it('file store: refuses a damaged file instead of starting again from 1', async () => {
    const dir = tempDir();
    const cases: [string, string][] = [
      ['{', 'is not JSON'],
      ['{"version":2,"numbers":{}}', 'is not a version 1 CRL number file'],
      ['{"version":1,"numbers":{"a/0":"-3"}}', 'number for a/0 is not a decimal integer'],
      ['{"version":1,"numbers":{"a/0":7}}', 'number for a/0 is not a decimal integer'],
    ];
    for (const [text, rule] of cases) {
      const path = join(dir, 'bad.json');
      writeFileSync(path, text);
      await expect(FileCrlNumberStore.open(path)).rejects.toSatisfy((e) => isCertwrightError(e, 'serverInternal') && e.detail.includes(rule) && e.detail.includes(path));
    }
  });
});

describe('background tasks', () => {
  it('log a failed pass and keep the schedule', async () => {
    const pending: (() => void)[] = [];
    const timers: Timers = { setTimeout: (fn) => pending.push(fn), clearTimeout: () => pending.splice(0) };
    const logger = memoryLogger();
    let calls = 0;
    const task = createBackgroundTask({ name: 'test.task', intervalMs: 1000, timers, logger, run: async () => { if (++calls === 1) throw new Error('boom'); } });
    task.start();
    expect(task.running).toBe(true);
    await new Promise((r) => setTimeout(r, 5));
    expect(logger.events).toEqual([{ level: 'error', event: 'test.task.failed', error: 'boom' }]);
    expect(pending).toHaveLength(1);
    pending.shift()!();
    await new Promise((r) => setTimeout(r, 5));
    expect(calls).toBe(2);
    await task.stop();
    expect(task.running).toBe(false);
    await expect(task.runOnce()).resolves.toBeUndefined();
    expect(calls).toBe(3);
  });

  it('refuse a non-positive interval, naming the task', () => {
    expect(() => createBackgroundTask({ name: 'x.task', intervalMs: 0, run: async () => undefined })).toThrow('x.task: intervalMs must be positive');
  });
});
