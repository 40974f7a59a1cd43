import { FlattenedSign } from 'jose';
import { describe, expect, it } from 'vitest';
import type { PublicJwk } from '@certwright/core';
import { TestClient, URL_OF, dns, jsonBody, makeCa, newKey, sign } from './helpers.js';
import type { ClientKey, TestCa } from './helpers.js';

const HMAC = new Uint8Array(32).fill(7);

async function eabFor(jwk: PublicJwk, keyId: string, hmac: Uint8Array = HMAC): Promise<unknown> {
  const jws = await new FlattenedSign(new TextEncoder().encode(JSON.stringify(jwk))).setProtectedHeader({ alg: 'HS256', kid: keyId, url: URL_OF.newAccount }).sign(hmac);
  return { protected: jws.protected, payload: jws.payload, signature: jws.signature };
}

async function withEabKey(ca: TestCa, keyId: string): Promise<void> {
  await ca.store.createEabKey({ keyId, hmacKey: HMAC, createdAt: ca.clock.now() });
}

async function keyChangeBody(client: TestClient, newKeyPair: ClientKey): Promise<unknown> {
  return sign(newKeyPair, { jwk: newKeyPair.jwk, url: URL_OF.keyChange }, { account: client.kid, oldKey: client.key.jwk });
}

describe('ACME engine: accounts (RFC 8555 §7.3)', () => {
  it('returns the existing account with 200 and Location for a known key, and honours onlyReturnExisting', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const first = await client.register();
    expect(first.status).toBe(201);
    const again = await client.post(URL_OF.newAccount, { termsOfServiceAgreed: true }, { useJwk: true });
    expect(again.status).toBe(200);
    expect(again.headers['Location']).toBe(first.headers['Location']);
    const lookup = await client.post(URL_OF.newAccount, { onlyReturnExisting: true }, { useJwk: true });
    expect(lookup.status).toBe(200);
    expect(lookup.headers['Location']).toBe(first.headers['Location']);

    const stranger = new TestClient(ca.server);
    const missing = await stranger.post(URL_OF.newAccount, { onlyReturnExisting: true }, { useJwk: true });
    expect(missing.status).toBe(400);
    expect(jsonBody(missing)).toMatchObject({ type: 'urn:ietf:params:acme:error:accountDoesNotExist' });
    expect(String(jsonBody(missing)['detail'])).toMatch(/onlyReturnExisting/);
  });

  it('requires agreement to the terms of service when the directory advertises them', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const res = await client.register({ contact: ['mailto:a@example.com'] });
    expect(res.status).toBe(400);
    expect(jsonBody(res)).toMatchObject({ type: 'urn:ietf:params:acme:error:malformed' });
    expect(String(jsonBody(res)['detail'])).toMatch(/terms of service.*termsOfServiceAgreed/);
    const noTerms = await makeCa({ meta: {} });
    expect((await new TestClient(noTerms.server).register({})).status).toBe(201);
  });

  it('accepts one mailto: address per contact and refuses other schemes, hfields and several addresses', async () => {
    const ca = await makeCa();
    const cases: [unknown, string, RegExp][] = [
      [['tel:+1555'], 'unsupportedContact', /"tel:\+1555" is not a mailto: URL/],
      [['mailto:a@example.com?subject=hi'], 'invalidContact', /header fields/],
      [['mailto:a@example.com,b@example.com'], 'invalidContact', /more than one address/],
      [['mailto:not-an-address'], 'invalidContact', /not a valid email address/],
      ['mailto:a@example.com', 'invalidContact', /must be an array/],
    ];
    for (const [contact, type, detail] of cases) {
      const res = await new TestClient(ca.server).register({ termsOfServiceAgreed: true, contact });
      expect(res.status).toBe(400);
      expect(jsonBody(res)['type']).toBe(`urn:ietf:params:acme:error:${type}`);
      expect(String(jsonBody(res)['detail'])).toMatch(detail);
    }
    const ok = await new TestClient(ca.server).register({ termsOfServiceAgreed: true, contact: ['MAILTO:ops@example.com'] });
    expect(jsonBody(ok)['contact']).toEqual(['mailto:ops@example.com']);
  });

  it('updates contacts and deactivates; a deactivated account is then refused everywhere', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    await client.register();
    const updated = await client.post(client.kid!, { contact: ['mailto:new@example.com'] });
    expect(updated.status).toBe(200);
    expect(jsonBody(updated)['contact']).toEqual(['mailto:new@example.com']);
    const bad = await client.post(client.kid!, { status: 'revoked' });
    expect(bad.status).toBe(400);
    expect(String(jsonBody(bad)['detail'])).toMatch(/only be set to "deactivated"/);
    const gone = await client.post(client.kid!, { status: 'deactivated' });
    expect(gone.status).toBe(200);
    expect(jsonBody(gone)['status']).toBe('deactivated');
    const order = await client.newOrder([dns('x.example.com')]);
    // RFC 8555 §7.3.6: 401, not the 403 of a request the account may not make.
    expect(order.status).toBe(401);
    expect(jsonBody(order)).toMatchObject({ type: 'urn:ietf:params:acme:error:unauthorized', status: 401 });
    expect(String(jsonBody(order)['detail'])).toMatch(/deactivated/);
    const viaJwk = await client.post(URL_OF.newAccount, { termsOfServiceAgreed: true }, { useJwk: true });
    expect(viaJwk.status).toBe(401);
    expect(String(jsonBody(viaJwk)['detail'])).toMatch(/deactivated/);
  });

  it('cancels the pending and ready orders of a deactivated account, and their pending authorizations (RFC 8555 §7.3.6)', async () => {
    // Pages of two orders, so the cancellation walks several.
    const ca = await makeCa({ ordersPageSize: 2 });
    const client = new TestClient(ca.server);
    await client.register();
    const issued = await client.issue(ca, [dns('valid.example.com')]);
    const ready = await client.readyOrder(ca, [dns('ready.example.com')]);
    const pendingRes = await client.newOrder([dns('pending.example.com'), dns('www.pending.example.com')]);
    expect(pendingRes.status).toBe(201);
    const orderId = (url: string): string => url.slice(url.lastIndexOf('/') + 1);
    const pendingId = orderId(String(pendingRes.headers['Location']));
    const more = await Promise.all([1, 2, 3].map((i) => client.newOrder([dns(`more${i}.example.com`)])));
    const other = new TestClient(ca.server);
    const othersOrder = await other.readyOrder(ca, [dns('other.example.com')]);

    expect((await client.post(client.kid!, { status: 'deactivated' })).status).toBe(200);
    await ca.server.drain();

    const pending = (await ca.store.getOrder(pendingId))!;
    expect(pending.status).toBe('invalid');
    expect(pending.error).toMatchObject({ type: 'urn:ietf:params:acme:error:unauthorized', status: 403, detail: expect.stringMatching(/account that placed this order was deactivated/) });
    for (const id of pending.authorizationIds) expect((await ca.store.getAuthorization(id))?.status).toBe('deactivated');
    const readyOrder = (await ca.store.getOrder(orderId(ready.url)))!;
    expect(readyOrder.status).toBe('invalid');
    // Its authorization was already valid: it stays so (and no other account can use it).
    for (const id of readyOrder.authorizationIds) expect((await ca.store.getAuthorization(id))?.status).toBe('valid');
    expect((await ca.store.getOrder(orderId(issued.orderUrl)))?.status).toBe('valid');
    for (const res of more) expect((await ca.store.getOrder(orderId(String(res.headers['Location']))))?.status).toBe('invalid');
    // Another account's order is untouched.
    expect((await ca.store.getOrder(orderId(othersOrder.url)))?.status).toBe('ready');
  });

  it('accepts EdDSA account keys only when allowEdDsa is set', async () => {
    const off = await makeCa();
    const refused = await new TestClient(off.server, newKey('EdDSA')).register();
    expect(refused.status).toBe(400);
    expect(jsonBody(refused)['type']).toBe('urn:ietf:params:acme:error:badSignatureAlgorithm');
    expect(jsonBody(refused)['algorithms']).not.toContain('EdDSA');
    const on = await makeCa({ allowEdDsa: true });
    const client = new TestClient(on.server, newKey('EdDSA'));
    expect((await client.register()).status).toBe(201);
    expect((await client.newOrder([dns('ed.example.com')])).status).toBe(201);
  });

  it("refuses to serve or change another account's URL", async () => {
    const ca = await makeCa();
    const a = new TestClient(ca.server);
    const b = new TestClient(ca.server);
    await a.register();
    await b.register();
    const res = await b.post(a.kid!, '');
    expect(res.status).toBe(403);
    expect(String(jsonBody(res)['detail'])).toMatch(/account URL does not belong/);
  });

  describe('External Account Binding (RFC 8555 §7.3.4)', () => {
    it('requires a binding when externalAccountRequired is set', async () => {
      const ca = await makeCa({ meta: { externalAccountRequired: true } });
      const client = new TestClient(ca.server);
      const res = await client.register({ termsOfServiceAgreed: true });
      expect(res.status).toBe(400);
      expect(jsonBody(res)).toMatchObject({ type: 'urn:ietf:params:acme:error:externalAccountRequired' });
      await withEabKey(ca, 'kid-1');
      const ok = await client.register({ termsOfServiceAgreed: true, externalAccountBinding: await eabFor(client.key.jwk, 'kid-1') });
      expect(ok.status).toBe(201);
      const key = await ca.store.getEabKey('kid-1');
      expect(key?.boundAccountId).toBe(String(ok.headers['Location']).split('/').pop());
    });

    it('accepts accounts with or without a binding when it is optional, but verifies one that is sent', async () => {
      const ca = await makeCa();
      await withEabKey(ca, 'opt');
      expect((await new TestClient(ca.server).register()).status).toBe(201);
      const c = new TestClient(ca.server);
      const wrongMac = await c.register({ termsOfServiceAgreed: true, externalAccountBinding: await eabFor(c.key.jwk, 'opt', new Uint8Array(32).fill(9)) });
      expect(wrongMac.status).toBe(403);
      expect(String(jsonBody(wrongMac)['detail'])).toMatch(/MAC does not verify/);
      const ok = await c.register({ termsOfServiceAgreed: true, externalAccountBinding: await eabFor(c.key.jwk, 'opt') });
      expect(ok.status).toBe(201);
    });

    it('binds a key at most once', async () => {
      const ca = await makeCa({ meta: { externalAccountRequired: true } });
      await withEabKey(ca, 'once');
      const a = new TestClient(ca.server);
      expect((await a.register({ termsOfServiceAgreed: true, externalAccountBinding: await eabFor(a.key.jwk, 'once') })).status).toBe(201);
      const b = new TestClient(ca.server);
      const res = await b.register({ termsOfServiceAgreed: true, externalAccountBinding: await eabFor(b.key.jwk, 'once') });
      expect(res.status).toBe(403);
      expect(jsonBody(res)).toMatchObject({ type: 'urn:ietf:params:acme:error:unauthorized' });
      expect(String(jsonBody(res)['detail'])).toMatch(/"once" is already bound/);
    });

    it('binds once even when two accounts race for the same key', async () => {
      const ca = await makeCa({ meta: { externalAccountRequired: true } });
      await withEabKey(ca, 'race');
      const clients = [new TestClient(ca.server), new TestClient(ca.server)];
      const results = await Promise.all(clients.map(async (c) => c.register({ termsOfServiceAgreed: true, externalAccountBinding: await eabFor(c.key.jwk, 'race') })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 403]);
    });
  });

  describe('orders list (RFC 8555 §7.1.2.1)', () => {
    it('pages with Link rel="next" and only for the owner', async () => {
      const ca = await makeCa({ ordersPageSize: 2 });
      const client = new TestClient(ca.server);
      await client.register();
      const created: string[] = [];
      for (const name of ['a', 'b', 'c', 'd', 'e']) created.push(String((await client.newOrder([dns(`${name}.example.com`)])).headers['Location']));
      const account = jsonBody(await client.post(client.kid!, ''));
      let url: string | undefined = String(account['orders']);
      const seen: string[] = [];
      let pages = 0;
      while (url !== undefined) {
        const res = await client.post(url, '');
        expect(res.status).toBe(200);
        pages++;
        seen.push(...(jsonBody(res)['orders'] as string[]));
        const next = (res.headers['Link'] as string[]).find((l) => l.endsWith('rel="next"'));
        url = next === undefined ? undefined : /^<([^>]+)>/.exec(next)![1];
      }
      expect(pages).toBe(3);
      expect(seen.sort()).toEqual([...created].sort());

      const other = new TestClient(ca.server);
      await other.register();
      const res = await other.post(String(account['orders']), '');
      expect(res.status).toBe(403);
      expect(String(jsonBody(res)['detail'])).toMatch(/orders list does not belong/);
    });
  });

  describe('keyChange (RFC 8555 §7.3.5)', () => {
    it('rolls the account key over; the old key no longer works and the new one does', async () => {
      const ca = await makeCa();
      const client = new TestClient(ca.server);
      await client.register();
      const next = newKey('ES256');
      const res = await client.post(URL_OF.keyChange, await keyChangeBody(client, next));
      expect(res.status).toBe(200);
      const old = await client.newOrder([dns('k.example.com')]);
      expect(old.status).toBe(400);
      expect(String(jsonBody(old)['detail'])).toMatch(/signature/i);
      client.key = next;
      expect((await client.newOrder([dns('k.example.com')])).status).toBe(201);
      const lookup = await client.post(URL_OF.newAccount, { onlyReturnExisting: true }, { useJwk: true });
      expect(lookup.headers['Location']).toBe(client.kid);
    });

    it('refuses a new key that already belongs to another account with 409 and that account’s Location', async () => {
      const ca = await makeCa();
      const a = new TestClient(ca.server);
      const b = new TestClient(ca.server);
      await a.register();
      await b.register();
      const res = await a.post(URL_OF.keyChange, await keyChangeBody(a, b.key));
      expect(res.status).toBe(409);
      expect(res.headers['Location']).toBe(b.kid);
      expect(String(jsonBody(res)['detail'])).toMatch(/already belongs to an account/);
    });

    it('refuses the current key as the new key', async () => {
      const ca = await makeCa();
      const a = new TestClient(ca.server);
      await a.register();
      const res = await a.post(URL_OF.keyChange, await keyChangeBody(a, a.key));
      expect(res.status).toBe(400);
      expect(String(jsonBody(res)['detail'])).toMatch(/same as the current account key/);
    });
  });
});
