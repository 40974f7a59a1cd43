import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BASE, TestClient, URL_OF, dns, ip, jsonBody, makeCa } from './helpers.js';

describe('ACME engine: the issuance flow (RFC 8555 §7)', () => {
  it('serves the directory with meta, profiles and every resource URL', async () => {
    const ca = await makeCa();
    const res = await ca.server.handle({ method: 'GET', url: URL_OF.directory, headers: {}, body: undefined });
    expect(res.status).toBe(200);
    const dir = jsonBody(res);
    expect(dir).toMatchObject({
      newNonce: URL_OF.newNonce,
      newAccount: URL_OF.newAccount,
      newOrder: URL_OF.newOrder,
      newAuthz: URL_OF.newAuthz,
      revokeCert: URL_OF.revokeCert,
      keyChange: URL_OF.keyChange,
      renewalInfo: URL_OF.renewalInfo,
      meta: {
        termsOfService: 'https://ca.example/tos',
        website: 'https://ca.example',
        caaIdentities: ['ca.example'],
        externalAccountRequired: false,
        profiles: { default: '90-day TLS certificate', shortlived: '160-hour TLS certificate' },
      },
    });
    expect(res.headers['Replay-Nonce']).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(res.headers['Link']).toEqual([`<${URL_OF.directory}>;rel="index"`]);
  });

  it('leaves newAuthz out of the directory and answers 404 there when pre-authorization is off', async () => {
    const ca = await makeCa({ preAuthorization: false });
    const dir = jsonBody(await ca.server.handle({ method: 'GET', url: URL_OF.directory, headers: {}, body: undefined }));
    expect(dir['newAuthz']).toBeUndefined();
    const client = new TestClient(ca.server);
    await client.register();
    const res = await client.post(URL_OF.newAuthz, { identifier: dns('pre.example.com') });
    expect(res.status).toBe(404);
    expect(jsonBody(res)['detail']).toMatch(/pre-authorization/);
  });

  it('newNonce: HEAD 200 and GET 204 with Cache-Control no-store and distinct nonces', async () => {
    const ca = await makeCa();
    const head = await ca.server.handle({ method: 'HEAD', url: URL_OF.newNonce, headers: {}, body: undefined });
    const get = await ca.server.handle({ method: 'GET', url: URL_OF.newNonce, headers: {}, body: undefined });
    expect(head.status).toBe(200);
    expect(get.status).toBe(204);
    expect(head.headers['Cache-Control']).toBe('no-store');
    expect(get.headers['Cache-Control']).toBe('no-store');
    expect(head.body).toBeUndefined();
    expect(head.headers['Replay-Nonce']).not.toBe(get.headers['Replay-Nonce']);
    expect(Buffer.from(String(head.headers['Replay-Nonce']), 'base64url').length).toBeGreaterThanOrEqual(16);
  });

  it('runs the whole happy path: account → order → challenge → finalize → certificate PEM that parses', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const acct = await client.register({ termsOfServiceAgreed: true, contact: ['mailto:admin@example.com'] });
    expect(acct.status).toBe(201);
    expect(acct.headers['Location']).toMatch(new RegExp(`^${BASE}/acct/[A-Za-z0-9_-]+$`));
    expect(jsonBody(acct)).toMatchObject({ status: 'valid', contact: ['mailto:admin@example.com'], termsOfServiceAgreed: true });

    const created = await client.newOrder([dns('www.example.com'), dns('example.com')]);
    expect(created.status).toBe(201);
    const orderUrl = String(created.headers['Location']);
    const order = jsonBody(created);
    expect(order).toMatchObject({ status: 'pending', identifiers: [dns('example.com'), dns('www.example.com')], profile: 'default' });
    const authzUrls = order['authorizations'] as string[];
    expect(authzUrls).toHaveLength(2);

    for (const authzUrl of authzUrls) {
      const authz = jsonBody(await client.post(authzUrl, ''));
      expect(authz['status']).toBe('pending');
      const types = (authz['challenges'] as { type: string }[]).map((c) => c.type);
      expect(types).toEqual(['http-01', 'dns-01', 'tls-alpn-01']);
      const http = (authz['challenges'] as { type: string; url: string; token: string }[])[0]!;
      expect(Buffer.from(http.token, 'base64url').length).toBeGreaterThanOrEqual(16);
      const started = await client.post(http.url, {});
      expect(started.status).toBe(200);
      expect(jsonBody(started)['status']).toBe('processing');
      expect(started.headers['Retry-After']).toBe('3');
      expect(started.headers['Link']).toContain(`<${authzUrl}>;rel="up"`);
    }
    await ca.server.drain();
    const ready = jsonBody(await client.post(orderUrl, ''));
    expect(ready['status']).toBe('ready');

    const { csr } = await (await import('./helpers.js')).makeCsr([dns('example.com'), dns('www.example.com')]);
    const fin = await client.post(String(order['finalize']), { csr: Buffer.from(csr).toString('base64url') });
    expect(fin.status).toBe(200);
    expect(jsonBody(fin)['status']).toBe('processing');
    expect(fin.headers['Retry-After']).toBe('3');
    expect(fin.headers['Location']).toBe(orderUrl);
    await ca.server.drain();

    const valid = jsonBody(await client.post(orderUrl, ''));
    expect(valid['status']).toBe('valid');
    const cert = await client.post(String(valid['certificate']), '');
    expect(cert.status).toBe(200);
    expect(cert.headers['Content-Type']).toBe('application/pem-certificate-chain');
    const pem = String(cert.body);
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    expect(blocks).toHaveLength(2);
    const leaf = new X509Certificate(blocks[0]!);
    expect(leaf.subjectAltName).toContain('DNS:example.com');
    expect(leaf.subjectAltName).toContain('DNS:www.example.com');
    expect(leaf.verify(new X509Certificate(blocks[1]!).publicKey)).toBe(true);
    expect(cert.headers['Link']).toContain(`<${String(valid['certificate'])}/1>;rel="alternate"`);

    const alternate = await client.post(`${String(valid['certificate'])}/1`, '');
    expect(alternate.status).toBe(200);
    expect(String(alternate.body).match(/BEGIN CERTIFICATE/g)).toHaveLength(3);
  });

  it('offers only dns-01 for a wildcard, and tls-alpn-01/http-01 but never dns-01 for an IP (RFC 8738 §7)', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    await client.register();
    const order = jsonBody(await client.newOrder([dns('*.example.com'), ip('10.1.2.3')]));
    const views = await Promise.all((order['authorizations'] as string[]).map(async (u) => jsonBody(await client.post(u, ''))));
    const wildcard = views.find((v) => v['wildcard'] === true)!;
    expect(wildcard['identifier']).toEqual(dns('example.com'));
    expect((wildcard['challenges'] as { type: string }[]).map((c) => c.type)).toEqual(['dns-01']);
    const ipAuthz = views.find((v) => (v['identifier'] as { type: string }).type === 'ip')!;
    expect((ipAuthz['challenges'] as { type: string }[]).map((c) => c.type)).toEqual(['http-01', 'tls-alpn-01']);
  });

  it('refuses a wildcard when no dns-01 validator is configured, naming the identifier', async () => {
    const ca = await makeCa();
    const noDns = await makeCa({ validators: [ca.validators[0]!] });
    const client = new TestClient(noDns.server);
    await client.register();
    const res = await client.newOrder([dns('*.example.com')]);
    expect(res.status).toBe(400);
    expect(jsonBody(res)).toMatchObject({ type: 'urn:ietf:params:acme:error:rejectedIdentifier' });
    expect(String(jsonBody(res)['detail'])).toMatch(/\*\.example\.com.*dns-01/);
  });

  it('reuses a valid authorization of the same account, but never a non-wildcard one for a wildcard name', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const first = await client.readyOrder(ca, [dns('reuse.example.com')]);
    const firstAuthz = (first.order['authorizations'] as string[])[0];

    const second = jsonBody(await client.newOrder([dns('reuse.example.com')]));
    expect(second['status']).toBe('ready');
    expect(second['authorizations']).toEqual([firstAuthz]);

    const wildcard = jsonBody(await client.newOrder([dns('*.reuse.example.com')]));
    expect(wildcard['status']).toBe('pending');
    const wAuthz = jsonBody(await client.post((wildcard['authorizations'] as string[])[0]!, ''));
    expect(wAuthz).toMatchObject({ status: 'pending', wildcard: true, identifier: dns('reuse.example.com') });
    expect(wildcard['authorizations']).not.toEqual([firstAuthz]);

    const other = new TestClient(ca.server);
    await other.register();
    const foreign = jsonBody(await other.newOrder([dns('reuse.example.com')]));
    expect(foreign['status']).toBe('pending');
    expect(foreign['authorizations']).not.toEqual([firstAuthz]);
  });

  it('does not reuse authorizations when reuse is disabled', async () => {
    const ca = await makeCa({ authorizationReuse: { enabled: false, minRemainingMs: 0 } });
    const client = new TestClient(ca.server);
    const first = await client.readyOrder(ca, [dns('noreuse.example.com')]);
    const second = jsonBody(await client.newOrder([dns('noreuse.example.com')]));
    expect(second['status']).toBe('pending');
    expect(second['authorizations']).not.toEqual(first.order['authorizations']);
  });

  it('pre-authorizes with newAuthz (RFC 8555 §7.4.1) and a later order reuses it', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    await client.register();
    const res = await client.post(URL_OF.newAuthz, { identifier: dns('Pre.Example.com') });
    expect(res.status).toBe(201);
    const authzUrl = String(res.headers['Location']);
    const authz = jsonBody(res);
    expect(authz).toMatchObject({ status: 'pending', identifier: dns('pre.example.com') });
    await client.post((authz['challenges'] as { url: string }[])[0]!.url, {});
    await ca.server.drain();
    expect(jsonBody(await client.post(authzUrl, ''))['status']).toBe('valid');
    const order = jsonBody(await client.newOrder([dns('pre.example.com')]));
    expect(order).toMatchObject({ status: 'ready', authorizations: [authzUrl] });

    const wild = await client.post(URL_OF.newAuthz, { identifier: dns('*.example.com') });
    expect(wild.status).toBe(400);
    expect(jsonBody(wild)).toMatchObject({ type: 'urn:ietf:params:acme:error:malformed' });
    expect(String(jsonBody(wild)['detail'])).toMatch(/wildcard/);
  });

  it('turns a pending order into ready when its authorizations become valid, and persists it', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const { order } = await client.readyOrder(ca, [dns('persist.example.com')]);
    expect(order['status']).toBe('ready');
    expect(ca.writes.filter((w) => w === 'transitionOrder').length).toBeGreaterThanOrEqual(1);
  });

  it('shows an authorization past its pending lifetime as expired and its order as invalid', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    await client.register();
    const created = await client.newOrder([dns('late.example.com')]);
    const orderUrl = String(created.headers['Location']);
    const authzUrl = (jsonBody(created)['authorizations'] as string[])[0]!;
    ca.clock.advance(8 * 86400_000);
    client.nonce = undefined;
    expect(jsonBody(await client.post(authzUrl, ''))['status']).toBe('expired');
    expect(jsonBody(await client.post(orderUrl, ''))['status']).toBe('invalid');
  });

  it('marks challenge, authorization and order invalid when validation fails, with the problem on the challenge', async () => {
    const { CertwrightError } = await import('@certwright/core');
    const failing = { type: 'http-01', identifierTypes: ['dns' as const], validate: async () => { throw new CertwrightError('incorrectResponse', 'The key authorization file held "nope"'); } };
    const bad = await makeCa({ validators: [failing] });
    const client = new TestClient(bad.server);
    await client.register();
    const created = await client.newOrder([dns('fail.example.com')]);
    const orderUrl = String(created.headers['Location']);
    const authzUrl = (jsonBody(created)['authorizations'] as string[])[0]!;
    const chall = (jsonBody(await client.post(authzUrl, ''))['challenges'] as { url: string }[])[0]!;
    await client.post(chall.url, {});
    await bad.server.drain();
    const challView = jsonBody(await client.post(chall.url, ''));
    expect(challView['status']).toBe('invalid');
    expect(challView['error']).toMatchObject({ type: 'urn:ietf:params:acme:error:incorrectResponse', detail: 'The key authorization file held "nope"' });
    expect(jsonBody(await client.post(authzUrl, ''))['status']).toBe('invalid');
    const order = jsonBody(await client.post(orderUrl, ''));
    expect(order['status']).toBe('invalid');
    expect(String((order['error'] as { detail: string }).detail)).toMatch(/fail\.example\.com/);
  });

  it('passes the key authorization token.thumbprint to the validator (RFC 8555 §8.1)', async () => {
    const seen: string[] = [];
    const spy = { type: 'http-01', identifierTypes: ['dns' as const], validate: async (input: { keyAuthorization: string; token: string }) => { seen.push(input.keyAuthorization, input.token); return { record: [] }; } };
    const ca = await makeCa({ validators: [spy] });
    const client = new TestClient(ca.server);
    await client.readyOrder(ca, [dns('ka.example.com')]);
    const { jwkThumbprint } = await import('../../src/jws/index.js');
    expect(seen[0]).toBe(`${seen[1]}.${jwkThumbprint(client.key.jwk)}`);
  });

  it('accepts a profile, refuses an unknown one with invalidProfile, and checks notBefore/notAfter against its limits', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    await client.register();
    const ok = await client.newOrder([dns('p.example.com')], { profile: 'shortlived' });
    expect(jsonBody(ok)['profile']).toBe('shortlived');
    const unknown = await client.newOrder([dns('p.example.com')], { profile: 'forever' });
    expect(unknown.status).toBe(400);
    expect(jsonBody(unknown)).toMatchObject({ type: 'urn:ietf:params:acme:error:invalidProfile' });
    expect(String(jsonBody(unknown)['detail'])).toMatch(/"forever".*default, shortlived/);
    const tooLong = await client.newOrder([dns('p.example.com')], { profile: 'shortlived', notAfter: '2026-03-20T00:00:00Z' });
    expect(tooLong.status).toBe(400);
    expect(String(jsonBody(tooLong)['detail'])).toMatch(/576000 seconds profile "shortlived"/);
    const inRange = await client.newOrder([dns('p.example.com')], { notBefore: '2026-03-02T00:00:00Z', notAfter: '2026-04-01T00:00:00Z' });
    expect(inRange.status).toBe(201);
    expect(jsonBody(inRange)).toMatchObject({ notBefore: '2026-03-02T00:00:00.000Z', notAfter: '2026-04-01T00:00:00.000Z' });
  });
});
