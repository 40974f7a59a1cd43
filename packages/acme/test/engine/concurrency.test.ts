import { describe, expect, it } from 'vitest';
import { TestClient, dns, jsonBody, makeCa, makeCsr } from './helpers.js';

describe('ACME engine: races are decided by compare-and-set', () => {
  it('two concurrent finalizes produce one certificate; the loser gets orderNotReady', async () => {
    const ca = await makeCa();
    const a = new TestClient(ca.server);
    const { url, order } = await a.readyOrder(ca, [dns('race.example.com')]);
    const b = new TestClient(ca.server, a.key);
    b.kid = a.kid;
    const { csr } = await makeCsr([dns('race.example.com')]);
    const payload = { csr: Buffer.from(csr).toString('base64url') };
    const results = await Promise.all([a.post(String(order['finalize']), payload), b.post(String(order['finalize']), payload)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 403]);
    const loser = results.find((r) => r.status === 403)!;
    expect(jsonBody(loser)['type']).toBe('urn:ietf:params:acme:error:orderNotReady');
    await ca.server.drain();
    expect(ca.writes.filter((w) => w === 'recordIssued')).toHaveLength(1);
    expect(ca.writes.filter((w) => w === 'reserveSerial')).toHaveLength(1);
    expect(jsonBody(await a.post(url, ''))['status']).toBe('valid');
  });

  it('two concurrent challenge POSTs start one validation', async () => {
    const ca = await makeCa();
    const a = new TestClient(ca.server);
    await a.register();
    const created = jsonBody(await a.newOrder([dns('once.example.com')]));
    const authz = jsonBody(await a.post((created['authorizations'] as string[])[0]!, ''));
    const chall = (authz['challenges'] as { url: string; type: string }[]).find((c) => c.type === 'http-01')!;
    const b = new TestClient(ca.server, a.key);
    b.kid = a.kid;
    const results = await Promise.all([a.post(chall.url, {}), b.post(chall.url, {})]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    await ca.server.drain();
    expect(ca.validators.find((v) => v.type === 'http-01')!.calls).toBe(1);
    expect(jsonBody(await a.post(chall.url, ''))['status']).toBe('valid');
  });

  it('reports issuance failure on the order as invalid with the problem', async () => {
    const ca = await makeCa();
    const { CertwrightError } = await import('@certwright/core');
    const broken = await makeCa({
      issuance: { prepare: (r) => ca.issuance.prepare(r), issue: async () => { throw new CertwrightError('serverInternal', 'HSM unavailable'); } },
    });
    const client = new TestClient(broken.server);
    const { url, order } = await client.readyOrder(broken, [dns('broken.example.com')]);
    const { csr } = await makeCsr([dns('broken.example.com')]);
    expect((await client.post(String(order['finalize']), { csr: Buffer.from(csr).toString('base64url') })).status).toBe(200);
    await broken.server.drain();
    const final = jsonBody(await client.post(url, ''));
    expect(final['status']).toBe('invalid');
    expect(final['error']).toMatchObject({ type: 'urn:ietf:params:acme:error:serverInternal', detail: 'HSM unavailable' });
  });
});
