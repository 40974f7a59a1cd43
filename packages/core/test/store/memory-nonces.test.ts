import { describe, expect, it } from 'vitest';
import { CertwrightError, MemoryNonceStore } from '../../src/index.js';

const at = (ms: number): Date => new Date(Date.UTC(2026, 0, 1) + ms);

describe('MemoryNonceStore', () => {
  it('redeems an issued nonce exactly once', async () => {
    const store = new MemoryNonceStore();
    await store.issueNonce('n1', at(60_000));
    expect(await store.redeemNonce('n1', at(0))).toBe(true);
    expect(await store.redeemNonce('n1', at(0))).toBe(false);
    expect(await store.redeemNonce('never-issued', at(0))).toBe(false);
    expect(store.size).toBe(0);
  });

  it('lets only one of two racing redemptions win', async () => {
    const store = new MemoryNonceStore();
    await store.issueNonce('n1', at(60_000));
    const results = await Promise.all([store.redeemNonce('n1', at(1)), store.redeemNonce('n1', at(1))]);
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('does not redeem an expired nonce, and removes it', async () => {
    const store = new MemoryNonceStore();
    await store.issueNonce('n1', at(1000));
    expect(await store.redeemNonce('n1', at(1000))).toBe(false);
    expect(store.size).toBe(0);
  });

  it('refuses a value that is already outstanding with conflict', async () => {
    const store = new MemoryNonceStore();
    await store.issueNonce('n1', at(1000));
    const err = await store.issueNonce('n1', at(2000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertwrightError);
    expect((err as CertwrightError).code).toBe('conflict');
  });

  it('drops the oldest nonce when full, so it then gets badNonce', async () => {
    const store = new MemoryNonceStore({ capacity: 2 });
    await store.issueNonce('a', at(60_000));
    await store.issueNonce('b', at(60_001));
    await store.issueNonce('c', at(60_002));
    expect(store.size).toBe(2);
    expect(await store.redeemNonce('a', at(0))).toBe(false);
    expect(await store.redeemNonce('b', at(0))).toBe(true);
    expect(await store.redeemNonce('c', at(0))).toBe(true);
  });

  it('drops nonces that expired by the latest redemption time when new ones are issued', async () => {
    const store = new MemoryNonceStore();
    for (let i = 0; i < 10; i++) await store.issueNonce(`old-${i}`, at(1000 + i));
    await store.issueNonce('keep', at(120_000));
    expect(await store.redeemNonce('unknown', at(5000))).toBe(false);
    await store.issueNonce('new', at(125_000));
    expect(store.size).toBe(2);
    expect(await store.redeemNonce('keep', at(5000))).toBe(true);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new MemoryNonceStore({ capacity: 0 })).toThrow(RangeError);
    expect(() => new MemoryNonceStore({ capacity: 1.5 })).toThrow(RangeError);
  });
});
