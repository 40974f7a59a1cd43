import { afterEach, describe, expect, it } from 'vitest';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { generateKeyPairSync, sign } from 'node:crypto';
import { assembleSigned, der, encodeName, encodeTbs, extension, isCertwrightError, subjectAltNameExtension } from '@certwright/core';
import type { CertwrightError, Identifier } from '@certwright/core';
import { checkAcmeTlsCertificate } from '../../src/validation/acme-tls-certificate.js';
import { createConnectionPolicy } from '../../src/validation/connection-policy.js';
import { keyAuthorizationDigest } from '../../src/validation/key-authorization-digest.js';
import { reverseDnsName } from '../../src/validation/reverse-dns-name.js';
import { tlsAlpn01Validator } from '../../src/validation/tls-alpn01.js';
import { KEY_AUTHZ, buildAcmeCert, generalName, inputFor, memoryResolver, rawSanExtension, startTlsServer } from './helpers.js';
import type { AcmeCertSpec } from './helpers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function failure(promise: Promise<unknown>): Promise<CertwrightError> {
  try {
    await promise;
  } catch (err) {
    if (isCertwrightError(err)) return err;
    throw err;
  }
  throw new Error('expected the validation to fail');
}

const NAME: Identifier = { type: 'dns', value: 'alpn.test' };
const acmeExtension = () => extension('1.3.6.1.5.5.7.1.31', true, der.octetString(keyAuthorizationDigest(KEY_AUTHZ)));
const resolver = memoryResolver({ a: { 'alpn.test': ['127.0.0.1'] } });

async function serve(identifier: Identifier, spec: AcmeCertSpec = {}, alpn: string[] | null = ['acme-tls/1']) {
  const material = await buildAcmeCert(identifier, spec);
  const server = await startTlsServer(material, alpn ?? undefined);
  closers.push(() => server.close());
  return server;
}

function validator(port: number, policy = createConnectionPolicy({ allowedRanges: ['127.0.0.0/8'], ports: { tlsAlpn01: port } })) {
  return tlsAlpn01Validator({ resolver, policy, timeoutMs: 2000, handshakeTimeoutMs: 1000 });
}

describe('reverseDnsName (RFC 8738 §6)', () => {
  it('maps IPv4 and IPv6 addresses to their reverse names', () => {
    expect(reverseDnsName('1.2.3.4')).toBe('4.3.2.1.in-addr.arpa');
    expect(reverseDnsName('2001:db8::567:89ab')).toBe('b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
  });
});

describe('tls-alpn-01', () => {
  it('validates a name: SNI is the name, acme-tls/1 negotiated, certificate checked', async () => {
    const server = await serve(NAME);
    const result = await validator(server.port).validate(inputFor('alpn.test'));
    expect(result.record).toEqual([expect.objectContaining({ hostname: 'alpn.test', serverName: 'alpn.test', addressUsed: '127.0.0.1', port: server.port })]);
    expect(server.servernames).toEqual(['alpn.test']);
  });

  it('validates an IP identifier with the reverse name as SNI and an iPAddress SAN', async () => {
    const ip: Identifier = { type: 'ip', value: '127.0.0.1' };
    const server = await serve(ip);
    await validator(server.port).validate(inputFor('127.0.0.1', 'ip'));
    expect(server.servernames).toEqual(['1.0.0.127.in-addr.arpa']);
  });

  it('validates an IPv6 identifier with the ip6.arpa name as SNI', async () => {
    const ip: Identifier = { type: 'ip', value: '::1' };
    const material = await buildAcmeCert(ip);
    const server = await startTlsServer(material, ['acme-tls/1'], '::1');
    closers.push(() => server.close());
    const v = tlsAlpn01Validator({ resolver, policy: createConnectionPolicy({ allowedRanges: ['::1/128'], ports: { tlsAlpn01: server.port } }), timeoutMs: 2000 });
    await v.validate(inputFor('::1', 'ip'));
    expect(server.servernames).toEqual([`1.${'0.'.repeat(31)}ip6.arpa`]);
  });

  it('refuses loopback under the default policy', async () => {
    const server = await serve(NAME);
    const err = await failure(validator(server.port, createConnectionPolicy({ ports: { tlsAlpn01: server.port } })).validate(inputFor('alpn.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain('127.0.0.0/8');
    expect(server.servernames).toEqual([]);
  });

  it('fails with tls when the server negotiates no ALPN protocol', async () => {
    const server = await serve(NAME, {}, null);
    const err = await failure(validator(server.port).validate(inputFor('alpn.test')));
    expect(err.code).toBe('tls');
    expect(err.detail).toContain('did not negotiate the ALPN protocol acme-tls/1');
  });

  it('fails with tls when the server only speaks another ALPN protocol', async () => {
    const server = await serve(NAME, {}, ['h2']);
    const err = await failure(validator(server.port).validate(inputFor('alpn.test')));
    expect(err.code).toBe('tls');
  });

  const hostile: [string, AcmeCertSpec, string][] = [
    ['a non-critical acmeIdentifier extension', { acmeExtension: { critical: false } }, 'is not marked critical'],
    ['the legacy OID', { acmeExtension: { oid: '1.3.6.1.5.5.7.1.30.1' } }, 'obsolete acmeIdentifier OID 1.3.6.1.5.5.7.1.30.1'],
    ['no acmeIdentifier extension', { acmeExtension: 'absent' }, 'has no acmeIdentifier extension'],
    ['a wrong digest', { acmeExtension: { digest: keyAuthorizationDigest('other.key-authz') } }, "does not hold SHA-256 of this challenge's key authorization"],
    ['an extra SAN', { sans: [NAME, { type: 'dns', value: 'extra.test' }] }, 'must hold exactly one name, alpn.test, but holds 2'],
    ['a SAN for another name', { sans: [{ type: 'dns', value: 'other.test' }] }, 'holds dNSName "other.test", not alpn.test'],
    ['an iPAddress SAN for a name', { sans: [{ type: 'ip', value: '127.0.0.1' }] }, 'holds iPAddress of 4 bytes, not alpn.test'],
    ['a certificate that is not self-signed', { foreignIssuer: true }, 'is not self-signed'],
    ['a duplicated acmeIdentifier extension', { extraExtensions: [acmeExtension()] }, 'the acmeIdentifier extension appears 2 times'],
    ['an acmeIdentifier that is not an OCTET STRING', { acmeExtension: { rawValue: der.utf8String('digest') } }, 'does not hold an OCTET STRING'],
    ['a URI SAN', { rawSan: rawSanExtension([generalName(0x86, 'https://alpn.test/')]) }, 'holds GeneralName with tag 0x86, not alpn.test'],
    ['an empty SAN', { rawSan: rawSanExtension([]) }, 'must hold exactly one name, alpn.test, but holds 0'],
    ['a dNSName SAN with a trailing NUL', { rawSan: rawSanExtension([generalName(0x82, 'alpn.test\u0000')]) }, 'not alpn.test'],
  ];

  it.each(hostile)('rejects %s with incorrectResponse', async (_what, spec, rule) => {
    const server = await serve(NAME, spec);
    const err = await failure(validator(server.port).validate(inputFor('alpn.test')));
    expect(err.code).toBe('incorrectResponse');
    expect(err.detail).toContain(rule);
  });

  it('times out when the server accepts TCP but never speaks TLS', async () => {
    const sockets: Socket[] = [];
    const silent = createNetServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => (sockets.forEach((s) => s.destroy()), silent.close(() => resolve()))));
    const port = (silent.address() as AddressInfo).port;
    const v = tlsAlpn01Validator({ resolver, policy: createConnectionPolicy({ allowedRanges: ['127.0.0.0/8'], ports: { tlsAlpn01: port } }), handshakeTimeoutMs: 300 });
    const err = await failure(v.validate(inputFor('alpn.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toBe(`Timed out after 300 ms in the TLS handshake with 127.0.0.1 port ${port}`);
  });

  it('reports a closed port as a connection failure', async () => {
    const server = await serve(NAME);
    const port = server.port;
    await closers.pop()!();
    const err = await failure(validator(port).validate(inputFor('alpn.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain('ECONNREFUSED');
  });
});

describe('checkAcmeTlsCertificate', () => {
  it('accepts a correct certificate and matches names case-insensitively', async () => {
    const { der } = await buildAcmeCert({ type: 'dns', value: 'Mixed.Test' });
    await expect(checkAcmeTlsCertificate(der, { type: 'dns', value: 'mixed.test' }, KEY_AUTHZ)).resolves.toBeUndefined();
  });

  it('rejects a tampered signature', async () => {
    const { der } = await buildAcmeCert(NAME);
    const tampered = der.slice();
    tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 0x01;
    const err = await failure(checkAcmeTlsCertificate(tampered, NAME, KEY_AUTHZ));
    expect(err.code).toBe('incorrectResponse');
    expect(err.detail).toContain('its self-signature does not verify under its own public key');
  });

  it('rejects a signature algorithm core does not accept (SHA-1)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sha1WithRsa = der.encodeDer(der.sequence(der.oid('1.2.840.113549.1.1.5'), der.NULL_DER));
    const name = encodeName([{ type: 'CN', value: 'x' }]);
    const tbs = encodeTbs({
      serial: Uint8Array.of(1),
      signatureAlgorithm: sha1WithRsa,
      issuer: name,
      subject: name,
      notBefore: new Date('2026-01-01T00:00:00Z'),
      notAfter: new Date('2027-01-01T00:00:00Z'),
      spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
      extensions: [subjectAltNameExtension([NAME], false), acmeExtension()],
    });
    const certificate = assembleSigned(tbs, sha1WithRsa, new Uint8Array(sign('sha1', tbs, privateKey)));
    const err = await failure(checkAcmeTlsCertificate(certificate, NAME, KEY_AUTHZ));
    expect(err.code).toBe('incorrectResponse');
    expect(err.detail).toContain('signed with an unsupported signature algorithm');
  });

  it('rejects garbage', async () => {
    const err = await failure(checkAcmeTlsCertificate(Uint8Array.of(0x30, 0x03, 0x02, 0x01), NAME, KEY_AUTHZ));
    expect(err.code).toBe('incorrectResponse');
    expect(err.detail).toContain('not a well-formed DER certificate');
  });

});
