import { describe, expect, it } from 'vitest';
import { DAY, FakeClock, IssuerSet, MemoryStore, createIntermediateCa, createRootCa, cryptoRandom, derReader, splitSigned, isCertwrightError } from '@certwright/core';
import { CRL_OIDS, MemoryCrlNumberStore, compileCrlRoute, createCrlPublisher, encodeTbsCertList, type Timers } from '../src/index.js';
import type { CrlNumberStore } from '@certwright/core';
import { addRecord } from './helpers.js';

async function setup() {
  const clock = new FakeClock('2026-03-01T00:00:00Z');
  const random = cryptoRandom();
  const root = await createRootCa({ subject: [{ type: 'CN', value: 'Root' }], keyType: 'P-256', validitySeconds: 3650 * 86400, clock, random });
  const inter = await createIntermediateCa({ root, subject: [{ type: 'CN', value: 'Inter' }], keyType: 'P-256', validitySeconds: 365 * 86400, clock, random, id: 'inter' });
  return { clock, store: new MemoryStore(), issuers: new IssuerSet([inter]), inter };
}

/** Serials (hex) on a CRL, and whether the revokedCertificates field is present. */
function serialsOn(crl: Uint8Array): { present: boolean; serials: string[]; thisUpdate: Date; nextUpdate: Date } {
  const f = derReader.children(derReader.readSingle(splitSigned(crl).tbs));
  const thisUpdate = derReader.readTime(f[3]!);
  const nextUpdate = derReader.readTime(f[4]!);
  const list = f[5]!.tag === 0x30 ? f[5] : undefined;
  return {
    present: list !== undefined,
    serials: list === undefined ? [] : derReader.children(list).map((e) => Buffer.from(derReader.readIntegerBytes(derReader.children(e)[0]!)).toString('hex')),
    thisUpdate,
    nextUpdate,
  };
}

function hasCrlExtension(crl: Uint8Array, oid: string): boolean {
  const f = derReader.children(derReader.readSingle(splitSigned(crl).tbs));
  const exts = derReader.children(derReader.children(f[f.length - 1]!)[0]!);
  return exts.some((e) => derReader.readOid(derReader.children(e)[0]!) === oid);
}

describe('CRL publisher', () => {
  it('omits revokedCertificates when nothing is revoked (RFC 5280 §5.1.2.6), and sets nextUpdate from the validity', async () => {
    const { clock, store, issuers } = await setup();
    const p = createCrlPublisher({ store, issuers, clock, crlNumbers: new MemoryCrlNumberStore(), shardCount: 1, validitySeconds: 2 * 86400 });
    const crl = await p.generate('inter', 0);
    const parsed = serialsOn(crl.der);
    expect(parsed.present).toBe(false);
    expect(parsed.thisUpdate.toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(parsed.nextUpdate.toISOString()).toBe('2026-03-03T00:00:00.000Z');
    expect(crl.url).toBeUndefined();
    expect(hasCrlExtension(crl.der, CRL_OIDS.issuingDistributionPoint)).toBe(false);
  });

  it('keeps an expired certificate on exactly one more CRL, then drops it', async () => {
    const { clock, store, issuers } = await setup();
    const p = createCrlPublisher({ store, issuers, clock, crlNumbers: new MemoryCrlNumberStore(), shardCount: 1, updateIntervalSeconds: 86400 });
    const notAfter = new Date(clock.now().getTime() + DAY);
    await addRecord(store, { serial: '7f01', issuerId: 'inter', notAfter, at: clock.now(), state: 'issued' });
    await store.revoke('7f01', 4, clock.now());
    expect(serialsOn((await p.generate('inter', 0)).der).serials).toEqual(['7f01']);
    clock.advance(DAY + 1000); // expired one second ago: the next CRL still lists it
    expect(serialsOn((await p.generate('inter', 0)).der).serials).toEqual(['7f01']);
    clock.advance(DAY); // one CRL period later it is gone
    expect(serialsOn((await p.generate('inter', 0)).der).present).toBe(false);
  });

  it('puts each revocation only on its own shard', async () => {
    const { clock, store, issuers } = await setup();
    const p = createCrlPublisher({ store, issuers, clock, crlNumbers: new MemoryCrlNumberStore(), shardCount: 2, urlTemplate: 'http://crl.test/{issuerId}/{shard}.crl' });
    const notAfter = new Date(clock.now().getTime() + 30 * DAY);
    await addRecord(store, { serial: '10', issuerId: 'inter', notAfter, at: clock.now(), state: 'issued', crlShard: 0 });
    await addRecord(store, { serial: '11', issuerId: 'inter', notAfter, at: clock.now(), state: 'precertificate', crlShard: 1 });
    await store.revoke('10', 1, clock.now());
    await store.revoke('11', 1, clock.now());
    expect(serialsOn((await p.generate('inter', 0)).der).serials).toEqual(['10']);
    const one = await p.generate('inter', 1);
    expect(serialsOn(one.der).serials).toEqual(['11']);
    expect(one.url).toBe('http://crl.test/inter/1.crl');
    const regenerated = await p.onRevoked({ issuerId: 'inter', crlShard: 1 });
    expect(regenerated?.number).toBe(one.number + 1n);
    expect(await p.onRevoked({ issuerId: 'other', crlShard: 0 })).toBeUndefined();
  });

  it('refuses unknown issuers and shards with notFound naming them', async () => {
    const { clock, store, issuers } = await setup();
    const p = createCrlPublisher({ store, issuers, clock, crlNumbers: new MemoryCrlNumberStore(), shardCount: 2, urlTemplate: 'http://crl.test/{issuerId}/{shard}.crl' });
    await expect(p.generate('nope', 0)).rejects.toSatisfy((e) => isCertwrightError(e, 'notFound') && e.detail.includes('unknown issuer nope'));
    await expect(p.generate('inter', 2)).rejects.toSatisfy((e) => isCertwrightError(e, 'notFound') && e.detail.includes('shard 2'));
    expect(await p.latest('inter', 5)).toBeUndefined();
  });

  it('serves the latest CRL until it expires, then regenerates', async () => {
    const { clock, store, issuers } = await setup();
    const p = createCrlPublisher({ store, issuers, clock, crlNumbers: new MemoryCrlNumberStore(), shardCount: 1, validitySeconds: 86400, updateIntervalSeconds: 3600 });
    const first = await p.latest('inter', 0);
    expect(await p.latest('inter', 0)).toBe(first);
    clock.advance(86400 * 1000);
    const second = await p.latest('inter', 0);
    expect(second!.number).toBe(first!.number + 1n);
  });

  it('numbers concurrent generations of one shard strictly increasing, with non-decreasing thisUpdate', async () => {
    const { clock, store, issuers } = await setup();
    const p = createCrlPublisher({ store, issuers, clock, crlNumbers: new MemoryCrlNumberStore(), shardCount: 1 });
    const all = await Promise.all([p.generate('inter', 0), p.generate('inter', 0), p.generate('inter', 0)]);
    expect(all.map((c) => c.number)).toEqual([1n, 2n, 3n]);
  });

  it('regenerates on a schedule between start() and stop()', async () => {
    const { clock, store, issuers } = await setup();
    const pending: (() => void)[] = [];
    const timers: Timers = { setTimeout: (fn) => pending.push(fn), clearTimeout: () => pending.splice(0) };
    const numbers = new MemoryCrlNumberStore();
    const p = createCrlPublisher({ store, issuers, clock, crlNumbers: numbers, shardCount: 1, timers });
    p.start();
    await waitFor(async () => (await numbers.currentCrlNumber({ issuerId: 'inter', shard: 0 })) === 1n);
    pending.shift()!();
    await waitFor(async () => (await numbers.currentCrlNumber({ issuerId: 'inter', shard: 0 })) === 2n);
    await p.stop();
    expect(pending).toHaveLength(0);
  });

  it('rejects configurations outside the bounds, naming the option', async () => {
    const { clock, store, issuers } = await setup();
    const base = { store, issuers, clock, crlNumbers: new MemoryCrlNumberStore() as CrlNumberStore };
    const cases: [Parameters<typeof createCrlPublisher>[0], string][] = [
      [{ ...base, shardCount: 0 }, 'shardCount'],
      [{ ...base, shardCount: 4 }, 'needs a urlTemplate'],
      [{ ...base, shardCount: 4, urlTemplate: 'http://crl.test/{issuerId}.crl' }, 'must contain {shard}'],
      [{ ...base, shardCount: 1, validitySeconds: 11 * 86400 }, 'exceeds maxValiditySeconds'],
      [{ ...base, shardCount: 1, validitySeconds: 86400, updateIntervalSeconds: 2 * 86400 }, 'updateIntervalSeconds'],
    ];
    for (const [options, rule] of cases) {
      expect(() => createCrlPublisher(options), rule).toThrow(rule);
      try {
        createCrlPublisher(options);
      } catch (e) {
        expect(isCertwrightError(e, 'serverInternal')).toBe(true);
      }
    }
  });

  it('refuses CRL numbers beyond 20 octets and nextUpdate not after thisUpdate', async () => {
    const { inter } = await setup();
    const at = new Date('2026-03-01T00:00:00Z');
    expect(() => encodeTbsCertList({ issuer: inter, thisUpdate: at, nextUpdate: new Date(at.getTime() + 1000), number: 1n << 160n, entries: [] })).toThrow('cRLNumber');
    expect(() => encodeTbsCertList({ issuer: inter, thisUpdate: at, nextUpdate: at, number: 1n, entries: [] })).toThrow('nextUpdate');
  });
});

describe('CRL routes', () => {
  it('matches the path of a URL template and nothing else', () => {
    const r = compileCrlRoute('http://crl.example.test/certs/{issuerId}/{shard}.crl');
    expect(r.match('/certs/ca-1/12.crl')).toEqual({ issuerId: 'ca-1', shard: 12 });
    expect(r.match('/certs/ca-1/012.crl')).toBeUndefined();
    expect(r.match('/certs/ca-1/12xcrl')).toBeUndefined();
    expect(compileCrlRoute('/crl/{issuerId}.crl').match('/crl/a.crl')).toEqual({ issuerId: 'a', shard: 0 });
  });

  it('rejects templates without an issuer placeholder or with a placeholder twice', () => {
    expect(() => compileCrlRoute('/crl/{shard}.crl')).toThrow('{issuerId}');
    expect(() => compileCrlRoute('/crl/{issuerId}/{issuerId}.crl')).toThrow('once');
    expect(() => compileCrlRoute('crl/{issuerId}.crl')).toThrow('start with');
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error('condition not reached');
}
