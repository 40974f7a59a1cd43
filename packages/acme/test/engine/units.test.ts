import { describe, expect, it } from 'vitest';
import { CertwrightError, FakeClock, MemoryNonceStore, MemoryStore, cryptoRandom, memoryLogger } from '@certwright/core';
import { createAcmeUrls, parseRoute } from '../../src/engine/urls.js';
import { NONCE_BATCH, createNonceService } from '../../src/engine/nonce-service.js';
import { createBackgroundTasks } from '../../src/engine/background.js';
import { checkContacts, MAX_CONTACTS } from '../../src/resources/contacts.js';
import { effectiveReason, parseReason } from '../../src/resources/revocation-reasons.js';
import { suggestedWindow } from '../../src/resources/renewal-info.js';
import { parseCertId } from '../../src/engine/certificate-info.js';
import { keyAuthorization } from '../../src/engine/validator.js';
import { BASE, TestClient, dns, jsonBody, makeCa } from './helpers.js';

function thrown(fn: () => unknown): CertwrightError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CertwrightError) return err;
    throw err;
  }
  throw new Error('expected a CertwrightError');
}

describe('URL layout', () => {
  const urls = createAcmeUrls(`${BASE}/`);

  it('builds every resource URL under the base URL (a trailing slash is dropped)', () => {
    expect(urls.directory).toBe(`${BASE}/directory`);
    expect(urls.account('abc')).toBe(`${BASE}/acct/abc`);
    expect(urls.orders('abc', 'c_1')).toBe(`${BASE}/acct/abc/orders?cursor=c_1`);
    expect(urls.certificate('0a1b', 2)).toBe(`${BASE}/cert/0a1b/2`);
    expect(urls.certificate('0a1b', 0)).toBe(`${BASE}/cert/0a1b`);
  });

  it('refuses a base URL that is not absolute http(s) without query or fragment', () => {
    expect(() => createAcmeUrls('/acme')).toThrow(/absolute URL/);
    expect(() => createAcmeUrls('ftp://ca.example/acme')).toThrow(/http\(s\)/);
    expect(() => createAcmeUrls('https://ca.example/acme?x=1')).toThrow(/without query/);
  });

  it('parses the routes it builds', () => {
    expect(parseRoute(urls, urls.newOrder)).toEqual({ kind: 'newOrder' });
    expect(parseRoute(urls, urls.orders('abc', 'eyJ9'))).toEqual({ kind: 'orders', id: 'abc', cursor: 'eyJ9' });
    expect(parseRoute(urls, urls.finalize('o1'))).toEqual({ kind: 'finalize', id: 'o1' });
    expect(parseRoute(urls, urls.certificate('0a1b', 1))).toEqual({ kind: 'certificate', serial: '0a1b', alternate: 1 });
    expect(parseRoute(urls, `${urls.renewalInfo}/AAAA.AQ`)).toEqual({ kind: 'renewalInfo', certId: 'AAAA.AQ' });
  });

  it.each([
    'https://ca.example/other/directory',
    'https://ca.example/acmedirectory',
    `${BASE}/directory/`,
    `${BASE}/directory?x=1`,
    `${BASE}/acct/a/b`,
    `${BASE}/acct/bad$id`,
    `${BASE}/cert/XYZ`,
    `${BASE}/cert/0a1b/0`,
    `${BASE}/order/o1/finalize/x`,
    `${BASE}/acct/a/orders?cursor=`,
    `${BASE}/acct/a/orders?page=2`,
    `${BASE}/constructor`,
    `${BASE}/__proto__`,
  ])('rejects %s', (url) => {
    expect(parseRoute(urls, url)).toBeUndefined();
  });
});

describe('nonce service (RFC 8555 §6.5)', () => {
  it('issues 128-bit random nonces that redeem exactly once and not after expiry', async () => {
    const clock = new FakeClock();
    const nonces = createNonceService(new MemoryStore(), clock, cryptoRandom(), 1000);
    const a = await nonces.issue();
    const b = await nonces.issue();
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64url')).toHaveLength(16);
    expect(await nonces.redeem(a)).toBe(true);
    expect(await nonces.redeem(a)).toBe(false);
    clock.advance(1000);
    expect(await nonces.redeem(b)).toBe(false);
    expect(await nonces.redeem('forged')).toBe(false);
  });

  it('stores nonces a batch at a time when the store can, each still redeeming exactly once', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore();
    const writes = { single: 0, batches: 0 };
    const counting = {
      issueNonce: (value: string, expires: Date) => (writes.single++, store.issueNonce(value, expires)),
      issueNonces: (values: readonly string[], expires: Date) => (writes.batches++, store.issueNonces(values, expires)),
      redeemNonce: (value: string, now: Date) => store.redeemNonce(value, now),
    };
    const nonces = createNonceService(counting, clock, cryptoRandom(), 60_000);
    const issued = await Promise.all(Array.from({ length: 100 }, () => nonces.issue()));
    for (let i = 0; i < 100; i++) issued.push(await nonces.issue());
    expect(new Set(issued).size).toBe(200);
    expect(writes.single).toBe(0);
    expect(writes.batches).toBeGreaterThanOrEqual(Math.ceil(200 / NONCE_BATCH));
    expect(writes.batches).toBeLessThanOrEqual(Math.ceil(200 / NONCE_BATCH) + 2);
    for (const nonce of issued) expect(await nonces.redeem(nonce)).toBe(true);
    expect(await nonces.redeem(issued[0]!)).toBe(false);
  });

  it('hands out a pooled nonce only while half its lifetime is left', async () => {
    const clock = new FakeClock();
    const nonces = createNonceService(new MemoryStore(), clock, cryptoRandom(), 60_000);
    await nonces.issue(); // fills the pool
    clock.advance(30_001);
    const late = await nonces.issue();
    // It comes from a new batch: valid for the whole lifetime from now, not 29,999 ms.
    clock.advance(59_000);
    expect(await nonces.redeem(late)).toBe(true);
  });

  it('fails an issue when the batch cannot be stored, and recovers once the store does', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore();
    let broken = true;
    const flaky = {
      issueNonce: (value: string, expires: Date) => store.issueNonce(value, expires),
      issueNonces: async (values: readonly string[], expires: Date) => {
        if (broken) throw new CertwrightError('serverInternal', 'database unavailable');
        return store.issueNonces(values, expires);
      },
      redeemNonce: (value: string, now: Date) => store.redeemNonce(value, now),
    };
    const nonces = createNonceService(flaky, clock, cryptoRandom(), 60_000);
    await expect(nonces.issue()).rejects.toThrow(/database unavailable/);
    broken = false;
    expect(await nonces.redeem(await nonces.issue())).toBe(true);
  });

  it('shares nonces between two server instances on one store', async () => {
    const store = new MemoryStore();
    const clock = new FakeClock();
    const one = createNonceService(store, clock, cryptoRandom(), 60_000);
    const two = createNonceService(store, clock, cryptoRandom(), 60_000);
    expect(await two.redeem(await one.issue())).toBe(true);
  });

  it('keeps nonces in the nonceStore option instead of the store when one is given', async () => {
    const nonceStore = new MemoryNonceStore();
    let storeNonceCalls = 0;
    class NonceCountingStore extends MemoryStore {
      override async issueNonce(value: string, expires: Date): Promise<void> {
        storeNonceCalls++;
        return super.issueNonce(value, expires);
      }
      override async redeemNonce(value: string, now: Date): Promise<boolean> {
        storeNonceCalls++;
        return super.redeemNonce(value, now);
      }
    }
    const countingBase = new NonceCountingStore();
    const ca = await makeCa({ nonceStore }, countingBase);
    const client = new TestClient(ca.server);
    expect((await client.register()).status).toBe(201);
    expect(nonceStore.size).toBe(1);
    const { order } = await client.issue(ca, [dns('nonce-memory.example.com')]);
    expect(order['status']).toBe('valid');
    expect(storeNonceCalls).toBe(0);
    const replayed = client.nonce!;
    expect((await client.post(client.kid!, '')).status).toBe(200);
    client.nonce = replayed;
    const again = await client.post(client.kid!, '');
    expect(again.status).toBe(400);
    expect(jsonBody(again)['type']).toBe('urn:ietf:params:acme:error:badNonce');
  });
});

describe('contacts', () => {
  it('refuses more than the maximum number of contacts, naming the limit', () => {
    const many = Array.from({ length: MAX_CONTACTS + 1 }, (_, i) => `mailto:a${i}@example.com`);
    const err = thrown(() => checkContacts(many));
    expect(err.code).toBe('invalidContact');
    expect(err.detail).toMatch(new RegExp(`At most ${MAX_CONTACTS} contacts`));
  });

  it('refuses a non-string contact and an overlong one', () => {
    expect(thrown(() => checkContacts([42])).detail).toMatch(/must be a string/);
    expect(thrown(() => checkContacts([`mailto:${'a'.repeat(400)}@example.com`])).detail).toMatch(/longer than 320/);
  });
});

describe('revocation reasons', () => {
  it('maps absence to unspecified and keeps allowed codes', () => {
    expect(parseReason(undefined)).toBe(0);
    for (const r of [0, 1, 3, 4, 5]) expect(parseReason(r)).toBe(r);
  });

  it('allows keyCompromise only with the certificate key, and forces cessationOfOperation for authorized third parties', () => {
    expect(effectiveReason(1, 'certificateKey')).toBe(1);
    expect(thrown(() => effectiveReason(1, 'issuingAccount')).code).toBe('badRevocationReason');
    expect(effectiveReason(4, 'issuingAccount')).toBe(4);
    expect(effectiveReason(4, 'authorizedAccount')).toBe(5);
  });
});

describe('ARI helpers (RFC 9773)', () => {
  it('computes the middle third, and an already-open window for revoked certificates', () => {
    const nb = new Date('2026-01-01T00:00:00Z');
    const na = new Date('2026-01-31T00:00:00Z');
    const now = new Date('2026-01-05T00:00:00Z');
    expect(suggestedWindow(nb, na, undefined, now)).toEqual({ start: new Date('2026-01-11T00:00:00Z'), end: new Date('2026-01-21T00:00:00Z') });
    const revoked = suggestedWindow(nb, na, new Date('2026-01-04T00:00:00Z'), now);
    expect(revoked).toEqual({ start: new Date('2026-01-04T00:00:00Z'), end: now });
  });

  it('parses a certID into key identifier and serial hex, refusing superfluous zero octets', () => {
    expect(parseCertId('aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE')).toEqual({ keyIdentifier: new Uint8Array(Buffer.from('aYhba4dGQEHhs3uEe6CuLN4ByNQ', 'base64url')), serialHex: '0087654321' });
    expect(thrown(() => parseCertId('AAAA.AAE')).detail).toMatch(/superfluous leading zero/);
    expect(thrown(() => parseCertId(`AAAA.${Buffer.alloc(22, 1).toString('base64url')}`)).detail).toMatch(/longer than 20 octets/);
  });
});

describe('key authorization (RFC 8555 §8.1)', () => {
  it('joins token and thumbprint with a dot', () => {
    expect(keyAuthorization('tok', 'thumb')).toBe('tok.thumb');
  });
});

describe('background tasks', () => {
  it('logs a failing task and drain waits for tasks started by tasks', async () => {
    const logger = memoryLogger();
    const tasks = createBackgroundTasks(logger);
    const done: string[] = [];
    tasks.run('outer', async () => {
      await new Promise((r) => setTimeout(r, 5));
      tasks.run('inner', async () => {
        await new Promise((r) => setTimeout(r, 5));
        done.push('inner');
      });
      done.push('outer');
    });
    tasks.run('bad', async () => {
      throw new Error('boom');
    });
    tasks.run('store down', async () => {
      throw new Error('retry later', { cause: new Error('connect ECONNREFUSED 127.0.0.1:5432') });
    });
    await tasks.drain();
    expect(done).toEqual(['outer', 'inner']);
    expect(tasks.size).toBe(0);
    expect(logger.events).toContainEqual(expect.objectContaining({ event: 'acme.background.failed', task: 'bad', error: 'boom' }));
    expect(logger.events).toContainEqual(expect.objectContaining({ task: 'store down', error: 'retry later', cause: 'connect ECONNREFUSED 127.0.0.1:5432' }));
  });
});

describe('server configuration', () => {
  it('refuses a default profile that is not offered and non-positive lifetimes', async () => {
    await expect(makeCa({ defaultProfile: 'gold' })).rejects.toThrow(/defaultProfile "gold"/);
    await expect(makeCa({ lifetimes: { order: 0, authorization: 1, pendingAuthorization: 1, nonce: 1 } })).rejects.toThrow(/lifetimes\.order/);
    await expect(makeCa({ ordersPageSize: -1 })).rejects.toThrow(/ordersPageSize/);
  });
});
