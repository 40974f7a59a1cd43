import { describe, expect, it } from 'vitest';
import { CertwrightError, FakeClock, HOUR, MemoryStore, MINUTE } from '@certwright/core';
import { openSqlStore } from '@certwright/core/sql';
import type { Identifier } from '@certwright/core';
import { createMemoryRateLimiter, createStoreRateLimiter, MemoryRateLimitStore } from '../../src/ratelimit/index.js';
import type { RateLimiter, RateLimitRules } from '../../src/ratelimit/index.js';
import type { AcmeServer, Validator } from '../../src/engine/index.js';
import { TestClient, dns, jsonBody, makeCa, makeCsr } from './helpers.js';
import type { TestCa } from './helpers.js';

const START = '2026-03-01T00:00:00Z';

/** The server as seen from one client address. */
function from(server: AcmeServer, remoteAddress: string): AcmeServer {
  return { ...server, handle: (req) => server.handle({ ...req, remoteAddress }) };
}

async function limitedCa(rules: RateLimitRules, extra: Parameters<typeof makeCa>[0] = {}): Promise<{ ca: TestCa; clock: FakeClock; limiter: RateLimiter }> {
  const clock = new FakeClock(START);
  const limiter = createMemoryRateLimiter({ rules, clock });
  const ca = await makeCa({ clock, rateLimiter: limiter, ...extra });
  return { ca, clock, limiter };
}

function expectLimited(res: { status: number; headers: Record<string, string | string[]>; body: unknown }, name: string, retryAfter: number): void {
  expect(res.status).toBe(429);
  expect(res.headers['Content-Type']).toBe('application/problem+json');
  expect(res.headers['Retry-After']).toBe(String(retryAfter));
  const problem = JSON.parse(String(res.body)) as { type: string; detail: string };
  expect(problem.type).toBe('urn:ietf:params:acme:error:rateLimited');
  expect(problem.detail).toContain(`Rate limit ${name} exceeded`);
  expect(problem.detail).toMatch(/retry after \d{4}-\d\d-\d\dT[\d:.]+Z/);
  expect(problem.detail).toMatch(/fully reset at \d{4}-/);
}

/** A validator that fails every identifier starting with `fail`. */
const failing: Validator = {
  type: 'dns-01',
  identifierTypes: ['dns'],
  async validate(input) {
    if (input.identifier.value.startsWith('fail')) throw new CertwrightError('unauthorized', `no key authorization at ${input.identifier.value}`);
    return { record: [] };
  },
};

async function failValidation(ca: TestCa, client: TestClient, identifier: Identifier): Promise<void> {
  const order = jsonBody(await client.newOrder([identifier]));
  const authz = jsonBody(await client.post((order['authorizations'] as string[])[0]!, ''));
  await client.post((authz['challenges'] as { url: string }[])[0]!.url, {});
  await ca.server.drain();
}

describe('ACME engine: rate limits', () => {
  it('limits new accounts per address, writes nothing when refused, and refills over time', async () => {
    const { ca, clock } = await limitedCa({ newAccountsPerIp: { count: 2, periodSeconds: 3600 } });
    const server = from(ca.server, '192.0.2.7');
    expect((await new TestClient(server).register()).status).toBe(201);
    expect((await new TestClient(server).register()).status).toBe(201);
    const writesBefore = ca.writes.length;
    const third = new TestClient(server);
    const refused = await third.register();
    expectLimited(refused, 'newAccountsPerIp', 1800);
    expect(String(jsonBody(refused)['detail'])).toContain('for 192.0.2.7: at most 2 per 1 h');
    expect(ca.writes.length).toBe(writesBefore);
    // Another address has its own bucket.
    expect((await new TestClient(from(ca.server, '192.0.2.8')).register()).status).toBe(201);
    clock.advance(30 * MINUTE);
    third.nonce = undefined;
    expect((await third.register()).status).toBe(201);
    expect((await new TestClient(server).register()).status).toBe(429);
  });

  it('finds an existing account without spending a token', async () => {
    const { ca } = await limitedCa({ newAccountsPerIp: { count: 1, periodSeconds: 3600 } });
    const server = from(ca.server, '198.51.100.1');
    const client = new TestClient(server);
    expect((await client.register()).status).toBe(201);
    expect((await client.register()).status).toBe(200);
    expect((await client.register()).status).toBe(200);
    expect((await new TestClient(server).register()).status).toBe(429);
  });

  it('groups IPv6 clients by /64 and IPv4-mapped addresses with their IPv4 address', async () => {
    const { ca } = await limitedCa({ newAccountsPerIp: { count: 1, periodSeconds: 3600 } });
    expect((await new TestClient(from(ca.server, '2001:db8:1:2::1')).register()).status).toBe(201);
    const refused = await new TestClient(from(ca.server, '2001:db8:1:2:ffff:ffff:ffff:ffff')).register();
    expectLimited(refused, 'newAccountsPerIp', 3600);
    expect(String(jsonBody(refused)['detail'])).toContain('for 2001:db8:1:2::/64');
    expect((await new TestClient(from(ca.server, '2001:db8:1:3::1')).register()).status).toBe(201);
    expect((await new TestClient(from(ca.server, '203.0.113.9')).register()).status).toBe(201);
    expect((await new TestClient(from(ca.server, '::ffff:203.0.113.9')).register()).status).toBe(429);
  });

  it('limits new orders per account at the configured count, writing nothing when refused', async () => {
    const { ca, clock } = await limitedCa({ newOrdersPerAccount: { count: 3, periodSeconds: 3 * 3600 } });
    const client = new TestClient(ca.server);
    await client.register();
    for (let i = 0; i < 3; i++) expect((await client.newOrder([dns(`o${i}.example.com`)])).status).toBe(201);
    const writesBefore = ca.writes.length;
    const refused = await client.newOrder([dns('o3.example.com')]);
    expectLimited(refused, 'newOrdersPerAccount', 3600);
    expect(String(jsonBody(refused)['detail'])).toContain(`at most 3 per 3 h`);
    expect(ca.writes.length).toBe(writesBefore);
    // Another account is not affected.
    const other = new TestClient(ca.server);
    await other.register();
    expect((await other.newOrder([dns('x.example.com')])).status).toBe(201);
    clock.advance(HOUR - 1000);
    client.nonce = undefined;
    expect((await client.newOrder([dns('o3.example.com')])).status).toBe(429);
    clock.advance(1000);
    expect((await client.newOrder([dns('o3.example.com')])).status).toBe(201);
    expect((await client.newOrder([dns('o4.example.com')])).status).toBe(429);
  });

  it('refuses new orders for an identifier after too many failed validations of that account', async () => {
    const { ca, clock } = await limitedCa({ failedValidationsPerAccountIdentifier: { count: 2, periodSeconds: 3600 } }, { validators: [failing] });
    const client = new TestClient(ca.server);
    await client.register();
    await failValidation(ca, client, dns('fail.example.com'));
    expect((await client.newOrder([dns('fail.example.com')])).status).toBe(201);
    await failValidation(ca, client, dns('fail.example.com'));
    const writesBefore = ca.writes.length;
    const refused = await client.newOrder([dns('ok.example.com'), dns('*.fail.example.com')]);
    expectLimited(refused, 'failedValidationsPerAccountIdentifier', 1800);
    expect(String(jsonBody(refused)['detail'])).toContain(':dns:fail.example.com');
    expect(ca.writes.length).toBe(writesBefore);
    expect((await client.newOrder([dns('ok.example.com')])).status).toBe(201);
    const other = new TestClient(ca.server);
    await other.register();
    expect((await other.newOrder([dns('fail.example.com')])).status).toBe(201);
    clock.advance(30 * MINUTE);
    client.nonce = undefined;
    expect((await client.newOrder([dns('fail.example.com')])).status).toBe(201);
  });

  it('counts certificates per registered domain: subdomains together, refused at newOrder and at finalize', async () => {
    const { ca, clock } = await limitedCa({ certificatesPerDomain: { count: 2, periodSeconds: 7 * 86400 } });
    const client = new TestClient(ca.server);
    await client.register();
    const pending = await client.readyOrder(ca, [dns('c.example.co.uk')]);
    await client.issue(ca, [dns('a.example.co.uk')]);
    await client.issue(ca, [dns('www.b.example.co.uk'), dns('other.test')]);
    const refused = await client.newOrder([dns('d.example.co.uk')]);
    expectLimited(refused, 'certificatesPerDomain', 302_400);
    expect(String(jsonBody(refused)['detail'])).toContain('for example.co.uk: at most 2 per 7 d');
    expect((await client.newOrder([dns('another.co.uk')])).status).toBe(201);
    // A ready order made before the limit was reached is refused at finalize, and stays ready.
    const writesBefore = ca.writes.length;
    const { csr } = await makeCsr([dns('c.example.co.uk')]);
    const fin = await client.post(String(pending.order['finalize']), { csr: Buffer.from(csr).toString('base64url') });
    expectLimited(fin, 'certificatesPerDomain', 302_400);
    expect(ca.writes.length).toBe(writesBefore);
    expect(jsonBody(await client.post(pending.url, ''))['status']).toBe('ready');
    // other.test counted once.
    expect((await client.newOrder([dns('x.other.test')])).status).toBe(201);
    clock.advance(302_400 * 1000);
    client.nonce = undefined;
    expect((await client.newOrder([dns('d.example.co.uk')])).status).toBe(201);
  });

  it('gives the certificate token back when issuance fails', async () => {
    const clock = new FakeClock(START);
    const limiter = createMemoryRateLimiter({ rules: { certificatesPerDomain: { count: 1, periodSeconds: 86400 } }, clock });
    const ca = await makeCa({ clock, rateLimiter: limiter });
    let failNext = true;
    const flaky = { ...ca.issuance, issue: async (p: Parameters<typeof ca.issuance.issue>[0]) => { if (failNext) { failNext = false; throw new CertwrightError('serverInternal', 'signer offline'); } return ca.issuance.issue(p); } };
    const ca2 = await makeCa({ clock, rateLimiter: limiter, issuance: flaky }, ca.store);
    const client = new TestClient(ca2.server);
    const { url, order } = await client.readyOrder(ca2, [dns('flaky.example.com')]);
    const { csr } = await makeCsr([dns('flaky.example.com')]);
    expect((await client.post(String(order['finalize']), { csr: Buffer.from(csr).toString('base64url') })).status).toBe(200);
    await ca2.server.drain();
    expect(jsonBody(await client.post(url, ''))['status']).toBe('invalid');
    expect((await limiter.peek({ limit: 'certificatesPerDomain', subject: 'example.com' })).allowed).toBe(true);
    await client.issue(ca2, [dns('flaky.example.com')]);
    expect((await limiter.peek({ limit: 'certificatesPerDomain', subject: 'example.com' })).allowed).toBe(false);
  });

  it('shares the store-backed limiter between two engine instances on one store', async () => {
    const clock = new FakeClock(START);
    const buckets = new MemoryRateLimitStore();
    const rules: RateLimitRules = { newOrdersPerAccount: { count: 2, periodSeconds: 600 }, newAccountsPerIp: { count: 1, periodSeconds: 600 } };
    const store = new MemoryStore();
    const a = await makeCa({ clock, rateLimiter: createStoreRateLimiter({ rules, clock, store: buckets }) }, store);
    const b = await makeCa({ clock, rateLimiter: createStoreRateLimiter({ rules, clock, store: buckets }) }, store);
    expect((await new TestClient(from(a.server, '192.0.2.1')).register()).status).toBe(201);
    expectLimited(await new TestClient(from(b.server, '192.0.2.1')).register(), 'newAccountsPerIp', 600);
    const onA = new TestClient(a.server);
    await onA.register();
    const onB = new TestClient(b.server, onA.key);
    onB.kid = onA.kid;
    expect((await onA.newOrder([dns('one.example.com')])).status).toBe(201);
    expect((await onB.newOrder([dns('two.example.com')])).status).toBe(201);
    expectLimited(await onA.newOrder([dns('three.example.com')]), 'newOrdersPerAccount', 300);
    expectLimited(await onB.newOrder([dns('three.example.com')]), 'newOrdersPerAccount', 300);
    clock.advance(5 * MINUTE);
    expect((await onB.newOrder([dns('three.example.com')])).status).toBe(201);
    expect((await onA.newOrder([dns('four.example.com')])).status).toBe(429);
  });

  it('shares buckets in the SQLite store (rate_limit_buckets) between two engine instances on it', async () => {
    const clock = new FakeClock(START);
    const store = await openSqlStore({ url: 'sqlite::memory:' });
    try {
      await store.migrate();
      const rules: RateLimitRules = { newOrdersPerAccount: { count: 2, periodSeconds: 600 }, newAccountsPerIp: { count: 1, periodSeconds: 600 } };
      // The core Store is the RateLimitStore: no adapter between the engine's store and the limiter's.
      const a = await makeCa({ clock, rateLimiter: createStoreRateLimiter({ rules, clock, store }) }, store);
      const b = await makeCa({ clock, rateLimiter: createStoreRateLimiter({ rules, clock, store }) }, store);
      expect((await new TestClient(from(a.server, '192.0.2.1')).register()).status).toBe(201);
      expectLimited(await new TestClient(from(b.server, '192.0.2.1')).register(), 'newAccountsPerIp', 600);
      const onA = new TestClient(a.server);
      await onA.register();
      const onB = new TestClient(b.server, onA.key);
      onB.kid = onA.kid;
      expect((await onA.newOrder([dns('one.example.com')])).status).toBe(201);
      expect((await onB.newOrder([dns('two.example.com')])).status).toBe(201);
      expectLimited(await onB.newOrder([dns('three.example.com')]), 'newOrdersPerAccount', 300);
      const rows = await store.db.selectFrom('rate_limit_buckets').select(['key', 'tokens', 'version']).execute();
      expect(rows.some((r) => r.key.includes(onA.kid!.split('/').pop()!) && Number(r.tokens) === 0)).toBe(true);
      clock.advance(5 * MINUTE);
      expect((await onB.newOrder([dns('three.example.com')])).status).toBe(201);
      expect((await onA.newOrder([dns('four.example.com')])).status).toBe(429);
      // Ten minutes after the last take every bucket is full again, and the purge empties the table.
      clock.advance(10 * MINUTE + 1);
      expect(await store.purgeFullBuckets(clock.now().getTime(), 100)).toBe(rows.length);
      expect(await store.db.selectFrom('rate_limit_buckets').select('key').execute()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('limits nothing without a limiter or for limits left unconfigured', async () => {
    const plain = await makeCa();
    const client = new TestClient(plain.server);
    await client.register();
    for (let i = 0; i < 5; i++) expect((await client.newOrder([dns(`n${i}.example.com`)])).status).toBe(201);
    const { ca } = await limitedCa({ newAccountsPerIp: { count: 1, periodSeconds: 60 } });
    const limited = new TestClient(ca.server);
    await limited.register();
    for (let i = 0; i < 5; i++) expect((await limited.newOrder([dns(`n${i}.example.com`)])).status).toBe(201);
  });
});
