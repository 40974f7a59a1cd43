import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsr, parseCsrBase64url, parseCsrDer, type ParsedCsr } from '../../src/csr/parse.js';
import { csrDerFromPem } from '../../src/csr/encoding.js';
import { children, encodingOf, readSingle } from '../../src/x509/der-reader.js';
import { bitString, concatDer, encodeDer, explicit, integer, oid, sequence, tlv, Tag } from '../../src/x509/der.js';
import { algorithmIdentifierDer } from '../../src/signers/algorithms.js';
import { softwareSignerFromPem } from '../../src/signers/software.js';
import { CertwrightError } from '../../src/errors.js';
import { createPrivateKey, createPublicKey } from 'node:crypto';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/keys/${name}`, import.meta.url), 'utf8');
const spkiOfKey = (name: string): Uint8Array =>
  new Uint8Array(createPublicKey(createPrivateKey(fixture(name))).export({ format: 'der', type: 'spki' }));

async function badCsr(promise: Promise<ParsedCsr>, detail: RegExp): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CertwrightError);
  expect((err as CertwrightError).code).toBe('badCSR');
  expect((err as CertwrightError).detail).toMatch(detail);
}

/** Builds and signs a CSR from raw parts, for structures OpenSSL will not produce. */
async function buildCsr(parts: { version?: number; subject?: Uint8Array; extensions?: Uint8Array[]; attributes?: Uint8Array }): Promise<Uint8Array> {
  const signer = softwareSignerFromPem(fixture('p256-sec1.pem'));
  const extensionRequest = sequence(oid('1.2.840.113549.1.9.14'), tlv(Tag.SET, sequence(...(parts.extensions ?? []))));
  const info = encodeDer(
    sequence(integer(parts.version ?? 0), parts.subject ?? sequence(), signer.publicKeySpki, parts.attributes ?? explicit(0, extensionRequest)),
  );
  const signature = await signer.sign(info);
  return encodeDer(sequence(info, algorithmIdentifierDer(signer.algorithm), bitString(signature)));
}

function sanExtension(...names: [number, Uint8Array][]): Uint8Array {
  const generalNames = sequence(...names.map(([tag, value]) => tlv(tag, value)));
  return encodeDer(sequence(oid('2.5.29.17'), tlv(Tag.OCTET_STRING, generalNames)));
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('parseCsr: valid requests from OpenSSL', () => {
  it.each([
    ['csr-p256.pem', 'p256-sec1.pem', 'ecdsa-with-SHA256', 'example.com', ['example.com', 'www.example.com']],
    ['csr-p384.pem', 'p384-pkcs8.pem', 'ecdsa-with-SHA256', 'example.org', ['example.org']],
    ['csr-rsa2048.pem', 'rsa2048-pkcs1.pem', 'sha256WithRSAEncryption', 'rsa.example', ['rsa.example']],
    ['csr-ed25519.pem', 'ed25519-pkcs8.pem', 'Ed25519', 'ed.example', ['ed.example']],
    ['csr-rsa-pss.pem', 'rsa2048-pkcs1.pem', 'rsassa-pss-sha256', 'pss.example', ['pss.example']],
  ])('%s', async (file, key, algorithm, commonName, dnsNames) => {
    const csr = await parseCsr(fixture(file));
    expect(csr.signatureAlgorithm).toBe(algorithm);
    expect(csr.commonName).toBe(commonName);
    expect(csr.dnsNames).toEqual(dnsNames);
    expect(csr.ipAddresses).toEqual([]);
    expect(csr.subjectPublicKeyInfo).toEqual(spkiOfKey(key));
    expect(csr.der).toEqual(csrDerFromPem(fixture(file)));
  });

  it('reports requested extensions by OID without acting on them', async () => {
    const csr = await parseCsr(fixture('csr-rsa2048.pem'));
    expect(csr.requestedExtensions).toEqual(['2.5.29.17', '2.5.29.15', '2.5.29.19']);
  });

  it('reads IPv4 and IPv6 SANs in canonical form (RFC 5952)', async () => {
    const csr = await parseCsr(fixture('csr-ip.pem'));
    expect(csr.commonName).toBeUndefined();
    expect(csr.ipAddresses).toEqual(['192.0.2.1', '2001:db8::1', '2001:db8:0:1::']);
    expect(csr.dnsNames).toEqual(['ip.example']);
  });

  it('accepts a CSR with only a commonName', async () => {
    const csr = await parseCsr(fixture('csr-cn-only.pem'));
    expect(csr).toMatchObject({ commonName: 'cn-only.example', dnsNames: [], requestedExtensions: [] });
  });
});

describe('parseCsr: input forms', () => {
  const pem = fixture('csr-p256.pem');
  const der = csrDerFromPem(pem);

  it('accepts DER bytes, the legacy NEW CERTIFICATE REQUEST label and base64url', async () => {
    expect((await parseCsr(der)).dnsNames).toEqual(['example.com', 'www.example.com']);
    expect((await parseCsr(pem.replaceAll('CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'))).commonName).toBe('example.com');
    expect((await parseCsrBase64url(Buffer.from(der).toString('base64url'))).commonName).toBe('example.com');
    expect((await parseCsrDer(der)).commonName).toBe('example.com');
  });

  it('rejects padded, standard-alphabet or empty base64url', async () => {
    const b64 = Buffer.from(der).toString('base64');
    await badCsr(parseCsrBase64url(b64.includes('+') || b64.includes('/') ? b64 : b64 + '='), /not unpadded base64url/);
    await badCsr(parseCsrBase64url(''), /not unpadded base64url/);
    await badCsr(parseCsrBase64url(Buffer.from(der).toString('base64url') + '=='), /not unpadded base64url/);
  });

  it('rejects text without exactly one request block, and mismatched labels', async () => {
    await badCsr(parseCsr('hello'), /exactly one PEM CERTIFICATE REQUEST block, found 0/);
    await badCsr(parseCsr(pem + pem), /found 2/);
    await badCsr(parseCsr(pem.replace('-----END CERTIFICATE REQUEST', '-----END NEW CERTIFICATE REQUEST')), /ends with END NEW/);
    await badCsr(parseCsr(pem.replace(/\n[A-Za-z0-9]/, '\n*')), /not valid base64/);
  });

  it('rejects trailing garbage after the DER', async () => {
    await badCsr(parseCsr(concatDer(der, Uint8Array.of(0))), /malformed: trailing data: 1 byte after the DER value/);
    await badCsr(parseCsrBase64url(Buffer.from(concatDer(der, Uint8Array.of(0x30, 0x00))).toString('base64url')), /trailing/);
  });
});

describe('parseCsr: rejected requests', () => {
  it('rejects a bad signature', async () => {
    const der = csrDerFromPem(fixture('csr-p256.pem')).slice();
    der[der.length - 5]! ^= 0x01;
    await badCsr(parseCsr(der), /signature does not verify/);
  });

  it('rejects a changed request body', async () => {
    const der = csrDerFromPem(fixture('csr-p256.pem')).slice();
    const at = Buffer.from(der).indexOf(Buffer.from('example.com'));
    der[at] = 'E'.charCodeAt(0);
    await badCsr(parseCsr(der), /signature does not verify/);
  });

  it.each([
    ['csr-rsa-sha1.pem', /sha1WithRSAEncryption \(1\.2\.840\.113549\.1\.1\.5\): SHA-1 and MD5 are not accepted/],
    ['csr-ecdsa-sha1.pem', /ecdsa-with-SHA1 \(1\.2\.840\.10045\.4\.1\)/],
    ['csr-rsa-sha224.pem', /signature algorithm 1\.2\.840\.113549\.1\.1\.14 \(or its parameters\) is not supported/],
  ])('rejects %s naming the algorithm', async (file, detail) => {
    await badCsr(parseCsr(fixture(file)), detail);
  });

  it('rejects a CSR without any name', async () => {
    await badCsr(parseCsr(fixture('csr-no-names.pem')), /neither a commonName nor subjectAltNames/);
  });

  it('rejects SAN types other than DNS and IP', async () => {
    await badCsr(parseCsr(fixture('csr-email-san.pem')), /rfc822Name SAN/);
  });

  it('rejects two commonNames', async () => {
    await badCsr(parseCsr(fixture('csr-two-cns.pem')), /2 commonNames/);
  });

  it('rejects an IP SAN that is neither 4 nor 16 octets', async () => {
    const csr = await buildCsr({ extensions: [sanExtension([0x87, Uint8Array.of(10, 0, 0, 1, 0)])] });
    await badCsr(parseCsr(csr), /iPAddress SAN in the CSR has 5 octets/);
  });

  it('rejects a non-ASCII or empty dNSName', async () => {
    await badCsr(parseCsr(await buildCsr({ extensions: [sanExtension([0x82, Uint8Array.of(0xc3, 0xa9)])] })), /not ASCII/);
    await badCsr(parseCsr(await buildCsr({ extensions: [sanExtension([0x82, new Uint8Array()])] })), /empty or not ASCII/);
  });

  it('rejects an empty subjectAltName and a repeated extension', async () => {
    await badCsr(parseCsr(await buildCsr({ extensions: [sanExtension()] })), /subjectAltName extension is empty/);
    const san = sanExtension([0x82, ascii('a.example')]);
    await badCsr(parseCsr(await buildCsr({ extensions: [san, san] })), /requests extension 2\.5\.29\.17 twice/);
  });

  it('rejects a version other than v1', async () => {
    await badCsr(parseCsr(await buildCsr({ version: 1, extensions: [sanExtension([0x82, ascii('a.example')])] })), /version must be v1/);
  });

  it('rejects a request without the attributes field', async () => {
    const csr = await buildCsr({ attributes: new Uint8Array() });
    await badCsr(parseCsr(csr), /malformed: missing attributes/);
  });

  it('accepts a hand-built request, proving the builder is sound', async () => {
    const csr = await parseCsr(await buildCsr({ extensions: [sanExtension([0x82, ascii('A.Example')], [0x87, new Uint8Array(16)])] }));
    expect(csr.dnsNames).toEqual(['a.example']);
    expect(csr.ipAddresses).toEqual(['::']);
    // The SPKI is returned exactly as it appears in the request.
    const info = children(children(readSingle(csr.der))[0]!);
    expect(csr.subjectPublicKeyInfo).toEqual(encodingOf(info[2]!));
  });
});
