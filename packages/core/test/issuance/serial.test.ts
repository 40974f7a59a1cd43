import { describe, expect, it } from 'vitest';
import { cryptoRandom, seededRandom } from '../../src/random.js';
import { createSerialGenerator, parseSerialHex } from '../../src/issuance/serial.js';

describe('serial numbers', () => {
  it('are 17 octets: the prefix and 128 random bits, positive and minimal', () => {
    const next = createSerialGenerator(cryptoRandom());
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const s = next();
      expect(s.bytes.length).toBe(17);
      expect(s.bytes[0]).toBe(0x2c);
      expect(s.hex).toMatch(/^2c[0-9a-f]{32}$/);
      seen.add(s.hex);
    }
    expect(seen.size).toBe(1000);
  });

  it('draw their random part from the injected source', () => {
    const a = createSerialGenerator(seededRandom(7))();
    const b = createSerialGenerator(seededRandom(7))();
    expect(a.hex).toBe(b.hex);
  });

  it('use the octets of the source in order, drawn for many serials at once', () => {
    let calls = 0;
    const seeded = seededRandom(9);
    const counting = {
      bytes(length: number): Uint8Array {
        calls++;
        return seeded.bytes(length);
      },
    };
    const next = createSerialGenerator(counting);
    const serials = Array.from({ length: 100 }, () => next());
    expect(calls).toBe(2);
    const expected = seededRandom(9).bytes(16 * 100);
    serials.forEach((s, i) => expect(s.bytes.subarray(1)).toEqual(expected.subarray(16 * i, 16 * (i + 1))));
    expect(new Set(serials.map((s) => s.hex)).size).toBe(100);
  });

  it('refuse prefixes that would make a serial negative or non-minimal, and fewer than 128 bits', () => {
    expect(() => createSerialGenerator(cryptoRandom(), { prefix: 0x80 })).toThrow(/0x01 to 0x7f/);
    expect(() => createSerialGenerator(cryptoRandom(), { prefix: 0 })).toThrow(/0x01 to 0x7f/);
    expect(() => createSerialGenerator(cryptoRandom(), { randomBytes: 8 })).toThrow(/at least 128 bits/);
    expect(() => createSerialGenerator(cryptoRandom(), { randomBytes: 20 })).toThrow(/at most 20 octets/);
  });

  it('parse hex in any case, with colons, into canonical DER content octets', () => {
    expect(parseSerialHex('2C:AB:01').hex).toBe('2cab01');
    expect(parseSerialHex('0000ff').hex).toBe('00ff');
    expect(parseSerialHex('ff').bytes).toEqual(Uint8Array.from([0, 0xff]));
    expect(parseSerialHex('7f').hex).toBe('7f');
  });

  it('reject malformed, zero and oversized serials', () => {
    expect(() => parseSerialHex('')).toThrow(/not a hexadecimal/);
    expect(() => parseSerialHex('xyz')).toThrow(/not a hexadecimal/);
    expect(() => parseSerialHex('00')).toThrow(/positive/);
    expect(() => parseSerialHex('01'.repeat(21))).toThrow(/at most 20 octets/);
    expect(() => parseSerialHex('ff'.repeat(20))).toThrow(/at most 20 octets/);
  });
});
