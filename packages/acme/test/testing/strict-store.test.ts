import { MemoryStore } from '@certwright/core';
import type { Random } from '@certwright/core';
import { describe, expect, it } from 'vitest';
import { chance, checkProbability, overrideStore, withNonceRejection } from '../../src/testing/index.js';

/** A Random that always returns the given bytes (repeated). */
function fixed(byte: number): Random {
  return { bytes: (n) => new Uint8Array(n).fill(byte) };
}

describe('chance', () => {
  it('is never true at 0 and always true at 1, and compares 32 random bits with the probability', () => {
    expect(chance(fixed(0), 0)).toBe(false);
    expect(chance(fixed(0xff), 1)).toBe(true);
    expect(chance(fixed(0x7f), 0.5)).toBe(true);
    expect(chance(fixed(0x80), 0.5)).toBe(false);
  });

  it('checkProbability refuses values outside [0, 1] and NaN, naming the option', () => {
    expect(() => checkProbability('rate', 2)).toThrow(/rate must be a number from 0 to 1, got 2/);
    expect(() => checkProbability('rate', Number.NaN)).toThrow(RangeError);
    expect(checkProbability('rate', 0.25)).toBe(0.25);
  });
});

describe('withNonceRejection', () => {
  it('uses the nonce up in the store even when it reports it refused, and never accepts an unknown nonce', async () => {
    const store = new MemoryStore();
    const refusing = withNonceRejection(store, 1, fixed(0));
    const now = new Date('2026-01-01T00:00:00Z');
    await refusing.issueNonce('n1', new Date('2026-01-02T00:00:00Z'));
    expect(await refusing.redeemNonce('n1', now)).toBe(false);
    expect(await store.redeemNonce('n1', now)).toBe(false);
    const accepting = withNonceRejection(store, 0, fixed(0));
    await store.issueNonce('n2', new Date('2026-01-02T00:00:00Z'));
    expect(await accepting.redeemNonce('n2', now)).toBe(true);
    expect(await accepting.redeemNonce('n2', now)).toBe(false);
    expect(await accepting.redeemNonce('never-issued', now)).toBe(false);
  });

  it('overrideStore keeps every other method working on a class with private fields', async () => {
    const store = new MemoryStore();
    const view = overrideStore(store, {});
    await view.createEabKey({ keyId: 'k', hmacKey: new Uint8Array(32), createdAt: new Date('2026-01-01T00:00:00Z') });
    expect((await store.getEabKey('k'))?.keyId).toBe('k');
  });
});
