import { X509Certificate } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine, testHierarchy } from './engine.js';
import { HttpAcmeClient, csrFor, json, send } from './http-client.js';
import type { HttpResult } from './http-client.js';
import type { AdapterFactory, RunningAdapter, TestEngine } from './servers.js';

const ERR = 'urn:ietf:params:acme:error:';
const BODY_LIMIT = 4096;

function expectEngineHeaders(res: HttpResult, baseUrl: string): void {
  expect(res.headers.get('replay-nonce')).toMatch(/^[A-Za-z0-9_-]{22,}$/);
  expect(res.headers.get('link')).toContain(`<${baseUrl}/directory>;rel="index"`);
  expect(res.headers.get('cache-control')).toBe('no-store');
}

function expectProblem(res: HttpResult, status: number, type: string, detail?: RegExp): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const doc = json(res);
  expect(doc['type']).toBe(ERR + type);
  expect(doc['status']).toBe(status);
  if (detail !== undefined) expect(String(doc['detail'])).toMatch(detail);
}

/** Sends a raw request with node:http, so that headers fetch refuses (Host) can be set. */
function rawRequest(url: string, method: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The adapter conformance suite (ARCHITECTURE.md "Tests"): the same
 * requests over real HTTP must give the same statuses, problem types and
 * headers whichever adapter carries them, because routing, problems and
 * nonces are the engine's.
 */
export function adapterConformance(name: string, start: AdapterFactory): void {
  describe(`adapter conformance: ${name}`, () => {
    let running: RunningAdapter;
    let base: string;

    beforeAll(async () => {
      await testHierarchy();
      running = await start((baseUrl) => testEngine(baseUrl), { bodyLimit: BODY_LIMIT });
      base = running.baseUrl;
    });
    afterAll(async () => {
      await running.close();
    });

    it('GET directory: 200 JSON listing every resource under the base URL, with nonce, index link and no-store', async () => {
      const res = await send(`${base}/directory`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expectEngineHeaders(res, base);
      expect(json(res)).toMatchObject({ newNonce: `${base}/new-nonce`, newAccount: `${base}/new-account`, newOrder: `${base}/new-order`, revokeCert: `${base}/revoke-cert` });
      expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(res.text)));
    });

    it('newNonce: HEAD 200 and GET 204, both empty with Cache-Control no-store and distinct nonces (RFC 8555 §7.2)', async () => {
      const head = await send(`${base}/new-nonce`, { method: 'HEAD' });
      const get = await send(`${base}/new-nonce`);
      expect(head.status).toBe(200);
      expect(get.status).toBe(204);
      expectEngineHeaders(head, base);
      expectEngineHeaders(get, base);
      expect(head.text).toBe('');
      expect(get.text).toBe('');
      expect(head.headers.get('replay-nonce')).not.toBe(get.headers.get('replay-nonce'));
    });

    it('HEAD where GET is allowed: same status and headers as GET, no body; HEAD where only POST is: 405 with Allow', async () => {
      const head = await send(`${base}/directory`, { method: 'HEAD' });
      const get = await send(`${base}/directory`);
      expect(head.status).toBe(200);
      expect(head.text).toBe('');
      expect(head.headers.get('content-type')).toBe(get.headers.get('content-type'));
      expectEngineHeaders(head, base);
      expect(get.text.length).toBeGreaterThan(0);
      const post = await send(`${base}/new-order`, { method: 'HEAD' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('POST');
      expect(post.text).toBe('');
      expectEngineHeaders(post, base);
    });

    it('POST with a content type other than application/jose+json: 415 malformed problem with a nonce', async () => {
      const res = await send(`${base}/new-account`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ protected: 'x', payload: 'y', signature: 'z' }) });
      expectProblem(res, 415, 'malformed', /application\/jose\+json/);
      expectEngineHeaders(res, base);
      const form = await send(`${base}/new-account`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b' });
      expectProblem(form, 415, 'malformed');
    });

    it('a body over the limit is refused with a 413 problem naming the limit, declared or streamed', async () => {
      const big = 'x'.repeat(BODY_LIMIT + 1);
      const declared = await send(`${base}/new-account`, { method: 'POST', headers: { 'content-type': 'application/jose+json' }, body: big });
      expectProblem(declared, 413, 'malformed', new RegExp(`limit of ${BODY_LIMIT} bytes`));
      expectEngineHeaders(declared, base);
      const chunk = new TextEncoder().encode('y'.repeat(1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= BODY_LIMIT * 4) controller.close();
          else {
            sent += chunk.length;
            controller.enqueue(chunk);
          }
        },
      });
      const streamed = await send(`${base}/new-order`, { method: 'POST', headers: { 'content-type': 'application/jose+json' }, body: stream, duplex: 'half' } as RequestInit);
      expectProblem(streamed, 413, 'malformed', new RegExp(`limit of ${BODY_LIMIT} bytes`));
      const after = await send(`${base}/directory`);
      expect(after.status).toBe(200);
    });

    it('a body of exactly the limit reaches the engine (which finds the JWS malformed)', async () => {
      const res = await send(`${base}/new-account`, { method: 'POST', headers: { 'content-type': 'application/jose+json' }, body: ' '.repeat(BODY_LIMIT) });
      expectProblem(res, 400, 'malformed');
      expectEngineHeaders(res, base);
    });

    it('unknown path under the base URL (the bare prefix included): 404 malformed problem', async () => {
      for (const path of ['', '/', '/nope', '/acct/abc/extra/deep', '/directory?x=1']) {
        const res = await send(`${base}${path}`);
        expectProblem(res, 404, 'malformed');
        expectEngineHeaders(res, base);
      }
    });

    it('wrong method: 405 malformed problem with Allow', async () => {
      const put = await send(`${base}/new-order`, { method: 'PUT', headers: { 'content-type': 'application/jose+json' }, body: '{}' });
      expectProblem(put, 405, 'malformed', /PUT/);
      expect(put.headers.get('allow')).toBe('POST');
      const del = await send(`${base}/new-nonce`, { method: 'DELETE' });
      expectProblem(del, 405, 'malformed');
      expect(del.headers.get('allow')).toBe('HEAD, GET');
      const get = await send(`${base}/new-account`);
      expectProblem(get, 405, 'malformed');
    });

    it('a forged Host header changes neither the URLs handed out nor the URL the JWS is checked against', async () => {
      const forged = await rawRequest(`${base}/directory`, 'GET', { host: 'evil.example' });
      expect(forged.status).toBe(200);
      expect(JSON.parse(forged.text)).toMatchObject({ newAccount: `${base}/new-account` });
      const client = new HttpAcmeClient(`${base}/directory`);
      const body = await client.jws(`${base}/new-account`, { termsOfServiceAgreed: true }, true);
      const created = await rawRequest(`${base}/new-account`, 'POST', { host: 'evil.example', 'content-type': 'application/jose+json' }, body);
      expect(created.status).toBe(201);
      expect(created.headers['location']).toMatch(new RegExp(`^${base}/acct/`));
    });

    it('full issuance with JWS-signed requests: account, order for two names, challenges, finalize, certificate, revocation', async () => {
      const client = new HttpAcmeClient(`${base}/directory`);
      const acct = await client.register();
      expect(acct.status).toBe(201);
      expect(acct.headers.get('content-type')).toBe('application/json');
      expectEngineHeaders(acct, base);
      expect(client.kid).toMatch(new RegExp(`^${base}/acct/`));
      expect((await client.register()).status).toBe(200);

      const identifiers = [{ type: 'dns', value: 'a.example.com' }, { type: 'dns', value: 'b.example.com' }] as const;
      const created = await client.post(await client.resource('newOrder'), { identifiers });
      expect(created.status).toBe(201);
      const orderUrl = created.headers.get('location') ?? '';
      expect(orderUrl).toMatch(new RegExp(`^${base}/order/`));
      const order = json(created);
      const authzUrls = order['authorizations'] as string[];
      expect(authzUrls).toHaveLength(2);

      for (const authzUrl of authzUrls) {
        const authz = json(await client.post(authzUrl, ''));
        const challenge = (authz['challenges'] as { type: string; url: string }[]).find((c) => c.type === 'http-01')!;
        const started = await client.post(challenge.url, {});
        expect(started.status).toBe(200);
        expect(started.headers.get('link')).toContain(`<${authzUrl}>;rel="up"`);
        expect(json(started)['status']).toBe('processing');
        expect(started.headers.get('retry-after')).toBe('1');
      }
      await client.poll(orderUrl, (o) => o['status'] === 'ready');

      const { csr } = await csrFor([...identifiers]);
      const fin = await client.post(String(order['finalize']), { csr });
      expect(fin.status).toBe(200);
      expect(fin.headers.get('location')).toBe(orderUrl);
      expect(json(fin)['status']).toBe('processing');
      expect(fin.headers.get('retry-after')).toBe('1');
      const valid = await client.poll(orderUrl, (o) => o['status'] === 'valid');

      const cert = await client.post(String(valid['certificate']), '');
      expect(cert.status).toBe(200);
      expect(cert.headers.get('content-type')).toBe('application/pem-certificate-chain');
      expectEngineHeaders(cert, base);
      const blocks = cert.text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      expect(blocks).toHaveLength(2);
      const leaf = new X509Certificate(blocks[0]!);
      const issuing = new X509Certificate(blocks[1]!);
      const { root } = await testHierarchy();
      expect(leaf.subjectAltName).toBe('DNS:a.example.com, DNS:b.example.com');
      expect(leaf.verify(issuing.publicKey)).toBe(true);
      expect(issuing.verify(new X509Certificate(Buffer.from(root.certificate)).publicKey)).toBe(true);

      const revoked = await client.post(await client.resource('revokeCert'), { certificate: Buffer.from(leaf.raw).toString('base64url') });
      expect(revoked.status).toBe(200);
      expectEngineHeaders(revoked, base);
      const again = await client.post(await client.resource('revokeCert'), { certificate: Buffer.from(leaf.raw).toString('base64url') });
      expectProblem(again, 400, 'alreadyRevoked');
    });

    it('a replayed nonce is refused with badNonce and a fresh nonce to retry with (RFC 8555 §6.5)', async () => {
      const client = new HttpAcmeClient(`${base}/directory`);
      const body = await client.jws(`${base}/new-account`, { termsOfServiceAgreed: true }, true);
      const init = { method: 'POST', headers: { 'content-type': 'application/jose+json' }, body };
      expect((await send(`${base}/new-account`, init)).status).toBe(201);
      const replay = await send(`${base}/new-account`, init);
      expectProblem(replay, 400, 'badNonce');
      expectEngineHeaders(replay, base);
    });
  });

  describe(`adapter conformance: ${name} around a failing engine`, () => {
    let running: RunningAdapter;
    beforeAll(async () => {
      const failing: TestEngine = {
        handle: async (req) => {
          if (req.url.endsWith('/unwritable')) return { status: 200, headers: { 'X-Broken': 'a\r\nInjected: yes' }, body: 'never sent' };
          throw new Error('engine exploded: secret internal detail');
        },
        close: async () => undefined,
      };
      running = await start(async () => failing, { bodyLimit: BODY_LIMIT });
    });
    afterAll(async () => {
      await running.close();
    });

    it('turns an engine failure or an unwritable response into a 500 serverInternal problem without internal detail, and keeps serving', async () => {
      for (let i = 0; i < 2; i++) {
        const res = await send(`${running.baseUrl}/directory`);
        expectProblem(res, 500, 'serverInternal');
        expect(res.text).not.toContain('secret');
        expect(res.headers.get('cache-control')).toBe('no-store');
      }
      const unwritable = await send(`${running.baseUrl}/unwritable`);
      expectProblem(unwritable, 500, 'serverInternal');
      expect(unwritable.headers.get('injected')).toBeNull();
      expect(unwritable.headers.get('x-broken')).toBeNull();
      const big = await send(`${running.baseUrl}/new-order`, { method: 'POST', headers: { 'content-type': 'application/jose+json' }, body: 'x'.repeat(BODY_LIMIT + 10) });
      expectProblem(big, 500, 'serverInternal');
    });
  });
}
