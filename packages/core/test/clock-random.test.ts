import { describe, expect, it } from 'vitest';
import { DAY, FakeClock, HOUR, MINUTE, SECOND, addMs, systemClock } from '../src/clock.js';
import { base64url, cryptoRandom, randomId, seededRandom } from '../src/random.js';

describe('FakeClock', () => {
  it('starts at the given instant and stands still', () => {
    const clock = new FakeClock('2026-05-01T10:00:00Z');
    expect(clock.now().toISOString()).toBe('2026-05-01T10:00:00.000Z');
    expect(clock.now().toISOString()).toBe('2026-05-01T10:00:00.000Z');
    expect(new FakeClock(new Date('2026-02-03T04:05:06.789Z')).now().toISOString()).toBe('2026-02-03T04:05:06.789Z');
    expect(new FakeClock().now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('moves forward and backward with advance, and jumps with set', () => {
    const clock = new FakeClock('2026-05-01T10:00:00Z');
    clock.advance(DAY + HOUR + MINUTE + SECOND + 1);
    expect(clock.now().toISOString()).toBe('2026-05-02T11:01:01.001Z');
    clock.advance(-HOUR);
    expect(clock.now().toISOString()).toBe('2026-05-02T10:01:01.001Z');
    clock.set('2027-01-01T00:00:00Z');
    expect(clock.now().toISOString()).toBe('2027-01-01T00:00:00.000Z');
    clock.set(new Date('2025-12-31T23:59:59Z'));
    expect(clock.now().toISOString()).toBe('2025-12-31T23:59:59.000Z');
  });

  it('hands out copies: changing a returned Date does not move the clock', () => {
    const clock = new FakeClock('2026-05-01T10:00:00Z');
    clock.now().setTime(0);
    expect(clock.now().toISOString()).toBe('2026-05-01T10:00:00.000Z');
  });

  it('refuses an invalid start instant', () => {
    expect(() => new FakeClock('not a date')).toThrow(RangeError);
  });

  it('has consistent unit constants and addMs returns a new Date', () => {
    expect([SECOND, MINUTE, HOUR, DAY]).toEqual([1000, 60_000, 3_600_000, 86_400_000]);
    const base = new Date('2026-05-01T00:00:00Z');
    const later = addMs(base, 90 * MINUTE);
    expect(later.toISOString()).toBe('2026-05-01T01:30:00.000Z');
    expect(base.toISOString()).toBe('2026-05-01T00:00:00.000Z');
  });

  it('systemClock returns a valid instant', () => {
    expect(Number.isNaN(systemClock().now().getTime())).toBe(false);
  });
});

describe('cryptoRandom', () => {
  it('returns exactly the requested number of bytes, including 0', () => {
    const random = cryptoRandom();
    for (const n of [0, 1, 16, 20, 65536]) expect(random.bytes(n)).toHaveLength(n);
  });

  it('fills buffers larger than the 65,536-byte getRandomValues limit entirely', () => {
    const out = cryptoRandom().bytes(200_000);
    expect(out).toHaveLength(200_000);
    // Each 64 KiB chunk, including the tail past the last full chunk, holds random data.
    for (const [start, end] of [
      [0, 65536],
      [65536, 131072],
      [131072, 196608],
      [196608, 200_000],
    ] as const) {
      expect(out.subarray(start, end).some((b) => b !== 0), `bytes ${start}..${end}`).toBe(true);
    }
  });

  it('gives different values on each call', () => {
    const random = cryptoRandom();
    expect(base64url(random.bytes(16))).not.toBe(base64url(random.bytes(16)));
  });

  it('never hands out the same bytes twice across refills of its block, and copies are not views of it', () => {
    const random = cryptoRandom();
    const seen = new Set<string>();
    // 16-byte values across several 4 KB refills, with odd sizes in between to cross block ends.
    for (let i = 0; i < 1000; i++) {
      const value = random.bytes(16);
      expect(value.byteLength).toBe(value.buffer.byteLength);
      const text = base64url(value);
      expect(seen.has(text)).toBe(false);
      seen.add(text);
      random.bytes(1 + (i % 37));
    }
    // A value at the largest pooled size, and one just past it, are both random.
    expect(random.bytes(256).some((b) => b !== 0)).toBe(true);
    expect(random.bytes(257).some((b) => b !== 0)).toBe(true);
    // The caller owns what it gets: writing to it changes nothing later calls return.
    const mine = random.bytes(32);
    mine.fill(0);
    expect(random.bytes(32).some((b) => b !== 0)).toBe(true);
  });
});

describe('seededRandom', () => {
  it('is deterministic for a seed', () => {
    expect(seededRandom(42).bytes(37)).toEqual(seededRandom(42).bytes(37));
    const a = seededRandom(7);
    const b = seededRandom(7);
    expect([a.bytes(3), a.bytes(9)]).toEqual([b.bytes(3), b.bytes(9)]);
  });

  it('differs between seeds and between successive calls', () => {
    expect(seededRandom(1).bytes(16)).not.toEqual(seededRandom(2).bytes(16));
    const r = seededRandom(3);
    expect(r.bytes(16)).not.toEqual(r.bytes(16));
  });

  it('returns the requested length, including lengths that are not multiples of 8', () => {
    const r = seededRandom(5);
    for (const n of [0, 1, 7, 8, 9, 33]) expect(r.bytes(n)).toHaveLength(n);
  });
});

describe('base64url and randomId (RFC 4648 §5)', () => {
  it('encodes without padding using the URL-safe alphabet', () => {
    expect(base64url(new Uint8Array([]))).toBe('');
    expect(base64url(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    expect(base64url(new Uint8Array([0x66, 0x6f, 0x6f, 0x62]))).toBe('Zm9vYg');
  });

  it('encodes only the view of a subarray', () => {
    const whole = new Uint8Array([1, 2, 0xfb, 0xff, 3]);
    expect(base64url(whole.subarray(2, 4))).toBe('-_8');
  });

  it('randomId is 128 bits by default and reproducible with a seeded source', () => {
    const id = randomId(cryptoRandom());
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(randomId(cryptoRandom(), 32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomId(seededRandom(9))).toBe(randomId(seededRandom(9)));
  });
});
