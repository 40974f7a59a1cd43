import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { importSpkiPublicKey } from '../../src/signers/import-public-key.js';

const spkiOf = (key: KeyObject): Uint8Array => new Uint8Array(key.export({ format: 'der', type: 'spki' }));
const KEYS: [string, KeyObject][] = [
  ['P-256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey],
  ['P-384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey],
  ['P-521', generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey],
  ['RSA-2048', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey],
  ['RSA-2048 e=3', generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 }).publicKey],
  ['Ed25519', generateKeyPairSync('ed25519').publicKey],
  ['RSASSA-PSS', generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).publicKey],
];

describe('importSpkiPublicKey', () => {
  it.each(KEYS)('imports a %s key as exactly the key the SPKI holds', (_name, key) => {
    const spki = spkiOf(key);
    const imported = importSpkiPublicKey(spki);
    expect(imported).toBeDefined();
    expect(Buffer.from(spkiOf(imported!)).equals(Buffer.from(spki))).toBe(true);
    expect(imported!.asymmetricKeyType).toBe(key.asymmetricKeyType);
  });

  it('imports a compressed P-256 point through the DER route', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const jwk = key.export({ format: 'jwk' });
    const y = Buffer.from(jwk.y!, 'base64url');
    const compressedPoint = Buffer.concat([Buffer.of(2 + (y[31]! & 1)), Buffer.from(jwk.x!, 'base64url')]);
    const uncompressed = spkiOf(key);
    // Same AlgorithmIdentifier, compressed subjectPublicKey (SEC 1 §2.3.3).
    const prefix = uncompressed.subarray(0, uncompressed.length - 65 - 3);
    const compressed = Buffer.concat([Buffer.from(prefix), Buffer.of(0x03, 34, 0x00), compressedPoint]);
    compressed[1] = compressed.length - 2;
    const imported = importSpkiPublicKey(compressed);
    expect(imported?.export({ format: 'jwk' })).toEqual(jwk);
  });

  it('refuses a P-256 point that is not on the curve, like the DER route', () => {
    const spki = spkiOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    spki[spki.length - 1]! ^= 1;
    expect(() => createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })).toThrow();
    expect(importSpkiPublicKey(spki)).toBeUndefined();
  });

  it('refuses malformed DER, trailing bytes and a truncated key', () => {
    const spki = spkiOf(generateKeyPairSync('ed25519').publicKey);
    expect(importSpkiPublicKey(new Uint8Array([0x30, 0x03, 0x02, 0x01]))).toBeUndefined();
    expect(importSpkiPublicKey(new Uint8Array([...spki, 0]))).toBeUndefined();
    expect(importSpkiPublicKey(spki.subarray(0, spki.length - 1))).toBeUndefined();
    expect(importSpkiPublicKey(new Uint8Array(0))).toBeUndefined();
  });
});
