import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExpressRouter } from '../../src/express/index.js';
import { acmePlugin } from '../../src/fastify/index.js';
import { answerClientError, createConnectListener, createNodeHandler } from '../../src/node/index.js';
import { testEngine, testHierarchy } from './engine.js';
import { HttpAcmeClient, json, send } from './http-client.js';
import { startExpress, startFastify, startNode } from './servers.js';
import type { RunningAdapter } from './servers.js';

const ERR = 'urn:ietf:params:acme:error:';
const running: RunningAdapter[] = [];
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all([...running.map((r) => r.close()), ...closers.map((c) => c())]);
});

beforeAll(async () => {
  await testHierarchy();
});

/** Listens with `server` on a loopback port and builds an engine for its `/acme` base URL; both are closed after the tests. */
async function engineOn(server: Server, scheme: 'http' | 'https' = 'http'): Promise<{ baseUrl: string; engine: Awaited<ReturnType<typeof testEngine>> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}/acme`;
  const engine = await testEngine(baseUrl);
  closers.push(async () => {
    await engine.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { baseUrl, engine };
}

/** Sends `text` on a new connection to the server of `baseUrl`; resolves with everything it sends until it closes the connection. */
function exchange(baseUrl: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1', () => socket.write(text));
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

describe('node:http adapter', () => {
  it('serves over https.createServer too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certwright-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      const cert = readFileSync(join(dir, 'cert.pem'));
      const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert });
      const { baseUrl, engine } = await engineOn(server, 'https');
      server.on('request', createNodeHandler(engine, { baseUrl }));
      const body = await new Promise<string>((resolve, reject) => {
        httpsRequest(`${baseUrl}/directory`, { ca: cert }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(text));
        }).on('error', reject).end();
      });
      expect(JSON.parse(body)).toMatchObject({ newNonce: `${baseUrl}/new-nonce` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('survives a client that disconnects in the middle of a body, and keeps serving', async () => {
    const r = await startNode((baseUrl) => testEngine(baseUrl));
    running.push(r);
    const { port } = new URL(r.baseUrl);
    await new Promise<void>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write('POST /acme/new-account HTTP/1.1\r\nHost: x\r\nContent-Type: application/jose+json\r\nContent-Length: 1000\r\n\r\n{"protected":');
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
      socket.on('error', reject);
    });
    expect((await send(`${r.baseUrl}/directory`)).status).toBe(200);
  });

  it('answerClientError: unparsable requests, oversized header fields and a body not received in time get problem documents; the server keeps serving', async () => {
    const server = createServer({ requestTimeout: 400, headersTimeout: 400, connectionsCheckingInterval: 50 });
    const { baseUrl, engine } = await engineOn(server);
    server.on('request', createNodeHandler(engine, { baseUrl }));
    server.on('clientError', answerClientError);
    const cases: [string, number, RegExp][] = [
      ['HELLO\r\n\r\n', 400, /not a valid HTTP\/1\.1 request/],
      ['POST /acme/new-order HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, /not a valid HTTP\/1\.1 request/],
      [`GET /acme/directory HTTP/1.1\r\nHost: x\r\nX-Long: ${'a'.repeat(20_000)}\r\n\r\n`, 431, /header fields exceed the size limit/],
      ['POST /acme/new-order HTTP/1.1\r\nHost: x\r\nContent-Type: application/jose+json\r\nContent-Length: 100\r\n\r\n{"protected":', 408, /not received completely in time/],
    ];
    for (const [request, status, detail] of cases) {
      const received = await exchange(baseUrl, request);
      const [head = '', body = ''] = received.split('\r\n\r\n');
      expect(head, received).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(head.toLowerCase()).toContain('content-type: application/problem+json');
      expect(JSON.parse(body)).toMatchObject({ type: `${ERR}malformed`, status, detail: expect.stringMatching(detail) as unknown });
    }
    expect((await send(`${baseUrl}/directory`)).status).toBe(200);
  });

  it('createConnectListener: a CONNECT request gets the engine\'s problem document (405 with Allow and a nonce, 404 off the ACME paths), not a silent close', async () => {
    const server = createServer();
    const { baseUrl, engine } = await engineOn(server);
    server.on('request', createNodeHandler(engine, { baseUrl }));
    server.on('connect', createConnectListener(engine, { baseUrl }));
    const cases: [string, number, string][] = [
      ['/acme/new-order', 405, 'CONNECT is not allowed here; use POST'],
      ['ca.example:443', 404, 'No ACME resource at this URL'],
    ];
    for (const [target, status, detail] of cases) {
      const received = await exchange(baseUrl, `CONNECT ${target} HTTP/1.1\r\nHost: ca.example:443\r\n\r\n`);
      const [head = '', body = ''] = received.split('\r\n\r\n');
      expect(head, received).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(head.toLowerCase()).toContain('content-type: application/problem+json');
      expect(head.toLowerCase()).toMatch(/replay-nonce: [a-z0-9_-]{22,}/);
      if (status === 405) expect(head.toLowerCase()).toContain('allow: post');
      expect(JSON.parse(body)).toEqual({ type: `${ERR}malformed`, status, detail });
    }
    expect((await send(`${baseUrl}/directory`)).status).toBe(200);
  });

  it('trustedProxies: X-Forwarded-Host from a trusted peer changes the URL the engine routes on; from others it is ignored', async () => {
    const trusting = await startNode((baseUrl) => testEngine(baseUrl), { trustedProxies: ['127.0.0.1'] });
    const ignoring = await startNode((baseUrl) => testEngine(baseUrl));
    running.push(trusting, ignoring);
    const headers = { 'x-forwarded-host': 'elsewhere.example' };
    const moved = await send(`${trusting.baseUrl}/directory`, { headers });
    expect(moved.status).toBe(404);
    expect(json(moved)['type']).toBe(`${ERR}malformed`);
    expect((await send(`${ignoring.baseUrl}/directory`, { headers })).status).toBe(200);
    const { host } = new URL(trusting.baseUrl);
    expect((await send(`${trusting.baseUrl}/directory`, { headers: { 'x-forwarded-host': host, 'x-forwarded-proto': 'http' } })).status).toBe(200);
  });
});

describe('express adapter and host body parsers', () => {
  it('a host JSON parser for every type loses the signed bytes: 500 naming the misconfiguration, not a bad signature', async () => {
    const server = createServer();
    const { baseUrl, engine } = await engineOn(server);
    const app = express();
    app.use(express.json({ type: '*/*' }));
    app.use('/acme', createExpressRouter(engine, { baseUrl }));
    server.on('request', app);
    const client = new HttpAcmeClient(`${baseUrl}/directory`);
    const res = await client.register();
    expect(res.status).toBe(500);
    expect(json(res)).toMatchObject({ type: `${ERR}serverInternal`, status: 500 });
    expect(String(json(res)['detail'])).toMatch(/consumed by another body parser/);
    const wrongType = await send(`${baseUrl}/new-account`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(wrongType.status).toBe(415);
  });

  it('a host text parser for application/jose+json leaves a string: the signed request goes through', async () => {
    const server = createServer();
    const { baseUrl, engine } = await engineOn(server);
    const app = express();
    app.use(express.text({ type: 'application/jose+json' }));
    app.use('/acme', createExpressRouter(engine, { baseUrl }));
    server.on('request', app);
    expect((await new HttpAcmeClient(`${baseUrl}/directory`).register()).status).toBe(201);
  });

  it("leaves the host app's own JSON routes working next to the router", async () => {
    const r = await startExpress('json-urlencoded-text')((baseUrl) => testEngine(baseUrl));
    running.push(r);
    const echo = await send(r.baseUrl.replace(/\/acme$/, '/host/echo'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(json(echo)).toEqual({ seen: { a: 1 } });
  });
});

describe('fastify plugin encapsulation', () => {
  let r: RunningAdapter;
  beforeAll(async () => {
    r = await startFastify((baseUrl) => testEngine(baseUrl));
    running.push(r);
  });

  it("keeps the host app's JSON parsing outside the plugin", async () => {
    const echo = await send(r.baseUrl.replace(/\/acme$/, '/host/echo'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(echo.status).toBe(200);
    expect(json(echo)).toEqual({ seen: { a: 1 } });
  });

  it('lets the engine answer (415 with a nonce) for a body without a content type or with an unparsable one', async () => {
    for (const headers of [{}, { 'content-type': 'garbage' }] as Record<string, string>[]) {
      const res = await send(`${r.baseUrl}/new-account`, { method: 'POST', headers, body: new TextEncoder().encode('{"x":1}') });
      expect(res.status).toBe(415);
      expect(json(res)['type']).toBe(`${ERR}malformed`);
      expect(res.headers.get('replay-nonce')).not.toBeNull();
    }
  });

  it('routes the bare prefix to the engine too (404 problem, not a Fastify 404)', async () => {
    const res = await send(r.baseUrl);
    expect(res.status).toBe(404);
    expect(json(res)['type']).toBe(`${ERR}malformed`);
  });

  it('answers a method Fastify has no route for (PROPFIND) with the engine\'s 405 problem and Allow, not a Fastify 404', async () => {
    const res = await send(`${r.baseUrl}/new-order`, { method: 'PROPFIND' });
    expect(res.status).toBe(405);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(json(res)).toMatchObject({ type: `${ERR}malformed`, status: 405, detail: 'PROPFIND is not allowed here; use POST' });
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.headers.get('replay-nonce')).not.toBeNull();
  });

  it("at the root prefix, keeps a not-found handler the host set before registering the plugin", async () => {
    const app = Fastify();
    closers.push(() => app.close());
    app.setNotFoundHandler(async (_request, reply) => reply.code(404).send('host 404'));
    const engine = await testEngine('http://127.0.0.1/acme');
    closers.push(() => engine.close());
    await app.register(acmePlugin, { prefix: '', server: engine, baseUrl: 'http://127.0.0.1/acme' });
    expect((await app.inject({ method: 'PROPFIND', url: '/acme/new-order' })).body).toBe('host 404');
    expect((await app.inject({ method: 'GET', url: '/acme/directory' })).json()).toMatchObject({ newNonce: 'http://127.0.0.1/acme/new-nonce' });
  });

  it('acmeFrameworkErrors: an undecodable path under the prefix gets the engine\'s 404 problem; elsewhere Fastify\'s own 400', async () => {
    const acme = await send(`${r.baseUrl}/acct/%zz`, { method: 'POST', headers: { 'content-type': 'application/jose+json' }, body: '{}' });
    expect(acme.status).toBe(404);
    expect(acme.headers.get('content-type')).toBe('application/problem+json');
    expect(json(acme)).toMatchObject({ type: `${ERR}malformed`, status: 404, detail: 'No ACME resource at this URL' });
    expect(acme.headers.get('replay-nonce')).not.toBeNull();
    const host = await send(r.baseUrl.replace(/\/acme$/, '/host/%zz'));
    expect(host.status).toBe(400);
    expect(json(host)).toMatchObject({ code: 'FST_ERR_BAD_URL', statusCode: 400 });
  });
});
