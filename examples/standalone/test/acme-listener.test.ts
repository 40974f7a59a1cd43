/*
 * The ACME listener's Fastify options with short limits: a request whose
 * body trickles in is cut with a 408 problem document (Fastify alone would
 * wait for ever), while a request sent at once is served.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeListenerOptions } from '../src/acme-listener.js';

describe('ACME listener options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certwright-listener-'));
  let app: FastifyInstance;
  let port: number;
  let cert: string;

  /** Sends `head` then one byte every 100 ms (a body that never completes); resolves with what the server sent before it closed. */
  const trickle = (head: string, maxMs: number): Promise<{ received: string; ms: number }> =>
    new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = connect({ host: '127.0.0.1', port, ca: cert }, () => socket.write(head));
      const drip = setInterval(() => socket.write(' '), 100);
      const limit = setTimeout(() => socket.destroy(), maxMs);
      let received = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
      socket.on('close', () => {
        clearInterval(drip);
        clearTimeout(limit);
        resolve({ received, ms: Date.now() - started });
      });
      socket.on('error', reject);
    });

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    // The engine is not reached: only paths that do not percent-decode would go to it.
    const engine = { handle: () => Promise.reject(new Error('not reached')) };
    app = Fastify(acmeListenerOptions({ key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert }, { server: engine, baseUrl: 'https://127.0.0.1/' }, { requestTimeoutMs: 600, checkIntervalMs: 100 }));
    app.post('/echo', async (request) => ({ length: String(request.body).length }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cuts a request whose body trickles in past the request timeout with a 408 problem document', async () => {
    const { received, ms } = await trickle('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n{', 5_000);
    const [head = '', body = ''] = received.split('\r\n\r\n');
    expect(head, received).toMatch(/^HTTP\/1\.1 408 /);
    expect(head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(JSON.parse(body)).toMatchObject({ type: 'urn:ietf:params:acme:error:malformed', status: 408 });
    expect(ms).toBeLessThan(2_000);
  });

  it('cuts header fields that trickle in the same way', async () => {
    const { received } = await trickle('GET /echo HTTP/1.1\r\nX-Slow: ', 5_000);
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('serves a request sent at once', async () => {
    const res = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    expect(res.json()).toEqual({ length: 5 });
  });
});
