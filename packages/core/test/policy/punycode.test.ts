import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { punycodeDecode, punycodeEncode } from '../../src/policy/punycode.js';

describe('punycode (RFC 3492)', () => {
  it.each([
    ['bücher', 'bcher-kva'],
    ['münchen', 'mnchen-3ya'],
    ['例え', 'r8jz45g'],
    ['ü', 'tda'],
    ['ß', 'zca'],
    ['テスト', 'zckzah'],
  ])('encodes %s as %s and decodes it back', (unicode, encoded) => {
    expect(punycodeEncode(unicode)).toBe(encoded);
    expect(punycodeDecode(encoded)).toBe(unicode);
  });

  it('decodes the RFC 3492 §7.1 Japanese sample', () => {
    // (L) 3<nen>B<gumi><kinpachi><sensei>
    expect(punycodeDecode('3B-ww4c5e180e575a65lsy2b')).toBe('3年B組金八先生');
  });

  it.each([
    ['9', 'an integer cut short'],
    ['99999999999', 'an overflow'],
    ['ab$', 'a character that is not a digit'],
    ['ü-tda', 'a non-basic character before the delimiter'],
    ['-tda', 'a delimiter with no basic code points before it'],
  ])('refuses %s (%s)', (input) => {
    expect(punycodeDecode(input)).toBeUndefined();
  });

  it('decodes Punycode for non-letters too: IDNA validity is checked elsewhere', () => {
    expect(punycodeDecode('abc')).toBe('\u0082\u0081\u0080');
  });

  it('refuses to encode a lone surrogate', () => {
    expect(punycodeEncode('a\ud800')).toBeUndefined();
  });

  it('round-trips any well-formed Unicode string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (s) => {
        const encoded = punycodeEncode(s);
        expect(encoded).toBeDefined();
        expect(punycodeDecode(encoded!)).toBe(s);
      }),
      { numRuns: 300 },
    );
  });
});
