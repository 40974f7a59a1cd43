import { describe, expect, it } from 'vitest';
import { redactUrl } from '../src/config.js';
import { Counter, Histogram, createMetrics } from '../src/metrics.js';
import { acmeRoute } from '../src/request-log.js';
import { caProfiles } from '../src/runtime.js';
import { checkReadiness } from '../src/status-app.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock, createIssuer, createRootCa, memoryLogger, seededRandom, type Signer } from '@certwright/core';
import { openSqlStore } from '@certwright/core/sql';
import { createTlsRenewal, renewalDue, serverNames, type ServerTlsMaterial } from '../src/server-certificate.js';

describe('metrics exposition', () => {
  it('renders counters with sorted, escaped labels', () => {
    const c = new Counter('x_total', 'Things.');
    c.inc({ b: '2', a: 'say "hi"\n' });
    c.inc({ b: '2', a: 'say "hi"\n' }, 2);
    c.inc();
    expect(c.value({ a: 'say "hi"\n', b: '2' })).toBe(3);
    expect(c.render()).toEqual(['# HELP x_total Things.', '# TYPE x_total counter', 'x_total 1', 'x_total{a="say \\"hi\\"\\n",b="2"} 3']);
  });

  it('renders histograms with cumulative buckets, +Inf, sum and count', () => {
    const h = new Histogram('lat_seconds', 'Latency.', [0.1, 1]);
    h.observe({ k: 'v' }, 0.05);
    h.observe({ k: 'v' }, 0.5);
    h.observe({ k: 'v' }, 5);
    expect(h.render()).toEqual([
      '# HELP lat_seconds Latency.',
      '# TYPE lat_seconds histogram',
      'lat_seconds_bucket{k="v",le="0.1"} 1',
      'lat_seconds_bucket{k="v",le="1"} 2',
      'lat_seconds_bucket{k="v",le="+Inf"} 3',
      'lat_seconds_sum{k="v"} 5.55',
      'lat_seconds_count{k="v"} 3',
    ]);
  });

  it('exposes the four families, ending with a newline', () => {
    const text = createMetrics().render();
    for (const name of ['certwright_http_requests_total', 'certwright_certificates_issued_total', 'certwright_validations_total', 'certwright_signer_seconds']) expect(text).toContain(`# TYPE ${name} `);
    expect(text.endsWith('\n')).toBe(true);
  });
});

describe('helpers', () => {
  it('labels ACME routes without ids, and unknown paths as other', () => {
    expect(acmeRoute('/directory', '/')).toBe('directory');
    expect(acmeRoute('/acme/order/abc/finalize', '/acme/')).toBe('finalize');
    expect(acmeRoute('/order/abc', '/')).toBe('order');
    expect(acmeRoute('/acct/a1/orders', '/')).toBe('orders');
    expect(acmeRoute('/chall/xyz', '/')).toBe('chall');
    expect(acmeRoute('/wp-admin/x', '/')).toBe('other');
    expect(acmeRoute('/directory', '/acme/')).toBe('other');
  });

  it('masks database passwords', () => {
    expect(redactUrl('postgres://ca:s3cret@db.internal:5432/certwright')).toBe('postgres://ca:***@db.internal:5432/certwright');
    expect(redactUrl('sqlite:/var/lib/ca.sqlite')).toBe('sqlite:/var/lib/ca.sqlite');
  });

  it('names the server certificate for the listen host, localhost and the external host, skipping wildcard addresses', () => {
    expect(serverNames({ host: '127.0.0.1', port: 1 }, 'https://acme.corp.example')).toEqual([
      { type: 'ip', value: '127.0.0.1' },
      { type: 'dns', value: 'localhost' },
      { type: 'dns', value: 'acme.corp.example' },
    ]);
    expect(serverNames({ host: '::', port: 1 }, 'https://[::1]:8443')).toEqual([
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '::1' },
    ]);
  });

  it('points every profile at the status listener for OCSP and CRLs', () => {
    for (const profile of caProfiles('http://pki.corp.example')) {
      expect(profile.ocspUrl).toBe('http://pki.corp.example/ocsp/');
      expect(profile.crlUrlTemplate).toBe('http://pki.corp.example/crl/{issuerId}/{shard}.crl');
    }
  });
});

describe('renewal of the listener certificate', () => {
  const material = (serial: string, notBefore: string, days: number): ServerTlsMaterial => ({
    key: 'k',
    cert: 'c',
    serial,
    names: ['localhost'],
    notBefore: new Date(notBefore),
    notAfter: new Date(new Date(notBefore).getTime() + days * 86_400_000),
  });

  it('is due in the last third of the lifetime', () => {
    const m = material('a', '2026-01-01T00:00:00Z', 90);
    expect(renewalDue(m, new Date('2026-02-28T23:59:59Z'))).toBe(false);
    expect(renewalDue(m, new Date('2026-03-02T00:00:00Z'))).toBe(true);
  });

  it('renews once when due, swaps the certificate in, and logs a failure without throwing', async () => {
    const clock = new FakeClock(new Date('2026-01-10T00:00:00Z'));
    const logger = memoryLogger();
    const applied: string[] = [];
    let fail = false;
    let issued = 0;
    const renewal = createTlsRenewal({
      current: material('a', '2026-01-01T00:00:00Z', 90),
      issue: async () => {
        if (fail) throw new Error('issuer unavailable');
        issued += 1;
        return material(`r${issued}`, clock.now().toISOString(), 90);
      },
      apply: (m) => applied.push(m.serial),
      clock,
      logger,
    });
    expect(await renewal.check()).toBe(false);
    expect(issued).toBe(0);
    clock.set(new Date('2026-03-05T00:00:00Z'));
    fail = true;
    expect(await renewal.check()).toBe(false);
    expect(logger.events).toContainEqual(expect.objectContaining({ level: 'error', event: 'tls.renewalFailed', serial: 'a', error: 'issuer unavailable' }));
    fail = false;
    const [first, second] = await Promise.all([renewal.check(), renewal.check()]);
    expect([first, second]).toEqual([true, false]);
    expect(applied).toEqual(['r1']);
    expect(logger.events).toContainEqual(expect.objectContaining({ event: 'tls.renewed', serial: 'r1', previous: 'a' }));
    // The new certificate is fresh: nothing more to do.
    expect(await renewal.check()).toBe(false);
  });
});

describe('readiness', () => {
  it('is ready when the store answers and the key signs; names the failing check otherwise', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certwright-ready-'));
    try {
      const clock = new FakeClock();
      const random = seededRandom(7);
      const root = await createRootCa({ subject: [{ type: 'CN', value: 'Readiness Root' }], keyType: 'P-256', validitySeconds: 86400 * 30, clock, random });
      const store = await openSqlStore({ url: `sqlite:${join(dir, 'ready.sqlite')}` });
      expect(await checkReadiness(store, [root], clock)).toEqual({ ready: true, checks: { store: 'ok', issuingKey: 'ok' } });

      const wrongKey = createIssuer({ certificate: root.certificate, signer: { ...pick(root.signer), sign: async () => new Uint8Array([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]) } });
      const badSignature = await checkReadiness(store, [wrongKey], clock);
      expect(badSignature.ready).toBe(false);
      expect(badSignature.checks.issuingKey).toBe(`failed: the signature of ${root.id} does not verify with its certificate`);

      const unreachable = createIssuer({ certificate: root.certificate, signer: { ...pick(root.signer), sign: async () => Promise.reject(new Error('token removed')) } });
      expect((await checkReadiness(store, [unreachable], clock)).checks.issuingKey).toBe(`failed: ${root.id}: token removed`);

      await store.close();
      const closed = await checkReadiness(store, [root], clock);
      expect(closed.ready).toBe(false);
      expect(closed.checks.store).toMatch(/^failed: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The plain fields of a signer (its class's own properties). */
function pick(signer: Signer): Pick<Signer, 'algorithm' | 'publicKeySpki'> {
  return { algorithm: signer.algorithm, publicKeySpki: signer.publicKeySpki };
}
