import { describe, expect, it } from 'vitest';
import { memoryLogger } from '@certwright/core';
import { TestClient, URL_OF, dns, jsonBody, makeCa, makeCsr } from './helpers.js';

describe('ACME engine: lifecycle and state rules', () => {
  it('fails a validation that exceeds the timeout with a connection problem', async () => {
    const hanging = { type: 'http-01', identifierTypes: ['dns' as const], validate: () => new Promise<never>(() => {}) };
    const ca = await makeCa({ validators: [hanging], validationTimeoutMs: 20 });
    const client = new TestClient(ca.server);
    await client.register();
    const order = jsonBody(await client.newOrder([dns('slow.example.com')]));
    const authzUrl = (order['authorizations'] as string[])[0]!;
    const chall = (jsonBody(await client.post(authzUrl, ''))['challenges'] as { url: string }[])[0]!;
    await client.post(chall.url, {});
    await ca.server.drain();
    const view = jsonBody(await client.post(chall.url, ''));
    expect(view['status']).toBe('invalid');
    expect(view['error']).toMatchObject({ type: 'urn:ietf:params:acme:error:connection' });
    expect(String((view['error'] as { detail: string }).detail)).toMatch(/slow\.example\.com did not finish within 20 ms/);
  });

  it('deactivates a valid authorization; it is not reused and its ready order can no longer be finalized', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const { order } = await client.readyOrder(ca, [dns('deact.example.com')]);
    const authzUrl = (order['authorizations'] as string[])[0]!;
    const res = await client.post(authzUrl, { status: 'deactivated' });
    expect(res.status).toBe(200);
    expect(jsonBody(res)['status']).toBe('deactivated');
    const again = await client.post(authzUrl, { status: 'deactivated' });
    expect(again.status).toBe(400);
    expect(String(jsonBody(again)['detail'])).toMatch(/is deactivated and cannot be deactivated/);
    const { csr } = await makeCsr([dns('deact.example.com')]);
    const fin = await client.post(String(order['finalize']), { csr: Buffer.from(csr).toString('base64url') });
    expect(fin.status).toBe(403);
    expect(String(jsonBody(fin)['detail'])).toMatch(/no longer valid for: deact\.example\.com \(deactivated\)/);
    const next = jsonBody(await client.newOrder([dns('deact.example.com')]));
    expect(next['status']).toBe('pending');
    expect(next['authorizations']).not.toEqual([authzUrl]);
  });

  it('refuses to start validation on a challenge whose authorization was deactivated', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    await client.register();
    const order = jsonBody(await client.newOrder([dns('gone.example.com')]));
    const authzUrl = (order['authorizations'] as string[])[0]!;
    const chall = (jsonBody(await client.post(authzUrl, ''))['challenges'] as { url: string }[])[0]!;
    await client.post(authzUrl, { status: 'deactivated' });
    const res = await client.post(chall.url, {});
    expect(res.status).toBe(400);
    expect(String(jsonBody(res)['detail'])).toMatch(/authorization is deactivated/);
    expect(ca.validators[0]!.calls).toBe(0);
  });

  it('invalidates a pending order past its expiry, with the reason in its error', async () => {
    const ca = await makeCa({ lifetimes: { order: 60_000, authorization: 30 * 86400_000, pendingAuthorization: 7 * 86400_000, nonce: 86400_000 } });
    const client = new TestClient(ca.server);
    await client.register();
    const created = await client.newOrder([dns('expire.example.com')]);
    expect(new Date(String(jsonBody(created)['expires'])).getTime()).toBe(ca.clock.now().getTime() + 60_000);
    ca.clock.advance(60_000);
    const order = jsonBody(await client.post(String(created.headers['Location']), ''));
    expect(order['status']).toBe('invalid');
    expect(String((order['error'] as { detail: string }).detail)).toMatch(/expired before it was finalized/);
  });

  it('shows a processing order with Retry-After while issuance runs', async () => {
    const ca = await makeCa();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const slow = await makeCa({ issuance: { prepare: (r) => ca.issuance.prepare(r), issue: async (p) => { await gate; return ca.issuance.issue(p); } } });
    const client = new TestClient(slow.server);
    const { url, order } = await client.readyOrder(slow, [dns('slowissue.example.com')]);
    const { csr } = await makeCsr([dns('slowissue.example.com')]);
    await client.post(String(order['finalize']), { csr: Buffer.from(csr).toString('base64url') });
    const mid = await client.post(url, '');
    expect(jsonBody(mid)['status']).toBe('processing');
    expect(mid.headers['Retry-After']).toBe('3');
    release();
    await slow.server.drain();
    const done = await client.post(url, '');
    expect(jsonBody(done)['status']).toBe('valid');
    expect(done.headers['Retry-After']).toBeUndefined();
  });

  it('answers HEAD on the directory without a body', async () => {
    const ca = await makeCa();
    const res = await ca.server.handle({ method: 'HEAD', url: URL_OF.directory, headers: {}, body: undefined });
    expect(res.status).toBe(200);
    expect(res.body).toBeUndefined();
    expect(res.headers['Replay-Nonce']).toBeDefined();
  });

  it('answers 404 for an alternate chain that does not exist', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const { certUrl } = await client.issue(ca, [dns('alt.example.com')]);
    const res = await client.post(`${certUrl}/2`, '');
    expect(res.status).toBe(404);
    expect(String(jsonBody(res)['detail'])).toMatch(/No such alternate chain/);
  });

  it('logs one acme.request event per request with status, resource and problem', async () => {
    const logger = memoryLogger();
    const ca = await makeCa({ logger });
    await ca.server.handle({ method: 'GET', url: `${URL_OF.directory}x`, headers: {}, body: undefined });
    await ca.server.handle({ method: 'GET', url: URL_OF.directory, headers: {}, body: undefined });
    const requests = logger.events.filter((e) => e.event === 'acme.request');
    expect(requests).toEqual([
      expect.objectContaining({ status: 404, problem: 'urn:ietf:params:acme:error:malformed', method: 'GET' }),
      expect.objectContaining({ status: 200, resource: 'directory' }),
    ]);
  });

  it('hides internal error messages from clients and logs them', async () => {
    const logger = memoryLogger();
    const broken = await makeCa({ logger, meta: { get termsOfService(): string { throw new Error('secret internals'); } } as never });
    const res = await broken.server.handle({ method: 'GET', url: URL_OF.directory, headers: {}, body: undefined });
    expect(res.status).toBe(500);
    expect(jsonBody(res)).toMatchObject({ type: 'urn:ietf:params:acme:error:serverInternal', detail: 'The server experienced an internal error' });
    expect(String(res.body)).not.toMatch(/secret/);
    expect(logger.events).toContainEqual(expect.objectContaining({ event: 'acme.request.internalError', error: expect.stringMatching(/secret internals/) }));
  });

  it('close() waits for background work and then refuses requests', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    await client.register();
    const order = jsonBody(await client.newOrder([dns('close.example.com')]));
    const chall = (jsonBody(await client.post((order['authorizations'] as string[])[0]!, ''))['challenges'] as { url: string }[])[0]!;
    await client.post(chall.url, {});
    await ca.server.close();
    expect(ca.validators[0]!.calls).toBe(1);
    expect(ca.writes).toContain('transitionAuthorization');
    const res = await ca.server.handle({ method: 'GET', url: URL_OF.directory, headers: {}, body: undefined });
    expect(res.status).toBe(500);
    expect(String(jsonBody(res)['detail'])).toMatch(/shutting down/);
  });
});

describe('ACME engine: errors raised by injected policy', () => {
  it('turns a rateLimited error into 429 with Retry-After', async () => {
    const { CertwrightError, createIdentifierPolicy } = await import('@certwright/core');
    const policy = createIdentifierPolicy({
      extraCheck: async (id) => {
        if (id.value === 'busy.example.com') throw new CertwrightError('rateLimited', 'Too many orders for busy.example.com', { retryAfterSeconds: 120 });
      },
    });
    const ca = await makeCa({ identifierPolicy: policy });
    const client = new TestClient(ca.server);
    await client.register();
    const res = await client.newOrder([dns('busy.example.com')]);
    expect(res.status).toBe(429);
    expect(res.headers['Retry-After']).toBe('120');
    expect(jsonBody(res)).toMatchObject({ type: 'urn:ietf:params:acme:error:rateLimited', detail: 'Too many orders for busy.example.com' });
  });
});
