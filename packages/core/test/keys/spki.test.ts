import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePublicKeyInfo, spkiSha256Hex } from '../../src/keys/spki.js';
import { ecSpki, ed25519Spki, jwkThumbprint, jwkToSpki, rsaSpki } from '../../src/keys/jwk.js';
import type { PublicJwk } from '../../src/domain/entities.js';
import { CURVES, isOnCurve, type NamedCurve } from '../../src/keys/curves.js';
import { keyFixture, spkiOf } from './fixtures.js';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { children, encodingOf, readSingle } from '../../src/x509/der-reader.js';
import { bitString, encodeDer, integer, oid, sequence, tlv, Tag } from '../../src/x509/der.js';

describe('parsePublicKeyInfo', () => {
  it('decodes RSA keys', () => {
    const info = parsePublicKeyInfo(spkiOf('rsa2048-pkcs1.pem'));
    expect(info.kind).toBe('rsa');
    if (info.kind !== 'rsa') return;
    expect(info.bits).toBe(2048);
    expect(info.exponent).toBe(65537n);
    const jwk = createPublicKey(keyFixture('rsa2048-pkcs1.pem')).export({ format: 'jwk' });
    expect(info.modulus.toString(16)).toBe(Buffer.from(jwk.n!, 'base64url').toString('hex').replace(/^0+/, ''));
  });

  it.each([
    ['p256-sec1.pem', 'P-256'],
    ['p384-pkcs8.pem', 'P-384'],
    ['p521-pkcs8.pem', 'P-521'],
  ] as const)('decodes %s as an uncompressed %s point', (file, curve) => {
    const info = parsePublicKeyInfo(spkiOf(file));
    expect(info).toMatchObject({ kind: 'ec', curve });
    const jwk = createPublicKey(keyFixture(file)).export({ format: 'jwk' });
    if (info.kind !== 'ec') return;
    expect(info.x).toBe(BigInt('0x' + Buffer.from(jwk.x!, 'base64url').toString('hex')));
    expect(info.y).toBe(BigInt('0x' + Buffer.from(jwk.y!, 'base64url').toString('hex')));
  });

  it('decodes Ed25519 and names other algorithms by OID', () => {
    expect(parsePublicKeyInfo(spkiOf('ed25519-pkcs8.pem'))).toMatchObject({ kind: 'ed25519' });
    expect(parsePublicKeyInfo(spkiOf('ed448-pkcs8.pem'))).toEqual({ kind: 'other', algorithm: '1.3.101.113' });
  });

  it('names an unknown curve by its OID', () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey.export({ format: 'der', type: 'spki' });
    expect(parsePublicKeyInfo(new Uint8Array(k1))).toMatchObject({ kind: 'ec', curve: '1.3.132.0.10' });
  });

  it('rejects trailing bytes, compressed points, the point at infinity and bad RSA parameters', () => {
    const p256 = spkiOf('p256-sec1.pem');
    expect(() => parsePublicKeyInfo(Uint8Array.from([...p256, 0]))).toThrow(/trailing/);
    const compressed = createPublicKey(keyFixture('p256-sec1.pem')).export({ format: 'der', type: 'spki' });
    const c = new Uint8Array(compressed);
    // Replace the uncompressed point by a compressed-form prefix.
    c[c.length - 65] = 0x02;
    expect(() => parsePublicKeyInfo(c)).toThrow(/uncompressed/);
    const algorithm = encodingOf(children(readSingle(p256))[0]!);
    const infinity = encodeDer(sequence(algorithm, bitString(Uint8Array.of(0))));
    expect(() => parsePublicKeyInfo(infinity)).toThrow(/point at infinity/);
    const rsa = spkiOf('rsa2048-pkcs1.pem');
    const badParams = rsa.slice();
    // The NULL (05 00) after the rsaEncryption OID becomes BOOLEAN-tagged.
    const nullAt = Buffer.from(badParams).indexOf(Buffer.from('0500', 'hex'));
    badParams[nullAt] = 0x01;
    expect(() => parsePublicKeyInfo(badParams)).toThrow(/must be NULL/);
  });
});

describe('parsePublicKeyInfo: malformed keys', () => {
  const spki = (algorithm: Uint8Array[], key: Uint8Array): Uint8Array => encodeDer(sequence(sequence(...algorithm), bitString(key)));
  const int = (hex: string): Uint8Array => encodeDer(tlv(Tag.INTEGER, Buffer.from(hex, 'hex')));

  it('rejects EC keys with explicit (unnamed) curve parameters', () => {
    const key = spki([oid('1.2.840.10045.2.1'), encodeDer(sequence(integer(1)))], new Uint8Array(65).fill(4, 0, 1));
    expect(() => parsePublicKeyInfo(key)).toThrow(/must name their curve/);
  });

  it('rejects EC points of the wrong length', () => {
    const key = spki([oid('1.2.840.10045.2.1'), oid('1.2.840.10045.3.1.7')], Uint8Array.of(4, ...new Uint8Array(63)));
    expect(() => parsePublicKeyInfo(key)).toThrow(/64 bytes, not 65/);
  });

  it('rejects Ed25519 keys with parameters or of the wrong length', () => {
    expect(() => parsePublicKeyInfo(spki([oid('1.3.101.112'), Uint8Array.of(5, 0)], new Uint8Array(32)))).toThrow(/absent parameters/);
    expect(() => parsePublicKeyInfo(spki([oid('1.3.101.112')], new Uint8Array(31)))).toThrow(/32 bytes, not 31/);
  });

  it('rejects RSA keys with extra fields, negative or non-minimal integers', () => {
    const rsa = (...fields: Uint8Array[]): Uint8Array =>
      spki([oid('1.2.840.113549.1.1.1'), Uint8Array.of(5, 0)], encodeDer(sequence(...fields)));
    expect(() => parsePublicKeyInfo(rsa(int('00c1'), int('010001'), int('01')))).toThrow(/exactly modulus and exponent/);
    expect(() => parsePublicKeyInfo(rsa(int('c1'), int('010001')))).toThrow(/must be positive/);
    expect(() => parsePublicKeyInfo(rsa(int('0001'), int('010001')))).toThrow(/non-minimal INTEGER/);
  });

  it('rejects non-DER lengths', () => {
    const good = spkiOf('ed25519-pkcs8.pem');
    const longForm = Uint8Array.from([0x30, 0x81, good[1]!, ...good.subarray(2)]);
    expect(() => parsePublicKeyInfo(longForm)).toThrow(/non-minimal length/);
    expect(() => parsePublicKeyInfo(Uint8Array.from([0x30, 0x80, ...good.subarray(2), 0, 0]))).toThrow(/indefinite length/);
  });
});

describe('curves', () => {
  it.each(['P-256', 'P-384', 'P-521'] as NamedCurve[])('every generated %s key is on the curve; a changed y is not', (curve) => {
    for (let i = 0; i < 5; i++) {
      const jwk = generateKeyPairSync('ec', { namedCurve: curve }).publicKey.export({ format: 'jwk' });
      const x = BigInt('0x' + Buffer.from(jwk.x!, 'base64url').toString('hex'));
      const y = BigInt('0x' + Buffer.from(jwk.y!, 'base64url').toString('hex'));
      expect(isOnCurve(curve, x, y)).toBe(true);
      expect(isOnCurve(curve, x, y ^ 1n)).toBe(false);
      expect(isOnCurve(curve, x, y + CURVES[curve].p)).toBe(false);
    }
  });
});

describe('spkiSha256Hex', () => {
  it('is the lowercase hex SHA-256 of the DER', () => {
    const spki = spkiOf('p256-sec1.pem');
    expect(spkiSha256Hex(spki)).toBe(createHash('sha256').update(spki).digest('hex'));
    expect(spkiSha256Hex(spki)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('JWK conversion', () => {
  it.each(['rsa2048-pkcs1.pem', 'p256-sec1.pem', 'p384-pkcs8.pem', 'p521-pkcs8.pem', 'ed25519-pkcs8.pem'])(
    'builds the same SPKI as OpenSSL for %s',
    (file) => {
      const jwk = createPublicKey(keyFixture(file)).export({ format: 'jwk' }) as PublicJwk;
      expect(Buffer.from(jwkToSpki(jwk)).toString('hex')).toBe(Buffer.from(spkiOf(file)).toString('hex'));
    },
  );

  it('rejects unsupported and malformed JWKs', () => {
    expect(() => jwkToSpki({ kty: 'oct', k: 'AAAA' })).toThrow(/unsupported JWK key type oct/);
    expect(() => jwkToSpki({ kty: 'EC', crv: 'secp256k1', x: 'AA', y: 'AA' })).toThrow(/unsupported JWK curve secp256k1/);
    expect(() => jwkToSpki({ kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' })).toThrow(/must be 32 bytes/);
    expect(() => jwkToSpki({ kty: 'RSA', n: 'AQAB=', e: 'AQAB' })).toThrow(/"n" is not base64url/);
    expect(() => jwkToSpki({ kty: 'RSA', n: 'AAEB', e: 'AQAB' })).toThrow(/leading zero/);
    expect(() => jwkToSpki({ kty: 'OKP', crv: 'X25519', x: 'AAAA' })).toThrow(/OKP curve X25519/);
  });

  it('encodes integers with a sign octet where needed', () => {
    const spki = rsaSpki(0x80n, 3n);
    expect(parsePublicKeyInfo(spki)).toMatchObject({ kind: 'rsa', modulus: 0x80n, exponent: 3n, bits: 8 });
    expect(parsePublicKeyInfo(ecSpki('P-256', 1n, 2n))).toMatchObject({ kind: 'ec', curve: 'P-256', x: 1n, y: 2n });
    expect(() => ed25519Spki(new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('jwkThumbprint', () => {
  it('matches the RFC 7638 §3.1 example', () => {
    const jwk: PublicJwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('uses only the required members and refuses missing ones', () => {
    const jwk = createPublicKey(keyFixture('p256-sec1.pem')).export({ format: 'jwk' }) as PublicJwk;
    expect(jwkThumbprint({ ...jwk, kid: 'x', use: 'sig' })).toBe(jwkThumbprint(jwk));
    const { y: _y, ...noY } = jwk;
    expect(() => jwkThumbprint(noY as PublicJwk)).toThrow(/"y" is missing/);
    expect(() => jwkThumbprint({ kty: 'oct' })).toThrow(/unsupported/);
  });
});
