import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { barChartSvg } from '../../bench/src/acme-load/chart.js';
import { clockTicks, processCpuSeconds } from '../../bench/src/acme-load/cpu.js';
import { cryptoFloor } from '../../bench/src/acme-load/crypto-floor.js';
import { generateAccountKey, signJws } from '../../bench/src/acme-load/jws.js';
import { LoopbackAddresses } from '../../bench/src/acme-load/load.js';
import { summariseProfile } from '../../bench/src/acme-load/profile.js';
import { median } from '../../bench/src/acme-load/report.js';

/*
 * The pure parts of the issuance benchmark's load generator. No figure is
 * asserted: only that what is measured is computed correctly.
 */

describe('load generator JWS (RFC 7515 flattened, ES256)', () => {
  it('signs a kid request whose signature verifies with the account key, over protected.payload', () => {
    const key = generateAccountKey();
    const jws = JSON.parse(signJws(key, { url: 'https://ca.test/acme/new-order', nonce: 'n1', kid: 'https://ca.test/acme/acct/7', payload: { a: 1 } })) as Record<string, string>;
    const header = JSON.parse(Buffer.from(jws['protected']!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(header).toEqual({ alg: 'ES256', kid: 'https://ca.test/acme/acct/7', nonce: 'n1', url: 'https://ca.test/acme/new-order' });
    expect(JSON.parse(Buffer.from(jws['payload']!, 'base64url').toString('utf8'))).toEqual({ a: 1 });
    const signature = Buffer.from(jws['signature']!, 'base64url');
    expect(signature.length).toBe(64);
    const publicKey = createPublicKey({ key: key.jwk, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${jws['protected']}.${jws['payload']}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    // A changed payload must not verify.
    expect(verify('sha256', Buffer.from(`${jws['protected']}.e30`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(false);
  });

  it('puts the JWK in newAccount requests, an empty payload for POST-as-GET, and an RFC 7638 thumbprint', () => {
    const key = generateAccountKey();
    const jws = JSON.parse(signJws(key, { url: 'https://ca.test/acme/new-account', nonce: 'n2' })) as Record<string, string>;
    const header = JSON.parse(Buffer.from(jws['protected']!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(header['jwk']).toEqual(key.jwk);
    expect(header['kid']).toBeUndefined();
    expect(jws['payload']).toBe('');
    const canonical = JSON.stringify({ crv: key.jwk.crv, kty: key.jwk.kty, x: key.jwk.x, y: key.jwk.y });
    expect(key.thumbprint).toBe(createHash('sha256').update(canonical).digest('base64url'));
  });
});

describe('LoopbackAddresses', () => {
  it('hands out distinct 127/8 addresses, never a .0 or .255 last octet', () => {
    const a = new LoopbackAddresses();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(a.next());
    expect(seen.size).toBe(1000);
    for (const ip of seen) {
      expect(ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
      expect(ip.endsWith('.0') || ip.endsWith('.255')).toBe(false);
    }
  });
});

describe('median', () => {
  it('takes the middle value, the mean of the two middle ones, and ignores NaN', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });
});

describe('crypto floor', () => {
  it('adds N JWS verifications, one CSR verification, one signature and its verification', () => {
    const floor = cryptoFloor({ jwsVerify: 1000, p256Sign: 4000, p256Verify: 2000 }, 8);
    expect(floor.jwsMs).toBe(8);
    expect(floor.certSignMs).toBe(0.25);
    expect(floor.totalMs).toBe(8 + 0.5 + 0.25 + 0.5);
  });
});

describe('processCpuSeconds', () => {
  it('reads utime + stime of a live process from /proc and fails for a missing pid', () => {
    const ticks = clockTicks();
    expect(ticks).toBeGreaterThan(0);
    expect(processCpuSeconds(process.pid, ticks)).toBeGreaterThan(0);
    expect(() => processCpuSeconds(2 ** 30, ticks)).toThrow(/ENOENT/);
  });
});

describe('summariseProfile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cw-profile-'));
  const file = join(dir, 'x.cpuprofile');
  writeFileSync(
    file,
    JSON.stringify({
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
        { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
        { id: 3, callFrame: { functionName: 'executeQuery', url: 'file:///w/node_modules/.pnpm/kysely@0.28.0/node_modules/kysely/dist/esm/x.js', lineNumber: 59 } },
        { id: 4, callFrame: { functionName: 'issue', url: 'file:///w/packages/core/dist/engine.js', lineNumber: 9 } },
      ],
      startTime: 1000,
      samples: [3, 2, 4, 3, 4],
      timeDeltas: [100, 100, 100, 100, 100],
    }),
  );

  it('sums self time per function and per origin, leaving out idle samples', () => {
    const s = summariseProfile(file, 10);
    expect(s.busyMs).toBeCloseTo(0.4);
    expect(s.top[0]).toMatchObject({ fn: 'executeQuery (kysely/dist/esm/x.js:60)', share: 0.5 });
    expect(s.byOrigin.map((o) => o.fn)).toEqual(['kysely', '@certwright/core']);
  });

  it('counts only the samples inside the window', () => {
    // Sample times: 1100, 1200 (idle), 1300, 1400, 1500.
    const s = summariseProfile(file, 10, [1250, 1450]);
    expect(s.busyMs).toBeCloseTo(0.2);
    expect(s.top.map((t) => t.fn).sort()).toEqual(['executeQuery (kysely/dist/esm/x.js:60)', 'issue (packages/core/engine.js:10)']);
  });
});

describe('barChartSvg', () => {
  it('draws one bar per finite value, labelled, and a legend entry per series', () => {
    const svg = barChartSvg({ title: 'T & <x>', yLabel: 'per s', groups: ['c 1', 'c 8'], series: [{ name: 'a', values: [10, 20] }, { name: 'b', values: [5, Number.NaN] }] });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('T &amp; &lt;x&gt;');
    // 3 bars + 2 legend swatches + the background.
    expect(svg.match(/<rect /g)).toHaveLength(6);
    expect(svg).toContain('>20.0<');
  });
});
