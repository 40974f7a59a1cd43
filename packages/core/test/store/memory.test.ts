import { describe, expect, it } from 'vitest';
import { isCertwrightError } from '../../src/errors.js';
import { MemoryStore } from '../../src/store/memory.js';
import { storeContract } from './contract.js';
import { newAccount } from './fixtures.js';

storeContract('MemoryStore', async () => {
  const store = new MemoryStore();
  return { store, close: () => store.close() };
});

describe('MemoryStore specifics', () => {
  it('refuses every call after close with serverInternal', async () => {
    const store = new MemoryStore();
    await store.createAccount(newAccount());
    await store.close();
    const err = await store.getAccount('x').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCertwrightError(err, 'serverInternal')).toBe(true);
    expect(isCertwrightError(err) && err.detail).toContain('closed');
  });
});
