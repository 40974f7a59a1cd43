import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateSoftwareSigner,
  softwareSignerFromJwk,
  softwareSignerFromKeyObject,
  softwareSignerFromPem,
  type SoftwareKeyType,
} from '../../src/signers/software.js';
import { createVerifier, verifySignature } from '../../src/signers/verify.js';
import { derToP1363, p1363ToDer } from '../../src/signers/ecdsa-signature.js';
import { children, expectTag, readSingle } from '../../src/x509/der-reader.js';
import { Tag } from '../../src/x509/der.js';
import type { SignatureAlgorithm } from '../../src/signer.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/keys/${name}`, import.meta.url), 'utf8');
const data = new TextEncoder().encode('to be signed');

const CASES: [SoftwareKeyType, SignatureAlgorithm][] = [
  ['P-256', 'ecdsa-with-SHA256'],
  ['P-384', 'ecdsa-with-SHA384'],
  ['P-521', 'ecdsa-with-SHA512'],
  ['RSA-2048', 'sha256WithRSAEncryption'],
  ['Ed25519', 'Ed25519'],
];

describe('generateSoftwareSigner', () => {
  it.each(CASES)('%s signs with %s and the signature verifies', async (keyType, algorithm) => {
    const signer = await generateSoftwareSigner(keyType);
    expect(signer.keyType).toBe(keyType);
    expect(signer.algorithm).toBe(algorithm);
    const sig = await signer.sign(data);
    expect(await verifySignature(signer.publicKeySpki, algorithm, data, sig)).toBe(true);
    expect(await verifySignature(signer.publicKeySpki, algorithm, new TextEncoder().encode('other'), sig)).toBe(false);
    // Independent check with node:crypto on the exported SPKI.
    const pub = createPublicKey({ key: Buffer.from(signer.publicKeySpki), format: 'der', type: 'spki' });
    const hash = algorithm === 'Ed25519' ? null : algorithm.includes('384') ? 'sha384' : algorithm.includes('512') ? 'sha512' : 'sha256';
    expect(nodeVerify(hash, data, { key: pub, dsaEncoding: 'der' }, sig)).toBe(true);
  });

  it('returns ECDSA signatures as DER Ecdsa-Sig-Value', async () => {
    const signer = await generateSoftwareSigner('P-256');
    const sig = await signer.sign(data);
    const seq = expectTag(readSingle(sig), Tag.SEQUENCE, 'Ecdsa-Sig-Value');
    const parts = children(seq);
    expect(parts.map((p) => p.tag)).toEqual([Tag.INTEGER, Tag.INTEGER]);
  });

  it.each(['rsassa-pss-sha256', 'rsassa-pss-sha384', 'rsassa-pss-sha512', 'sha384WithRSAEncryption'] as const)(
    'RSA can sign with %s',
    async (algorithm) => {
      const signer = softwareSignerFromPem(fixture('rsa2048-pkcs1.pem'), { algorithm });
      expect(signer.algorithm).toBe(algorithm);
      const sig = await signer.sign(data);
      expect(sig.length).toBe(256);
      expect(await verifySignature(signer.publicKeySpki, algorithm, data, sig)).toBe(true);
      const other = algorithm.startsWith('rsassa-pss') ? 'sha256WithRSAEncryption' : 'rsassa-pss-sha256';
      expect(await verifySignature(signer.publicKeySpki, other, data, sig)).toBe(false);
    },
  );

  it('refuses an ECDSA hash that does not match the curve', async () => {
    await expect(generateSoftwareSigner('P-256', { algorithm: 'ecdsa-with-SHA384' })).rejects.toThrow(
      /ecdsa-with-SHA384 cannot be used with a P-256 key/,
    );
  });

  it('refuses an algorithm name it does not know (callers from plain JavaScript), even one that looks like a known family', async () => {
    await expect(generateSoftwareSigner('RSA-2048', { algorithm: 'rsassa-pss-SHA256' as never })).rejects.toThrow(/unknown signature algorithm rsassa-pss-SHA256/);
    await expect(generateSoftwareSigner('RSA-2048', { algorithm: 'sha1WithRSAEncryption' as never })).rejects.toThrow(/unknown signature algorithm/);
  });

  it('refuses an RSA algorithm for an EC key', () => {
    expect(() => softwareSignerFromPem(fixture('p256-sec1.pem'), { algorithm: 'sha256WithRSAEncryption' })).toThrow(
      /cannot be used with a P-256 key/,
    );
  });
});

describe('loading keys', () => {
  it.each([
    ['p256-sec1.pem', 'P-256'],
    ['p384-pkcs8.pem', 'P-384'],
    ['rsa2048-pkcs1.pem', 'RSA-2048'],
    ['ed25519-pkcs8.pem', 'Ed25519'],
  ] as const)('loads %s as %s and round-trips through PKCS#8', async (file, keyType) => {
    const signer = softwareSignerFromPem(fixture(file));
    expect(signer.keyType).toBe(keyType);
    const pem = signer.exportPrivateKeyPem();
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const again = softwareSignerFromPem(pem);
    expect(again.publicKeySpki).toEqual(signer.publicKeySpki);
    const sig = await again.sign(data);
    expect(await verifySignature(signer.publicKeySpki, signer.algorithm, data, sig)).toBe(true);
  });

  it('ignores an EC PARAMETERS block next to the key', () => {
    const pem = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n' + fixture('p256-sec1.pem');
    expect(softwareSignerFromPem(pem).keyType).toBe('P-256');
  });

  it('rejects text with no or several private keys', () => {
    expect(() => softwareSignerFromPem('nothing here')).toThrow(/found 0/);
    expect(() => softwareSignerFromPem(fixture('p256-sec1.pem') + fixture('p384-pkcs8.pem'))).toThrow(/found 2/);
  });

  it('rejects a public key or certificate block', () => {
    const pub = createPublicKey(createPrivateKey(fixture('p256-sec1.pem'))).export({ format: 'pem', type: 'spki' }).toString();
    expect(() => softwareSignerFromPem(pub)).toThrow(/unsupported PEM block "PUBLIC KEY"/);
  });

  it('loads an encrypted PKCS#8 key with its passphrase only', () => {
    const enc = createPrivateKey(fixture('p256-sec1.pem'))
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' })
      .toString();
    expect(() => softwareSignerFromPem(enc)).toThrow(/passphrase/);
    expect(softwareSignerFromPem(enc, { passphrase: 'pw' }).keyType).toBe('P-256');
  });

  it('rejects unsupported key sizes and curves', () => {
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    expect(() => softwareSignerFromKeyObject(rsa1024)).toThrow(/unsupported RSA key size 1024 bits/);
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey;
    expect(() => softwareSignerFromKeyObject(k1)).toThrow(/unsupported EC curve secp256k1/);
    const x25519 = generateKeyPairSync('x25519').privateKey;
    expect(() => softwareSignerFromKeyObject(x25519)).toThrow(/unsupported key type x25519/);
  });

  it('loads a private JWK and refuses a public one', async () => {
    const jwk = createPrivateKey(fixture('p384-pkcs8.pem')).export({ format: 'jwk' });
    const signer = softwareSignerFromJwk(jwk);
    expect(signer.keyType).toBe('P-384');
    expect(await verifySignature(signer.publicKeySpki, 'ecdsa-with-SHA384', data, await signer.sign(data))).toBe(true);
    const { d: _d, ...pub } = jwk;
    expect(() => softwareSignerFromJwk(pub)).toThrow(/no private key/);
  });

  it('refuses a public KeyObject', () => {
    const pub = createPublicKey(createPrivateKey(fixture('p256-sec1.pem')));
    expect(() => softwareSignerFromKeyObject(pub)).toThrow(/needs a private key/);
  });
});

describe('verifySignature', () => {
  it('is false for a key type that does not fit the algorithm, and for garbage', async () => {
    const ec = softwareSignerFromPem(fixture('p256-sec1.pem'));
    const sig = await ec.sign(data);
    expect(await verifySignature(ec.publicKeySpki, 'sha256WithRSAEncryption', data, sig)).toBe(false);
    expect(await verifySignature(ec.publicKeySpki, 'Ed25519', data, sig)).toBe(false);
    expect(await verifySignature(Uint8Array.of(1, 2, 3), 'ecdsa-with-SHA256', data, sig)).toBe(false);
    expect(await verifySignature(ec.publicKeySpki, 'ecdsa-with-SHA256', data, Uint8Array.of(0x30, 0))).toBe(false);
  });

  it('is false for a raw r||s signature where DER is required', async () => {
    const ec = softwareSignerFromPem(fixture('p256-sec1.pem'));
    const raw = derToP1363(await ec.sign(data), 32);
    expect(await verifySignature(ec.publicKeySpki, 'ecdsa-with-SHA256', data, raw)).toBe(false);
    expect(await verifySignature(ec.publicKeySpki, 'ecdsa-with-SHA256', data, p1363ToDer(raw))).toBe(true);
  });
});

describe('ECDSA signature encodings', () => {
  it('adds a zero octet for high-bit components and strips leading zeros', () => {
    const raw = new Uint8Array(64);
    raw[0] = 0x80;
    raw[63] = 1;
    const der = p1363ToDer(raw);
    expect(Buffer.from(der).toString('hex')).toBe('3026022100' + '80' + '00'.repeat(31) + '020101');
    expect(derToP1363(der, 32)).toEqual(raw);
  });

  it('rejects malformed DER signatures', () => {
    expect(() => derToP1363(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01), 32)).toThrow(/exactly r and s/);
    expect(() => derToP1363(Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01), 32)).toThrow(/not positive/);
    expect(() => derToP1363(Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00), 32)).toThrow(/trailing/);
    expect(() => p1363ToDer(new Uint8Array(63))).toThrow(RangeError);
  });
});

describe('signing on the thread pool', () => {
  it.each(CASES)('%s: signOnThreadPool gives a signature that verifies, as sign() does', async (keyType, algorithm) => {
    const signer = await generateSoftwareSigner(keyType);
    const onPool = await signer.signOnThreadPool(data);
    const onLoop = await signer.sign(data);
    for (const sig of [onPool, onLoop]) {
      expect(Buffer.isBuffer(sig)).toBe(false);
      expect(sig).toBeInstanceOf(Uint8Array);
      expect(await verifySignature(signer.publicKeySpki, algorithm, data, sig)).toBe(true);
    }
  });

  it('gives every concurrent caller its own signature', async () => {
    const signer = await generateSoftwareSigner('P-256');
    const messages = Array.from({ length: 12 }, (_, i) => new TextEncoder().encode(`message ${i}`));
    const signatures = await Promise.all(messages.map((m) => signer.signOnThreadPool(m)));
    const verifier = createVerifier(signer.publicKeySpki);
    for (const [i, sig] of signatures.entries()) {
      expect(await verifier.verify('ecdsa-with-SHA256', messages[i]!, sig)).toBe(true);
      expect(await verifier.verify('ecdsa-with-SHA256', messages[(i + 1) % messages.length]!, sig)).toBe(false);
    }
  });
});

describe('createVerifier', () => {
  it('keeps the inputs of each algorithm apart (RSA PKCS#1 v1.5 and PSS on one key)', async () => {
    const pss = await generateSoftwareSigner('RSA-2048', { algorithm: 'rsassa-pss-sha256' });
    const verifier = createVerifier(pss.publicKeySpki);
    const pkcs1 = softwareSignerFromKeyObject(createPrivateKey(pss.exportPrivateKeyPem()));
    for (let i = 0; i < 2; i++) {
      expect(await verifier.verify('rsassa-pss-sha256', data, await pss.sign(data))).toBe(true);
      expect(await verifier.verify('sha256WithRSAEncryption', data, await pss.sign(data))).toBe(false);
      expect(await verifier.verify('sha256WithRSAEncryption', data, await pkcs1.sign(data))).toBe(true);
      expect(await verifier.verify('rsassa-pss-sha256', data, await pkcs1.sign(data))).toBe(false);
      expect(await verifier.verify('ecdsa-with-SHA256', data, await pkcs1.sign(data))).toBe(false);
    }
  });

  it('verifies many signatures with one imported key', async () => {
    const signer = softwareSignerFromPem(fixture('p384-pkcs8.pem'));
    const verifier = createVerifier(signer.publicKeySpki);
    for (const text of ['a', 'b', 'c']) {
      const msg = new TextEncoder().encode(text);
      expect(await verifier.verify('ecdsa-with-SHA384', msg, await signer.sign(msg))).toBe(true);
      expect(await verifier.verify('ecdsa-with-SHA384', data, await signer.sign(msg))).toBe(false);
    }
    expect(await verifier.verify('Ed25519', data, await signer.sign(data))).toBe(false);
  });

  it('answers false for a malformed key', async () => {
    expect(await createVerifier(Uint8Array.of(0x30, 0x00)).verify('ecdsa-with-SHA256', data, Uint8Array.of(0x30, 0x00))).toBe(false);
  });
});
