import { describe, expect, it } from 'vitest';
import { base64url, decodeBase64urlStrict } from '../src/index.js';
import { jwkToSpki } from '../src/keys/jwk.js';
import { csrDerFromBase64url } from '../src/csr/encoding.js';

describe('decodeBase64urlStrict', () => {
  it('decodes canonical unpadded base64url, the inverse of base64url', () => {
    const bytes = Uint8Array.of(0xfb, 0xff, 0x00, 0x01);
    expect(decodeBase64urlStrict(base64url(bytes))).toEqual(bytes);
    expect(decodeBase64urlStrict('')).toEqual(new Uint8Array(0));
  });

  it.each([
    ['padding', 'AQA='],
    ['standard alphabet', '+/8'],
    ['whitespace', 'AQ A'],
    ['impossible length', 'AQABA'],
    ['non-zero trailing bits', 'AB'],
  ])('refuses %s', (_name, text) => {
    expect(decodeBase64urlStrict(text)).toBeUndefined();
  });

  it('is the one decoder behind JWK members and the finalize csr', () => {
    expect(() => jwkToSpki({ kty: 'OKP', crv: 'Ed25519', x: 'AB' })).toThrow(/JWK member "x" is not base64url \(unpadded and canonical/);
    expect(() => csrDerFromBase64url('AB')).toThrow(/the CSR is not unpadded base64url/);
  });
});
