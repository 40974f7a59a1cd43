import { describe, expect, it } from 'vitest';
import { FakeClock, MemoryStore, memoryLogger } from '@certwright/core';
import { runRetentionPass } from '../src/retention.js';

const DAY = 86_400_000;

describe('retention pass', () => {
  it('deletes expired nonces past the grace period in bounded batches, and keeps fresh ones', async () => {
    const clock = new FakeClock('2026-05-01T00:00:00Z');
    const store = new MemoryStore();
    for (let i = 0; i < 25; i++) await store.issueNonce(`old-${i}`, new Date(clock.now().getTime() - 3 * DAY));
    await store.issueNonce('recently-expired', new Date(clock.now().getTime() - 60_000));
    await store.issueNonce('live', new Date(clock.now().getTime() + 60_000));
    const options = { store, clock, logger: memoryLogger(), graceMs: DAY, batchSize: 10, maxBatchesPerPass: 2 };

    // Two batches of ten per pass: the budget bounds the pass, the rest waits.
    expect((await runRetentionPass(options)).nonces).toBe(20);
    expect((await runRetentionPass(options)).nonces).toBe(5);
    expect((await runRetentionPass(options)).nonces).toBe(0);
    // Inside the grace period and unexpired nonces survive (the live one still redeems).
    expect(await store.redeemNonce('live', clock.now())).toBe(true);
    clock.advance(2 * DAY);
    expect((await runRetentionPass(options)).nonces).toBe(1);
  });

  it('deletes rate-limit buckets that have been full since before the grace period', async () => {
    const clock = new FakeClock('2026-05-01T00:00:00Z');
    const store = new MemoryStore();
    const now = clock.now().getTime();
    await store.compareAndSetBucket('old', undefined, { tokens: 5, updatedAtMs: now - 3 * DAY, fullAtMs: now - 2 * DAY });
    await store.compareAndSetBucket('busy', undefined, { tokens: 0, updatedAtMs: now, fullAtMs: now + 3_600_000 });
    const report = await runRetentionPass({ store, clock, logger: memoryLogger(), graceMs: DAY, batchSize: 10, maxBatchesPerPass: 2 });
    expect(report.rateLimitBuckets).toBe(1);
    expect(await store.getBucket('old')).toBeUndefined();
    expect(await store.getBucket('busy')).toBeDefined();
  });
});
