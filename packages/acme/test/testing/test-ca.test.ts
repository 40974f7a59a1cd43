import { X509Certificate } from 'node:crypto';
import { CertwrightError, defaultProfiles, seededRandom } from '@certwright/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCa } from '../../src/testing/index.js';
import type { TestCa, Validator } from '../../src/testing/index.js';
import { HttpAcmeClient, csrFor, json, send } from '../adapters/http-client.js';

const started: TestCa[] = [];
async function start(...args: Parameters<typeof createTestCa>): Promise<TestCa> {
  const ca = await createTestCa(...args);
  started.push(ca);
  return ca;
}
afterAll(async () => {
  await Promise.all(started.map((ca) => ca.stop()));
});

async function orderReady(client: HttpAcmeClient, names: string[]): Promise<{ orderUrl: string; order: Record<string, unknown> }> {
  if (client.kid === undefined) expect((await client.register()).status).toBe(201);
  const created = await client.post(await client.resource('newOrder'), { identifiers: names.map((value) => ({ type: 'dns', value })) });
  expect(created.status).toBe(201);
  return { orderUrl: created.headers.get('location') ?? '', order: json(created) };
}

describe('createTestCa (defaults)', () => {
  let ca: TestCa;
  beforeAll(async () => {
    ca = await start();
  });

  it('serves a directory on loopback with the default profiles and no EAB requirement', async () => {
    expect(ca.directoryUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/acme\/directory$/);
    const dir = json(await send(ca.directoryUrl));
    expect(dir['newOrder']).toBe(`${ca.baseUrl}/new-order`);
    expect(dir['meta']).toMatchObject({ externalAccountRequired: false, profiles: { default: expect.any(String), shortlived: expect.any(String) } });
  });

  it('gives a P-256 root and an intermediate chain signed by it', () => {
    const root = new X509Certificate(ca.rootCertificatePem);
    const chain = ca.chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    expect(chain).toHaveLength(1);
    const intermediate = new X509Certificate(chain[0]!);
    expect(root.ca).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(intermediate.verify(root.publicKey)).toBe(true);
    expect(intermediate.issuer).toBe(root.subject);
  });

  it('issues with auto-valid challenges (no network) a certificate that chains to the root', async () => {
    const client = new HttpAcmeClient(ca.directoryUrl);
    const { orderUrl, order } = await orderReady(client, ['app.example.com', '*.app.example.com']);
    for (const authzUrl of order['authorizations'] as string[]) {
      const authz = json(await client.post(authzUrl, ''));
      const challenge = (authz['challenges'] as { type: string; url: string }[])[0]!;
      await client.post(challenge.url, {});
    }
    await client.poll(orderUrl, (o) => o['status'] === 'ready');
    const { csr } = await csrFor([{ type: 'dns', value: 'app.example.com' }, { type: 'dns', value: '*.app.example.com' }]);
    await client.post(String(order['finalize']), { csr });
    const valid = await client.poll(orderUrl, (o) => o['status'] === 'valid');
    const pem = (await client.post(String(valid['certificate']), '')).text;
    const leaf = new X509Certificate(pem);
    expect(leaf.subjectAltName).toContain('DNS:*.app.example.com');
    expect(leaf.verify(new X509Certificate(ca.chainPem).publicKey)).toBe(true);
    expect(leaf.checkIssued(new X509Certificate(ca.chainPem))).toBe(true);
  });

  it('reuses a valid authorization for the next order of the same account', async () => {
    const client = new HttpAcmeClient(ca.directoryUrl);
    const first = await orderReady(client, ['reuse.example.com']);
    const authz = json(await client.post((first.order['authorizations'] as string[])[0]!, ''));
    await client.post((authz['challenges'] as { url: string }[])[0]!.url, {});
    await client.poll(first.orderUrl, (o) => o['status'] === 'ready');
    const second = await orderReady(client, ['reuse.example.com']);
    expect(second.order['status']).toBe('ready');
  });

  it('exposes the store behind the engine: the account a client created is in it', async () => {
    const client = new HttpAcmeClient(ca.directoryUrl);
    await client.register();
    const id = String(client.kid).split('/').pop()!;
    expect((await ca.store.getAccount(id))?.status).toBe('valid');
  });
});

describe('createTestCa options', () => {
  it('stop() closes the server (idempotently): the directory is no longer reachable', async () => {
    const ca = await createTestCa();
    expect((await send(ca.directoryUrl)).status).toBe(200);
    await Promise.all([ca.stop(), ca.stop()]);
    await expect(send(ca.directoryUrl)).rejects.toThrow();
  });

  it('challenges: { validators } runs the given validators: a refusing one makes the challenge invalid', async () => {
    const refusing: Validator = {
      type: 'http-01',
      identifierTypes: ['dns'],
      validate: async (input) => {
        throw new CertwrightError('incorrectResponse', `no key authorization at ${input.identifier.value}`);
      },
    };
    const ca = await start({ challenges: { validators: [refusing] } });
    const client = new HttpAcmeClient(ca.directoryUrl);
    const { order } = await orderReady(client, ['refused.example.com']);
    const authzUrl = (order['authorizations'] as string[])[0]!;
    const authz = json(await client.post(authzUrl, ''));
    expect((authz['challenges'] as { type: string }[]).map((c) => c.type)).toEqual(['http-01']);
    await client.post((authz['challenges'] as { url: string }[])[0]!.url, {});
    const failed = await client.poll(authzUrl, (a) => a['status'] !== 'pending');
    expect(failed['status']).toBe('invalid');
    const challenge = (failed['challenges'] as { error?: { type: string; detail: string } }[])[0]!;
    expect(challenge.error?.type).toBe('urn:ietf:params:acme:error:incorrectResponse');
    expect(challenge.error?.detail).toContain('refused.example.com');
  });

  it('profiles and defaultProfile: only the given profiles are offered; an unknown default is refused', async () => {
    const shortOnly = defaultProfiles().filter((p) => p.name === 'shortlived');
    const ca = await start({ profiles: shortOnly });
    const dir = json(await send(ca.directoryUrl));
    expect(Object.keys((dir['meta'] as { profiles: Record<string, string> }).profiles)).toEqual(['shortlived']);
    await expect(createTestCa({ defaultProfile: 'nope' })).rejects.toThrow(/defaultProfile "nope"/);
  });

  it('externalAccountRequired: newAccount without a binding is refused with externalAccountRequired', async () => {
    const ca = await start({ externalAccountRequired: true });
    expect(json(await send(ca.directoryUrl))['meta']).toMatchObject({ externalAccountRequired: true });
    const client = new HttpAcmeClient(ca.directoryUrl);
    const res = await client.register();
    expect(res.status).toBe(400);
    expect(json(res)['type']).toBe('urn:ietf:params:acme:error:externalAccountRequired');
    const key = await ca.createEabKey('ci');
    expect(Buffer.from(key.hmacKey, 'base64url')).toHaveLength(32);
    expect((await ca.store.getEabKey(key.keyId))?.label).toBe('ci');
  });

  it('strict.rejectNonceRate out of [0, 1] is refused naming the option', async () => {
    await expect(createTestCa({ strict: { rejectNonceRate: 1.5 } })).rejects.toThrow(/strict\.rejectNonceRate must be a number from 0 to 1, got 1\.5/);
    await expect(createTestCa({ strict: { rejectNonceRate: -0.1 } })).rejects.toThrow(RangeError);
  });

  it('strict.rejectNonceRate 1 refuses every valid nonce with badNonce and a fresh nonce each time', async () => {
    const ca = await start({ strict: { rejectNonceRate: 1 } });
    const client = new HttpAcmeClient(ca.directoryUrl);
    const seen = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await client.register();
      expect(res.status).toBe(400);
      expect(json(res)['type']).toBe('urn:ietf:params:acme:error:badNonce');
      const nonce = res.headers.get('replay-nonce');
      expect(nonce).not.toBeNull();
      seen.add(nonce!);
    }
    expect(seen.size).toBe(3);
  });

  it('strict.rejectNonceRate 0.5 refuses some and accepts some valid nonces; a retrying client gets through', async () => {
    const ca = await start({ strict: { rejectNonceRate: 0.5 }, random: seededRandom(7) });
    let refused = 0;
    let accepted = 0;
    for (let i = 0; i < 24; i++) {
      const res = await new HttpAcmeClient(ca.directoryUrl).register();
      if (res.status === 201) accepted++;
      else if (json(res)['type'] === 'urn:ietf:params:acme:error:badNonce') refused++;
    }
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
    expect(refused + accepted).toBe(24);
    const client = new HttpAcmeClient(ca.directoryUrl);
    let status = 0;
    for (let attempt = 0; attempt < 30 && status !== 201; attempt++) status = (await client.register()).status;
    expect(status).toBe(201);
  });

  it('strict.reuseAuthorizations random: later orders for a validated name come back sometimes ready, sometimes pending', async () => {
    const ca = await start({ strict: { rejectNonceRate: 0, reuseAuthorizations: 'random' }, random: seededRandom(11) });
    const client = new HttpAcmeClient(ca.directoryUrl);
    const first = await orderReady(client, ['coin.example.com']);
    const authz = json(await client.post((first.order['authorizations'] as string[])[0]!, ''));
    await client.post((authz['challenges'] as { url: string }[])[0]!.url, {});
    await client.poll(first.orderUrl, (o) => o['status'] === 'ready');
    const statuses = new Set<unknown>();
    for (let i = 0; i < 16; i++) statuses.add((await orderReady(client, ['coin.example.com'])).order['status']);
    expect([...statuses].sort()).toEqual(['pending', 'ready']);
  });
});
