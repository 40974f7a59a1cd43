import { describe, expect, it } from 'vitest';
import { MemoryOcspResponseCache } from '../src/index.js';
import type { SignedOcspResponse } from '../src/index.js';

const T0 = Date.UTC(2026, 0, 1);

function response(serial: string, thisUpdateMs: number, validityMs: number, hashAlgorithm: 'sha1' | 'sha256' = 'sha1'): SignedOcspResponse {
  return {
    issuerId: 'issuer',
    serial,
    hashAlgorithm,
    status: 'good',
    der: new Uint8Array([1, 2, 3]),
    thisUpdate: new Date(thisUpdateMs),
    nextUpdate: new Date(thisUpdateMs + validityMs),
    producedAt: new Date(thisUpdateMs),
    etag: `"${serial}"`,
    nonce: false,
  };
}

describe('MemoryOcspResponseCache', () => {
  it('keeps one response per serial and hash, and forgets both hashes of a serial on delete', async () => {
    const cache = new MemoryOcspResponseCache();
    await cache.put(response('0a', T0, 1000));
    await cache.put(response('0a', T0, 1000, 'sha256'));
    await cache.put(response('0a', T0 + 1, 1000));
    expect(cache.size).toBe(2);
    expect((await cache.get('0a', 'sha1'))?.thisUpdate.getTime()).toBe(T0 + 1);
    await cache.delete('0a');
    expect(cache.size).toBe(0);
  });

  it('drops responses that expired before a newer one was signed, and keeps re-signed ones', async () => {
    const cache = new MemoryOcspResponseCache();
    await cache.put(response('01', T0, 10_000));
    await cache.put(response('02', T0 + 1000, 10_000));
    // 01 is re-signed: it moves behind 02.
    await cache.put(response('01', T0 + 5000, 10_000));
    // Signed after 02's nextUpdate (T0 + 11,000) but before 01's new one (T0 + 15,000).
    await cache.put(response('03', T0 + 12_000, 10_000));
    expect(await cache.get('02', 'sha1')).toBeUndefined();
    expect(await cache.get('01', 'sha1')).toBeDefined();
    expect(await cache.get('03', 'sha1')).toBeDefined();
    expect(cache.size).toBe(2);
  });
});
