import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeBase64urlStrict, encodeBase64url, isStrictBase64url } from '../../src/jws/index.js';

describe('strict base64url', () => {
  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(decodeBase64urlStrict(encodeBase64url(bytes))).toEqual(bytes);
      }),
    );
  });
  it('accepts the empty string as zero bytes', () => {
    expect(decodeBase64urlStrict('')).toEqual(new Uint8Array(0));
  });
  it.each([
    ['padding', 'e30='],
    ['standard alphabet +', 'a+b_'],
    ['standard alphabet /', 'a/b_'],
    ['whitespace', 'e3 0'],
    ['newline', 'e30\n'],
    ['impossible length', 'abcde'],
    ['non-zero trailing bits', 'e31'],
    ['non-zero trailing bits (1 byte)', 'AB'],
    ['non-ASCII', 'é30'],
  ])('rejects %s', (_name, text) => {
    expect(decodeBase64urlStrict(text)).toBeUndefined();
    expect(isStrictBase64url(text)).toBe(false);
  });
});
