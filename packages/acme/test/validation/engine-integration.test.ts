import { afterEach, describe, expect, it } from 'vitest';
import { createAcmeUrls } from '../../src/engine/urls.js';
import { jwkThumbprint } from '../../src/jws/index.js';
import { createConnectionPolicy } from '../../src/validation/connection-policy.js';
import { http01Validator } from '../../src/validation/http01.js';
import { BASE, TestClient, dns, jsonBody, makeCa, newKey } from '../engine/helpers.js';
import type { ClientKey } from '../engine/helpers.js';
import { memoryResolver, startHttpServer } from './helpers.js';
import type { TestHttpServer } from './helpers.js';
import type { MemoryZone } from './helpers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** A loopback HTTP server answering every challenge token with token.thumbprint of `key`. */
async function challengeServer(key: ClientKey): Promise<TestHttpServer> {
  const thumbprint = jwkThumbprint(key.jwk);
  const server = await startHttpServer((req, res) => {
    const token = (req.url ?? '').split('/').pop() ?? '';
    res.end(`${token}.${thumbprint}\n`);
  });
  closers.push(() => server.close());
  return server;
}

async function caWithHttp01(port: number, zone: MemoryZone) {
  const urls = createAcmeUrls(BASE);
  const validator = http01Validator({
    resolver: memoryResolver(zone),
    policy: createConnectionPolicy({ allowedRanges: ['127.0.0.0/8'], ports: { http01: port } }),
    timeoutMs: 2000,
    caa: { config: { issuerDomains: ['ca.example'] }, accountUri: (account) => urls.account(account.id) },
  });
  return makeCa({ validators: [validator] });
}

describe('http01Validator inside the engine', () => {
  it('validates a challenge over a real socket and records what it saw', async () => {
    const key = newKey();
    const server = await challengeServer(key);
    const real = await caWithHttp01(server.port, { a: { 'www.example.com': ['127.0.0.1'] }, caa: { 'example.com': [{ flags: 0, tag: 'issue', value: 'ca.example' }] } });
    const realClient = new TestClient(real.server, key);
    const { order } = await realClient.readyOrder(real, [dns('www.example.com')]);
    expect(order['status']).toBe('ready');
    const authzId = (order['authorizations'] as string[])[0]!.split('/').pop()!;
    const stored = await real.store.getAuthorization(authzId);
    const challenge = stored!.challenges[0]!;
    expect(challenge.status).toBe('valid');
    expect(challenge.validationRecord).toEqual([
      expect.objectContaining({ hostname: 'www.example.com', addressUsed: '127.0.0.1', status: 200 }),
      { caa: { outcome: 'authorized', domain: 'example.com', record: '0 issue "ca.example"' } },
    ]);
    expect(server.requests[0]!.host).toBe(`www.example.com:${server.port}`);
  });

  it('puts a CAA refusal on the challenge as a caa problem', async () => {
    const key = newKey();
    const server = await challengeServer(key);
    const accountUri = 'https://ca.example/acme/acct/not-this-one';
    const real = await caWithHttp01(server.port, { a: { 'caa.example.com': ['127.0.0.1'] }, caa: { 'example.com': [{ flags: 0, tag: 'issue', value: `ca.example; accounturi=${accountUri}` }] } });
    const realClient = new TestClient(real.server, key);
    const { order } = await realClient.readyOrder(real, [dns('caa.example.com')]);
    expect(order['status']).toBe('invalid');
    const authz = jsonBody(await realClient.post((order['authorizations'] as string[])[0]!, ''));
    const challenge = (authz['challenges'] as { status: string; error?: { type: string; detail: string } }[])[0]!;
    expect(challenge.status).toBe('invalid');
    expect(challenge.error?.type).toBe('urn:ietf:params:acme:error:caa');
    expect(challenge.error?.detail).toContain(`has accounturi ${accountUri}, not this account (${realClient.kid})`);
  });
});
