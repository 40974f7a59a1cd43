import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSqlStore } from '@certwright/core/sql';
import { FakeClock, IssuerSet, MINUTE, MemoryStore, createIssuanceEngine, cryptoRandom, defaultProfiles } from '@certwright/core';
import type { IssuanceEngine, PipelineStep, Store } from '@certwright/core';
import { TestClient, dns, jsonBody, makeCa, makeCsr } from './helpers.js';
import type { TestCa } from './helpers.js';

const START = '2026-03-01T00:00:00Z';
const opened: Store[] = [];

afterEach(async () => {
  while (opened.length > 0) await opened.pop()!.close();
});
const never = (): Promise<never> => new Promise<never>(() => {});

interface Crashed {
  store: Store;
  clock: FakeClock;
  client: TestClient;
  orderUrl: string;
  orderId: string;
  crashed: TestCa;
}

/**
 * Finalizes an order on a server whose issuance "crashes" (stops forever,
 * as a killed process would) right after `step`, or before reserving a
 * serial when `step` is `'before'`.
 */
async function crashDuring(step: PipelineStep | 'before', store: Store = new MemoryStore()): Promise<Crashed> {
  const clock = new FakeClock(START);
  const probe = await makeCa({ clock }, store);
  const engine = createIssuanceEngine({
    store: probe.store,
    issuers: new IssuerSet([probe.issuer]),
    profiles: defaultProfiles(),
    clock,
    random: cryptoRandom(),
    onStep: (done) => (done === step ? never() : undefined),
  });
  const issuance: IssuanceEngine = step === 'before' ? { prepare: (r) => engine.prepare(r), issue: never } : engine;
  const crashed = await makeCa({ clock, issuance }, store);
  const client = new TestClient(crashed.server);
  const { url, order } = await client.readyOrder(crashed, [dns(`crash-${step}.example.com`)]);
  const { csr } = await makeCsr([dns(`crash-${step}.example.com`)]);
  const fin = await client.post(String(order['finalize']), { csr: Buffer.from(csr).toString('base64url') });
  expect(fin.status).toBe(200);
  expect(jsonBody(fin)['status']).toBe('processing');
  await vi.waitFor(async () => {
    if (step === 'before') return;
    const records = await store.listCertificatesByState(['reserved', 'planned', 'issued'], { updatedBefore: new Date(clock.now().getTime() + 1), limit: 10 });
    expect(records.length).toBe(1);
    if (step === 'issued') expect(records[0]!.state).toBe('issued');
  });
  return { store, clock, client, orderUrl: url, orderId: url.split('/').pop()!, crashed };
}

/** The server restarted on the same store, the client's account carried over. */
async function restart(c: Crashed, overrides: Parameters<typeof makeCa>[0] = {}): Promise<{ ca: TestCa; client: TestClient }> {
  const ca = await makeCa({ clock: c.clock, ...overrides }, c.store);
  const client = new TestClient(ca.server, c.client.key);
  client.kid = c.client.kid;
  return { ca, client };
}

async function expectInterrupted(client: TestClient, orderUrl: string): Promise<void> {
  const order = jsonBody(await client.post(orderUrl, ''));
  expect(order['status']).toBe('invalid');
  expect(order['error']).toEqual({ type: 'urn:ietf:params:acme:error:serverInternal', detail: 'issuance was interrupted; please finalize a new order', status: 500 });
}

async function expectDownloadable(client: TestClient, orderUrl: string): Promise<void> {
  const order = jsonBody(await client.post(orderUrl, ''));
  expect(order['status']).toBe('valid');
  const cert = await client.post(String(order['certificate']), '');
  expect(cert.status).toBe(200);
  expect(cert.headers['Content-Type']).toBe('application/pem-certificate-chain');
  expect(String(cert.body)).toMatch(/^-----BEGIN CERTIFICATE-----/);
}

/** No validation to take over. */
const NONE = { restarted: [], failed: [] };

describe('ACME engine: recovery of orders interrupted by a crash', () => {
  it.each(['planned', 'signed'] as const)('completes an order whose certificate was planned (crash after %s) from the write-ahead record', async (step) => {
    const crashed = await crashDuring(step);
    crashed.clock.advance(11 * MINUTE);
    const { ca, client } = await restart(crashed);
    const report = await ca.server.recover();
    expect(report).toEqual({ completed: [crashed.orderId], invalidated: [], skipped: [], validations: NONE });
    await expectDownloadable(client, crashed.orderUrl);
  });

  it('completes an order whose certificate was stored as issued before the crash', async () => {
    const crashed = await crashDuring('issued');
    crashed.clock.advance(11 * MINUTE);
    const { ca, client } = await restart(crashed);
    expect((await ca.server.recover()).completed).toEqual([crashed.orderId]);
    await expectDownloadable(client, crashed.orderUrl);
  });

  it('invalidates an order whose serial was only reserved, and burns the serial', async () => {
    const crashed = await crashDuring('reserved');
    const [reserved] = await crashed.store.listCertificatesByState(['reserved'], { updatedBefore: new Date(Date.parse(START) + 1), limit: 5 });
    crashed.clock.advance(11 * MINUTE);
    const { ca, client } = await restart(crashed);
    expect(await ca.server.recover()).toEqual({ completed: [], invalidated: [crashed.orderId], skipped: [], validations: NONE });
    await expectInterrupted(client, crashed.orderUrl);
    expect((await crashed.store.getCertificate(reserved!.serial))?.state).toBe('abandoned');
  });

  it('invalidates an order with no certificate record at all', async () => {
    const crashed = await crashDuring('before');
    crashed.clock.advance(11 * MINUTE);
    const { ca, client } = await restart(crashed);
    expect((await ca.server.recover()).invalidated).toEqual([crashed.orderId]);
    await expectInterrupted(client, crashed.orderUrl);
    // The account can order and finalize again.
    await client.issue(ca, [dns('crash-before.example.com')]);
  });

  it('invalidates a planned order when the issuance engine cannot recover, leaving the record revocable', async () => {
    const crashed = await crashDuring('planned');
    crashed.clock.advance(11 * MINUTE);
    const plain = await makeCa({ clock: crashed.clock }, crashed.store);
    const withoutRecover: IssuanceEngine = { prepare: (r) => plain.issuance.prepare(r), issue: (p) => plain.issuance.issue(p) };
    const { ca, client } = await restart(crashed, { issuance: withoutRecover });
    expect((await ca.server.recover()).invalidated).toEqual([crashed.orderId]);
    await expectInterrupted(client, crashed.orderUrl);
    const records = await crashed.store.listCertificatesByState(['planned'], { updatedBefore: crashed.clock.now(), limit: 5 });
    expect(records.map((r) => r.orderId)).toEqual([crashed.orderId]);
  });

  it('uses a configured lookup and issuance recovery instead of the defaults', async () => {
    const crashed = await crashDuring('planned');
    crashed.clock.advance(11 * MINUTE);
    const lookups: string[] = [];
    const recoveries: Date[] = [];
    const plain = await makeCa({ clock: crashed.clock }, crashed.store);
    const engine = plain.issuance as unknown as { recover: (o: { updatedBefore: Date }) => Promise<unknown> };
    const { ca, client } = await restart(crashed, {
      recovery: {
        findCertificateByOrder: async (orderId) => {
          lookups.push(orderId);
          const records = await crashed.store.listCertificatesByState(['planned'], { updatedBefore: crashed.clock.now(), limit: 5 });
          return records.find((r) => r.orderId === orderId);
        },
        issuance: {
          recover: async (options) => {
            recoveries.push(options.updatedBefore);
            return engine.recover(options) as never;
          },
        },
      },
    });
    expect((await ca.server.recover()).completed).toEqual([crashed.orderId]);
    expect(lookups).toEqual([crashed.orderId]);
    expect(recoveries).toHaveLength(1);
    await expectDownloadable(client, crashed.orderUrl);
  });

  it('leaves orders processing for less than the timeout, and those this process is issuing', async () => {
    const crashed = await crashDuring('planned');
    crashed.clock.advance(9 * MINUTE);
    const { ca } = await restart(crashed);
    expect(await ca.server.recover()).toEqual({ completed: [], invalidated: [], skipped: [], validations: NONE });
    crashed.clock.advance(2 * MINUTE);
    expect(await crashed.crashed.server.recover()).toEqual({ completed: [], invalidated: [], skipped: [crashed.orderId], validations: NONE });
    const { ca: shortTimeout } = await restart(crashed, { recovery: { processingTimeoutMs: 60_000 } });
    expect((await shortTimeout.server.recover()).completed).toEqual([crashed.orderId]);
    // A second run finds nothing left.
    expect(await ca.server.recover()).toEqual({ completed: [], invalidated: [], skipped: [], validations: NONE });
  });

  it('takes every order processing before updatedBefore when a run gives it, timeout or not', async () => {
    const crashed = await crashDuring('planned');
    crashed.clock.advance(1000);
    const { ca, client } = await restart(crashed);
    expect(await ca.server.recover({ updatedBefore: new Date(Date.parse(START)) })).toEqual({ completed: [], invalidated: [], skipped: [], validations: NONE });
    expect(await ca.server.recover({ updatedBefore: crashed.clock.now() })).toEqual({ completed: [crashed.orderId], invalidated: [], skipped: [], validations: NONE });
    await expectDownloadable(client, crashed.orderUrl);
  });

  it('runs periodically when started, and stops on close', async () => {
    const crashed = await crashDuring('issued');
    crashed.clock.advance(11 * MINUTE);
    const { ca, client } = await restart(crashed);
    ca.server.startRecovery({ intervalMs: 5 });
    expect(() => ca.server.startRecovery({ intervalMs: 5 })).toThrow(/already running/);
    await vi.waitFor(async () => expect((await crashed.store.getOrder(crashed.orderId))?.status).toBe('valid'), { timeout: 2000, interval: 10 });
    await expectDownloadable(client, crashed.orderUrl);
    await ca.server.close();
    expect(() => ca.server.startRecovery({ intervalMs: 0 })).toThrow(/intervalMs must be a positive number/);
  });

  it('completes and invalidates interrupted orders over the SQL store (SQLite)', async () => {
    for (const [step, outcome] of [['planned', 'completed'], ['reserved', 'invalidated']] as const) {
      const store = await openSqlStore({ url: 'sqlite::memory:' });
      await store.migrate();
      opened.push(store);
      const crashed = await crashDuring(step, store);
      crashed.clock.advance(11 * MINUTE);
      const { ca, client } = await restart(crashed);
      expect((await ca.server.recover())[outcome]).toEqual([crashed.orderId]);
      if (outcome === 'completed') await expectDownloadable(client, crashed.orderUrl);
      else await expectInterrupted(client, crashed.orderUrl);
    }
  });

  it('refuses invalid recovery options', async () => {
    await expect(makeCa({ recovery: { processingTimeoutMs: 0 } })).rejects.toThrow(/recovery.processingTimeoutMs must be a positive number/);
    await expect(makeCa({ recovery: { batchSize: 1.5 } })).rejects.toThrow(/recovery.batchSize must be a positive integer/);
  });
});
