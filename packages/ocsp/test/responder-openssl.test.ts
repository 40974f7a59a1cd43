import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createDelegatedResponder, createOcspResponder, type OcspResponder } from '../src/index.js';
import { cryptoRandom, type IssuedCertificate } from '@certwright/core';
import { opensslDir, serve, testCa, type OpensslDir, type TestCa } from './helpers.js';

/** `openssl ocsp` against the handler over node:http: POST, GET, good, revoked, unauthorized, retired issuers, delegation. */
describe('OCSP responder with openssl', () => {
  let ca: TestCa;
  let responder: OcspResponder;
  let server: Awaited<ReturnType<typeof serve>>;
  let ssl: OpensslDir;
  let good: IssuedCertificate;
  let revoked: IssuedCertificate;
  let oldLeaf: IssuedCertificate;

  beforeAll(async () => {
    ca = await testCa();
    good = await ca.issue();
    revoked = await ca.issue();
    oldLeaf = await ca.issue('old.example.test', ca.retiredEngine);
    responder = await createOcspResponder({ store: ca.store, issuers: ca.issuers, clock: ca.clock });
    server = await serve(responder);
    ssl = opensslDir();
    ssl.writePem('root.pem', [ca.root.certificate]);
    ssl.writePem('inter.pem', [ca.active.certificate]);
    ssl.writePem('old-inter.pem', [ca.retired.certificate]);
    ssl.writePem('good.pem', [good.certificateDer]);
    ssl.writePem('revoked.pem', [revoked.certificateDer]);
    ssl.writePem('old-leaf.pem', [oldLeaf.certificateDer]);
  });

  afterAll(async () => {
    await responder.close();
    await server.close();
    ssl.cleanup();
  });

  const ocsp = (issuer: string, cert: string, ...extra: string[]) =>
    ssl.run(['ocsp', '-issuer', issuer, '-cert', cert, '-url', server.url, '-CAfile', 'root.pem', '-no_nonce', ...extra]);

  it('reports a fresh certificate as good over POST, with a verified signature', async () => {
    const r = await ocsp('inter.pem', 'good.pem');
    expect(r.output).toContain('Response verify OK');
    expect(r.output).toContain('good.pem: good');
    expect(r.output).toMatch(/This Update: .*\n\s*Next Update: /);
  });

  it('answers a SHA-256 CertID', async () => {
    const r = await ssl.run(['ocsp', '-issuer', 'inter.pem', '-sha256', '-cert', 'good.pem', '-url', server.url, '-CAfile', 'root.pem', '-no_nonce', '-resp_text']);
    expect(r.output).toContain('Hash Algorithm: sha256');
    expect(r.output).toContain('Response verify OK');
    expect(r.output).toContain('good.pem: good');
  });

  it('reports a revoked certificate with its reason and time, right after the admin revocation', async () => {
    expect((await ocsp('inter.pem', 'revoked.pem')).output).toContain('revoked.pem: good');
    const revocation = await responder.revoke(revoked.serial, 'keyCompromise');
    const r = await ocsp('inter.pem', 'revoked.pem');
    expect(r.output).toContain('Response verify OK');
    expect(r.output).toContain('revoked.pem: revoked');
    expect(r.output).toContain('Reason: keyCompromise');
    const when = revocation.revokedAt.toUTCString().replace(/^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$2 $1 $4 $3');
    expect(r.output.replace(/ +/g, ' ')).toContain(`Revocation Time: ${when.replace(/ 0(\d) /, ' $1 ')} GMT`);
  });

  it('answers an unknown serial with the unauthorized status', async () => {
    const r = await ssl.run(['ocsp', '-issuer', 'inter.pem', '-serial', '0x0123456789abcdef0123', '-url', server.url, '-CAfile', 'root.pem', '-no_nonce']);
    expect(r.output).toContain('Responder Error: unauthorized (6)');
  });

  it('answers a serial of another issuer with unauthorized, never good', async () => {
    const r = await ssl.run(['ocsp', '-issuer', 'inter.pem', '-serial', `0x${oldLeaf.serial}`, '-url', server.url, '-CAfile', 'root.pem', '-no_nonce']);
    expect(r.output).toContain('Responder Error: unauthorized (6)');
  });

  it('keeps answering for a retired issuer after key rollover', async () => {
    expect(ca.retired.status).toBe('retired');
    const r = await ocsp('old-inter.pem', 'old-leaf.pem');
    expect(r.output).toContain('Response verify OK');
    expect(r.output).toContain('old-leaf.pem: good');
  });

  it('answers GET requests built from openssl -reqout, verified with -respin', async () => {
    await ssl.run(['ocsp', '-issuer', 'inter.pem', '-cert', 'good.pem', '-no_nonce', '-reqout', 'req.der']);
    const b64 = readFileSync(ssl.path('req.der')).toString('base64');
    for (const encoded of [encodeURIComponent(b64), b64.replaceAll('/', '%2F'), b64.replaceAll('+', '%2b').replaceAll('=', '%3d').replaceAll('/', '%2f')]) {
      const res = await fetch(`${server.url}${encoded}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/ocsp-response');
      expect(res.headers.get('cache-control')).toMatch(/^max-age=\d+, public, no-transform, must-revalidate$/);
      ssl.write('resp.der', new Uint8Array(await res.arrayBuffer()));
      const v = await ssl.run(['ocsp', '-respin', 'resp.der', '-issuer', 'inter.pem', '-cert', 'good.pem', '-CAfile', 'root.pem', '-no_nonce']);
      expect(v.output).toContain('Response verify OK');
      expect(v.output).toContain('good.pem: good');
    }
  });

  it('answers GET for a revoked certificate with reason', async () => {
    await ssl.run(['ocsp', '-issuer', 'inter.pem', '-cert', 'revoked.pem', '-no_nonce', '-reqout', 'req-revoked.der']);
    const b64 = readFileSync(ssl.path('req-revoked.der')).toString('base64');
    const res = await fetch(`${server.url}${encodeURIComponent(b64)}`);
    ssl.write('resp-revoked.der', new Uint8Array(await res.arrayBuffer()));
    const v = await ssl.run(['ocsp', '-respin', 'resp-revoked.der', '-issuer', 'inter.pem', '-cert', 'revoked.pem', '-CAfile', 'root.pem', '-no_nonce']);
    expect(v.output).toContain('Response verify OK');
    expect(v.output).toContain('revoked.pem: revoked');
    expect(v.output).toContain('Reason: keyCompromise');
  });

  it('echoes the nonce when configured to, and openssl checks it', async () => {
    const echoing = await createOcspResponder({ store: ca.store, issuers: ca.issuers, clock: ca.clock, nonces: 'echo' });
    const s = await serve(echoing);
    try {
      const r = await ssl.run(['ocsp', '-issuer', 'inter.pem', '-cert', 'good.pem', '-url', s.url, '-CAfile', 'root.pem']);
      expect(r.output).toContain('Response verify OK');
      expect(r.output).not.toContain('WARNING: no nonce in response');
      expect(r.output).toContain('good.pem: good');
      // The default responder ignores nonces: openssl notices.
      const plain = await ssl.run(['ocsp', '-issuer', 'inter.pem', '-cert', 'good.pem', '-url', server.url, '-CAfile', 'root.pem']);
      expect(plain.output).toContain('WARNING: no nonce in response');
      expect(plain.output).toContain('good.pem: good');
    } finally {
      await s.close();
    }
  });

  it('signs through a delegated responder certificate that openssl accepts', async () => {
    const delegated = await createDelegatedResponder({ issuer: ca.active, keyType: 'P-256', validitySeconds: 7 * 86400, clock: ca.clock, random: cryptoRandom() });
    const d = await createOcspResponder({ store: ca.store, issuers: ca.issuers, clock: ca.clock, delegated: { [ca.active.id]: delegated } });
    const s = await serve(d);
    try {
      ssl.writePem('chain.pem', [ca.active.certificate, ca.root.certificate]);
      const r = await ssl.run(['ocsp', '-issuer', 'inter.pem', '-cert', 'good.pem', '-url', s.url, '-CAfile', 'chain.pem', '-no_nonce', '-resp_text']);
      expect(r.output).toContain('Response verify OK');
      expect(r.output).toContain('good.pem: good');
      expect(r.output).toContain('OCSP Signing');
      expect(r.output).toContain('OCSP No Check');
      ssl.writePem('delegated.pem', [delegated.certificate]);
      const text = await ssl.run(['x509', '-in', 'delegated.pem', '-noout', '-text']);
      expect(text.output).toContain('Digital Signature');
    } finally {
      await s.close();
    }
  });
});
