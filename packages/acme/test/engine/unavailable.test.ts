import { CertwrightError, MemoryStore, type Store } from '@certwright/core';
import { describe, expect, it } from 'vitest';
import { autoValidValidator } from '../../src/engine/validator.js';
import type { Validator } from '../../src/engine/index.js';
import { TestClient, URL_OF, dns, jsonBody, makeCa, makeCsr } from './helpers.js';

/** An http-01 validator that approves once `release()` is called, and says when a validation has started. */
function heldValidator(): Validator & { started: Promise<void>; release(): void } {
  const base = autoValidValidator('http-01', ['dns', 'ip']);
  let release = (): void => undefined;
  let started = (): void => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const v = {
    type: 'http-01',
    identifierTypes: ['dns', 'ip'] as ('dns' | 'ip')[],
    started: new Promise<void>((r) => (started = r)),
    release: () => release(),
    async validate(input: Parameters<Validator['validate']>[0]) {
      started();
      await gate;
      return base.validate(input);
    },
  };
  return v;
}

/**
 * A MemoryStore whose every method throws the SQL store's "database
 * unreachable" error (503 `unavailable`) while `down` is set.
 */
function storeThatGoesDown(): { store: Store; setDown(down: boolean): void; failNext(method: string, times: number): void } {
  const inner = new MemoryStore();
  let down = false;
  const failures = new Map<string, number>();
  const store = new Proxy(inner, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const left = failures.get(String(property)) ?? 0;
        if (left > 0) failures.set(String(property), left - 1);
        if (down || left > 0) return Promise.reject(new CertwrightError('unavailable', 'The CA cannot reach its database at the moment; retry later', { retryAfterSeconds: 5, cause: new Error('connect ECONNREFUSED') }));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, setDown: (d) => (down = d), failNext: (method, times) => void failures.set(method, times) };
}

describe('ACME engine: while the store is unavailable', () => {
  it('answers newNonce with a 503 serverInternal problem and Retry-After instead of a success without a nonce (RFC 8555 §7.2)', async () => {
    const { store, setDown } = storeThatGoesDown();
    const events: Record<string, unknown>[] = [];
    const ca = await makeCa({ logger: (e) => void events.push(e) }, store);
    setDown(true);
    for (const method of ['HEAD', 'GET']) {
      const res = await ca.server.handle({ method, url: URL_OF.newNonce, headers: {}, body: undefined });
      expect(res.status).toBe(503);
      expect(res.headers['Retry-After']).toBe('5');
      expect(res.headers['Content-Type']).toBe('application/problem+json');
      expect(res.headers['Replay-Nonce']).toBeUndefined();
      if (method === 'GET') expect(jsonBody(res)).toEqual({ type: 'urn:ietf:params:acme:error:serverInternal', status: 503, detail: 'The CA cannot reach its database at the moment; retry later' });
      else expect(res.body).toBeUndefined();
    }
    expect(events.filter((e) => e['event'] === 'acme.request').map((e) => e['status'])).toEqual([503, 503]);
    expect(events.filter((e) => e['event'] === 'acme.nonce.issueFailed').map((e) => e['error'])).toEqual(['connect ECONNREFUSED', 'connect ECONNREFUSED']);
    // The directory needs no database: it is still served, without a nonce.
    const directory = await ca.server.handle({ method: 'GET', url: URL_OF.directory, headers: {}, body: undefined });
    expect(directory.status).toBe(200);
    setDown(false);
    const back = await ca.server.handle({ method: 'HEAD', url: URL_OF.newNonce, headers: {}, body: undefined });
    expect(back.status).toBe(200);
    expect(back.headers['Replay-Nonce']).toMatch(/^[A-Za-z0-9_-]{22,}$/);
  });

  it('answers a POST whose store calls fail with 503 and Retry-After, and serves it again once the store is back', async () => {
    const { store, setDown } = storeThatGoesDown();
    const ca = await makeCa({}, store);
    const client = new TestClient(ca.server);
    await client.register();
    setDown(true);
    const res = await client.post(URL_OF.newOrder, { identifiers: [{ type: 'dns', value: 'down.example.com' }] });
    expect(res.status).toBe(503);
    expect(res.headers['Retry-After']).toBe('5');
    expect(jsonBody(res)).toMatchObject({ type: 'urn:ietf:params:acme:error:serverInternal', status: 503 });
    setDown(false);
    expect((await client.post(URL_OF.newOrder, { identifiers: [{ type: 'dns', value: 'down.example.com' }] })).status).toBe(201);
  });

  it('records a validation that ended while the store was unavailable once the store is back, instead of leaving the challenge processing', async () => {
    const { store, setDown } = storeThatGoesDown();
    const validator = heldValidator();
    const ca = await makeCa({ validators: [validator] }, store);
    const client = new TestClient(ca.server);
    await client.register();
    const order = jsonBody(await client.newOrder([dns('late.example.com')]));
    const authzUrl = (order['authorizations'] as string[])[0]!;
    const authz = jsonBody(await client.post(authzUrl, ''));
    const challenge = (authz['challenges'] as { type: string; url: string }[]).find((c) => c.type === 'http-01')!;
    expect((await client.post(challenge.url, {})).status).toBe(200);
    await validator.started;
    // The database goes away while the validation runs; it ends meanwhile; the database comes back a little later.
    setDown(true);
    validator.release();
    await new Promise((r) => setTimeout(r, 300));
    setDown(false);
    await ca.server.drain();
    client.nonce = undefined;
    expect(jsonBody(await client.post(authzUrl, ''))['status']).toBe('valid');
    expect(jsonBody(await client.post(challenge.url, ''))['status']).toBe('valid');
  });

  it('makes the order of a certificate issued just before the store went away valid once it is back, not invalid or processing', async () => {
    const { store, failNext } = storeThatGoesDown();
    const ca = await makeCa({}, store);
    const client = new TestClient(ca.server);
    const { url, order } = await client.readyOrder(ca, [dns('issued.example.com')]);
    expect(order['status']).toBe('ready');
    const { csr } = await makeCsr([dns('issued.example.com')]);
    // The order's move to valid is the first store call after the certificate is recorded: it fails twice.
    const issue = ca.issuance.issue.bind(ca.issuance);
    ca.issuance.issue = async (prepared) => {
      const issued = await issue(prepared);
      failNext('transitionOrder', 2);
      return issued;
    };
    expect((await client.post(String(order['finalize']), { csr: Buffer.from(csr).toString('base64url') })).status).toBe(200);
    await ca.server.drain();
    const done = jsonBody(await client.post(url, ''));
    expect(done['status']).toBe('valid');
    expect(done['certificate']).toMatch(/\/cert\//);
  });

  it('stops waiting for the store at close()', async () => {
    const { store, setDown } = storeThatGoesDown();
    const validator = heldValidator();
    const ca = await makeCa({ validators: [validator] }, store);
    const client = new TestClient(ca.server);
    await client.register();
    const order = jsonBody(await client.newOrder([dns('closing.example.com')]));
    const authz = jsonBody(await client.post((order['authorizations'] as string[])[0]!, ''));
    await client.post((authz['challenges'] as { type: string; url: string }[]).find((c) => c.type === 'http-01')!.url, {});
    await validator.started;
    setDown(true);
    validator.release();
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await ca.server.close();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
