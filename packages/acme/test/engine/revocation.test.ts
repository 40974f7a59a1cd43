import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildCsr, softwareSignerFromKeyObject } from '@certwright/core';
import type { PublicJwk } from '@certwright/core';
import { TestClient, URL_OF, dns, jsonBody, makeCa } from './helpers.js';
import type { ClientKey } from './helpers.js';

const b64 = (der: Uint8Array): string => Buffer.from(der).toString('base64url');

function certKey(privateKey: KeyObject): ClientKey {
  return { alg: 'ES256', privateKey, jwk: createPublicKey(privateKey).export({ format: 'jwk' }) as PublicJwk };
}

describe('ACME engine: revocation (RFC 8555 §7.6)', () => {
  it('revokes by the issuing account (kid), then answers alreadyRevoked', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const { certDer } = await client.issue(ca, [dns('rev1.example.com')]);
    const res = await client.post(URL_OF.revokeCert, { certificate: b64(certDer), reason: 4 });
    expect(res.status).toBe(200);
    expect(res.body).toBeUndefined();
    const again = await client.post(URL_OF.revokeCert, { certificate: b64(certDer) });
    expect(again.status).toBe(400);
    expect(jsonBody(again)).toMatchObject({ type: 'urn:ietf:params:acme:error:alreadyRevoked' });
  });

  it('revokes by another account holding valid authorizations for every name, recording cessationOfOperation', async () => {
    const ca = await makeCa();
    const owner = new TestClient(ca.server);
    const { certDer, order } = await owner.issue(ca, [dns('rev2.example.com')]);
    const other = new TestClient(ca.server);
    await other.register();
    const refused = await other.post(URL_OF.revokeCert, { certificate: b64(certDer) });
    expect(refused.status).toBe(403);
    expect(String(jsonBody(refused)['detail'])).toMatch(/no valid authorization for: rev2\.example\.com/);
    await other.readyOrder(ca, [dns('rev2.example.com')]);
    const res = await other.post(URL_OF.revokeCert, { certificate: b64(certDer), reason: 4 });
    expect(res.status).toBe(200);
    const serial = String(order['certificate']).split('/').pop()!;
    expect((await ca.store.getCertificate(serial))?.revocationReason).toBe(5);
  });

  it('revokes by the certificate key (jwk) for keyCompromise and blocks the key', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const { certDer, certKey: leafKey, order } = await client.issue(ca, [dns('rev3.example.com')]);
    const key = certKey(leafKey);
    const res = await client.post(URL_OF.revokeCert, { certificate: b64(certDer), reason: 1 }, { useJwk: true, key });
    expect(res.status).toBe(200);
    const serial = String(order['certificate']).split('/').pop()!;
    expect((await ca.store.getCertificate(serial))?.revocationReason).toBe(1);
    const spki = createPublicKey(leafKey).export({ format: 'der', type: 'spki' });
    expect(await ca.store.getBlockedKey(createHash('sha256').update(spki).digest('hex'))).toMatchObject({ reason: 'keyCompromise', sourceSerial: serial });
  });

  it('refuses a later CSR with a key revoked for keyCompromise', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const { certDer, certKey: leafKey } = await client.issue(ca, [dns('blocked.example.com')]);
    expect((await client.post(URL_OF.revokeCert, { certificate: b64(certDer), reason: 1 }, { useJwk: true, key: certKey(leafKey) })).status).toBe(200);
    const { order } = await client.readyOrder(ca, [dns('blocked.example.com')]);
    const csr = await buildCsr({ signer: softwareSignerFromKeyObject(leafKey), identifiers: [dns('blocked.example.com')] });
    const res = await client.post(String(order['finalize']), { csr: b64(csr) });
    expect(res.status).toBe(400);
    expect(String(jsonBody(res)['detail'])).toMatch(/block/i);
  });

  it('lets the certificate key raise an earlier revocation to keyCompromise, but nothing else twice', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const { certDer, certKey: leafKey, order } = await client.issue(ca, [dns('rev4.example.com')]);
    expect((await client.post(URL_OF.revokeCert, { certificate: b64(certDer), reason: 4 })).status).toBe(200);
    const key = certKey(leafKey);
    expect((await client.post(URL_OF.revokeCert, { certificate: b64(certDer), reason: 1 }, { useJwk: true, key })).status).toBe(200);
    const serial = String(order['certificate']).split('/').pop()!;
    expect((await ca.store.getCertificate(serial))?.revocationReason).toBe(1);
    const again = await client.post(URL_OF.revokeCert, { certificate: b64(certDer), reason: 1 }, { useJwk: true, key });
    expect(jsonBody(again)['type']).toBe('urn:ietf:params:acme:error:alreadyRevoked');
  });

  it('refuses keyCompromise from an account, reasons outside 0/1/3/4/5, and a jwk that is not the certificate key', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const { certDer } = await client.issue(ca, [dns('rev5.example.com')]);
    const kc = await client.post(URL_OF.revokeCert, { certificate: b64(certDer), reason: 1 });
    expect(kc.status).toBe(400);
    expect(jsonBody(kc)['type']).toBe('urn:ietf:params:acme:error:badRevocationReason');
    expect(String(jsonBody(kc)['detail'])).toMatch(/keyCompromise \(1\) must be signed with the certificate key/);
    for (const reason of [2, 6, 7, 8, 9, 10, -1, 1.5, '4']) {
      const res = await client.post(URL_OF.revokeCert, { certificate: b64(certDer), reason });
      expect(res.status).toBe(400);
      expect(jsonBody(res)['type']).toBe('urn:ietf:params:acme:error:badRevocationReason');
    }
    const stranger = new TestClient(ca.server);
    const res = await stranger.post(URL_OF.revokeCert, { certificate: b64(certDer) }, { useJwk: true });
    expect(res.status).toBe(403);
    expect(String(jsonBody(res)['detail'])).toMatch(/not the certificate's public key/);
  });
});
