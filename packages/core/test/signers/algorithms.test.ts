import { describe, expect, it } from 'vitest';
import {
  algorithmIdentifierDer,
  SIGNATURE_ALGORITHMS,
  signatureAlgorithmFromDer,
} from '../../src/signers/algorithms.js';
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));

// Encodings pinned by the CA/Browser Forum Baseline Requirements §7.1.3.2
// and RFC 8410 §3 (Ed25519).
const EXPECTED: Record<string, string> = {
  sha256WithRSAEncryption: '300d06092a864886f70d01010b0500',
  sha384WithRSAEncryption: '300d06092a864886f70d01010c0500',
  sha512WithRSAEncryption: '300d06092a864886f70d01010d0500',
  'ecdsa-with-SHA256': '300a06082a8648ce3d040302',
  'ecdsa-with-SHA384': '300a06082a8648ce3d040303',
  'ecdsa-with-SHA512': '300a06082a8648ce3d040304',
  Ed25519: '300506032b6570',
  'rsassa-pss-sha256':
    '304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d010108300d06096086480165030402010500a203020120',
  'rsassa-pss-sha384':
    '304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130',
  'rsassa-pss-sha512':
    '304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140',
};

describe('algorithmIdentifierDer', () => {
  it.each(Object.entries(EXPECTED))('encodes %s exactly as the Baseline Requirements pin it', (name, hex) => {
    expect(toHex(algorithmIdentifierDer(name as never))).toBe(hex);
  });

  it('covers every signature algorithm', () => {
    expect([...SIGNATURE_ALGORITHMS].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('returns a copy the caller may modify', () => {
    const a = algorithmIdentifierDer('Ed25519');
    a[0] = 0;
    expect(toHex(algorithmIdentifierDer('Ed25519'))).toBe(EXPECTED.Ed25519);
  });

  it('rejects an unknown name', () => {
    expect(() => algorithmIdentifierDer('sha1WithRSAEncryption' as never)).toThrow(RangeError);
  });
});

describe('signatureAlgorithmFromDer', () => {
  it.each(Object.entries(EXPECTED))('maps the encoding of %s back', (name, hex) => {
    expect(signatureAlgorithmFromDer(fromHex(hex))).toBe(name);
  });

  it('accepts PKCS#1 v1.5 identifiers with absent parameters (RFC 4055 §5)', () => {
    expect(signatureAlgorithmFromDer(fromHex('300b06092a864886f70d01010b'))).toBe('sha256WithRSAEncryption');
  });

  it.each([
    ['sha1WithRSAEncryption', '300d06092a864886f70d0101050500'],
    ['ecdsa-with-SHA1', '300906072a8648ce3d0401'],
    ['ecdsa-with-SHA256 with NULL parameters', '300c06082a8648ce3d0403020500'],
    ['RSASSA-PSS without parameters', '300b06092a864886f70d01010a'],
    ['md5WithRSAEncryption', '300d06092a864886f70d0101040500'],
  ])('does not accept %s', (_name, hex) => {
    expect(signatureAlgorithmFromDer(fromHex(hex))).toBeUndefined();
  });
});
