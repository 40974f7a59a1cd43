import { afterEach, describe, expect, it } from 'vitest';
import { openSqlStore } from '@certwright/core/sql';
import type { Store } from '@certwright/core';
import { TestClient, URL_OF, dns, jsonBody, makeCa, makeCsr } from './helpers.js';

const opened: Store[] = [];

async function sqliteStore(): Promise<Store> {
  const store = await openSqlStore({ url: 'sqlite::memory:' });
  await store.migrate();
  opened.push(store);
  return store;
}

afterEach(async () => {
  while (opened.length > 0) await opened.pop()!.close();
});

describe('ACME engine over the SQL store (SQLite)', () => {
  it('runs the flow through issuance, download and revocation', async () => {
    const ca = await makeCa({}, await sqliteStore());
    const client = new TestClient(ca.server);
    const { certDer, order } = await client.issue(ca, [dns('sql.example.com'), dns('*.sql.example.com')], 'dns-01');
    expect(order['status']).toBe('valid');
    const page = jsonBody(await client.post(`${client.kid}/orders`, ''));
    expect(page['orders']).toHaveLength(1);
    const res = await client.post(URL_OF.revokeCert, { certificate: Buffer.from(certDer).toString('base64url') });
    expect(res.status).toBe(200);
    const again = await client.post(URL_OF.revokeCert, { certificate: Buffer.from(certDer).toString('base64url') });
    expect(jsonBody(again)['type']).toBe('urn:ietf:params:acme:error:alreadyRevoked');
  });

  it('decides concurrent finalizes and challenge POSTs by compare-and-set', async () => {
    const ca = await makeCa({}, await sqliteStore());
    const a = new TestClient(ca.server);
    await a.register();
    const b = new TestClient(ca.server, a.key);
    b.kid = a.kid;
    const created = jsonBody(await a.newOrder([dns('sqlrace.example.com')]));
    const authzUrl = (created['authorizations'] as string[])[0]!;
    const chall = (jsonBody(await a.post(authzUrl, ''))['challenges'] as { url: string }[])[0]!;
    await Promise.all([a.post(chall.url, {}), b.post(chall.url, {})]);
    await ca.server.drain();
    expect(ca.validators[0]!.calls).toBe(1);
    const { csr } = await makeCsr([dns('sqlrace.example.com')]);
    const payload = { csr: Buffer.from(csr).toString('base64url') };
    await a.post(`${String(created['finalize']).replace('/finalize', '')}`, '');
    const results = await Promise.all([a.post(String(created['finalize']), payload), b.post(String(created['finalize']), payload)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 403]);
    await ca.server.drain();
    expect(ca.writes.filter((w) => w === 'recordIssued')).toHaveLength(1);
  });
});
