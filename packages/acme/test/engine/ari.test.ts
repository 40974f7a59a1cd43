import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certIdOf, readCertificate } from '../../src/engine/certificate-info.js';
import { TestClient, URL_OF, dns, jsonBody, makeCa } from './helpers.js';

describe('ACME engine: renewal information (RFC 9773)', () => {
  it('suggests the middle third of the validity period with Retry-After, and an immediate window once revoked', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const { certDer } = await client.issue(ca, [dns('ari.example.com')]);
    const certId = certIdOf(readCertificate(certDer, 'test'))!;
    const res = await ca.server.handle({ method: 'GET', url: `${URL_OF.renewalInfo}/${certId}`, headers: {}, body: undefined });
    expect(res.status).toBe(200);
    expect(res.headers['Retry-After']).toBe('21600');
    const x = new X509Certificate(Buffer.from(certDer));
    const nb = new Date(x.validFrom).getTime();
    const na = new Date(x.validTo).getTime();
    const window = jsonBody(res)['suggestedWindow'] as { start: string; end: string };
    expect(Math.abs(new Date(window.start).getTime() - (nb + (na - nb) / 3))).toBeLessThan(1000);
    expect(Math.abs(new Date(window.end).getTime() - (nb + (2 * (na - nb)) / 3))).toBeLessThan(1000);

    await client.post(URL_OF.revokeCert, { certificate: Buffer.from(certDer).toString('base64url') });
    const revoked = jsonBody(await ca.server.handle({ method: 'GET', url: `${URL_OF.renewalInfo}/${certId}`, headers: {}, body: undefined }));
    const w = revoked['suggestedWindow'] as { start: string; end: string };
    expect(new Date(w.end).getTime()).toBeLessThanOrEqual(ca.clock.now().getTime() + 1000);
    expect(new Date(w.start).getTime()).toBeLessThanOrEqual(ca.clock.now().getTime());
  });

  it('answers 400 malformed for a malformed certID and 404 for an unknown one', async () => {
    const ca = await makeCa();
    for (const bad of ['nodot', 'a.b.c', 'AAAA.gA', 'AAAA.AAE', '.AQ', 'AA==.AQ']) {
      const res = await ca.server.handle({ method: 'GET', url: `${URL_OF.renewalInfo}/${bad}`, headers: {}, body: undefined });
      expect(res.status, bad).toBe(400);
      expect(jsonBody(res)['type']).toBe('urn:ietf:params:acme:error:malformed');
      expect(String(jsonBody(res)['detail'])).toMatch(/RFC 9773/);
    }
    const unknown = await ca.server.handle({ method: 'GET', url: `${URL_OF.renewalInfo}/AAAA.AQ`, headers: {}, body: undefined });
    expect(unknown.status).toBe(404);
  });

  it('accepts replaces for an own certificate once, then alreadyReplaced (409)', async () => {
    const ca = await makeCa();
    const client = new TestClient(ca.server);
    const { certDer } = await client.issue(ca, [dns('renew.example.com')]);
    const certId = certIdOf(readCertificate(certDer, 'test'))!;
    const first = await client.newOrder([dns('renew.example.com')], { replaces: certId });
    expect(first.status).toBe(201);
    expect(jsonBody(first)['replaces']).toBe(certId);
    const second = await client.newOrder([dns('renew.example.com')], { replaces: certId });
    expect(second.status).toBe(409);
    expect(jsonBody(second)['type']).toBe('urn:ietf:params:acme:error:alreadyReplaced');

    const other = new TestClient(ca.server);
    await other.register();
    const foreign = await other.newOrder([dns('renew.example.com')], { replaces: certId });
    expect(foreign.status).toBe(403);
    expect(String(jsonBody(foreign)['detail'])).toMatch(/not issued to the requesting account/);
    const disjoint = await client.newOrder([dns('elsewhere.example.com')], { replaces: certId });
    expect(disjoint.status).toBe(400);
    expect(String(jsonBody(disjoint)['detail'])).toMatch(/shares no identifier/);
  });
});
