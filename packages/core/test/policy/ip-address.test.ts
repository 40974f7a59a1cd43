import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CertwrightError } from '../../src/errors.js';
import { formatIp, isIpv4Mapped, parseIp, parseIpDetailed, tryParseIp, unmapIp } from '../../src/policy/ip-address.js';

const canonical = (text: string): string => formatIp(parseIp(text));

describe('parseIp / formatIp', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    // RFC 5952 §4.1: no leading zeros; §4.3: lowercase
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    // §4.2.1: the longest run is shortened
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    // §4.2.2: a single zero group is not shortened
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    // §4.2.3: the first of equal runs is shortened
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['1:2:3:4:5:6::8', '1:2:3:4:5:6:0:8'],
    // §5: IPv4-mapped addresses keep the dotted quad
    ['::ffff:c000:201', '::ffff:192.0.2.1'],
    ['::FFFF:192.0.2.1', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
  ])('%s → %s', (input, expected) => {
    expect(canonical(input)).toBe(expected);
  });

  it.each([
    ['', 'may not be empty'],
    ['192.0.2', 'exactly four'],
    ['192.0.2.1.5', 'exactly four'],
    ['192.0.2.256', 'greater than 255'],
    ['010.0.0.1', 'leading zero'],
    ['192.0.2.01', 'leading zero'],
    ['0x7f.0.0.1', 'not a decimal number'],
    ['192.0.2.-1', 'not a decimal number'],
    ['fe80::1%eth0', 'zone identifier'],
    ['[2001:db8::1]', 'without brackets'],
    ['1::2::3', 'at most once'],
    ['1:2:3:4:5:6:7:8:9', 'exactly eight groups'],
    ['1:2:3:4:5:6:7', 'exactly eight groups'],
    ['1:2:3:4::5:6:7:8', 'at least one group'],
    ['12345::1', 'not 1 to 4 hexadecimal digits'],
    ['g::1', 'not 1 to 4 hexadecimal digits'],
    [':1:2:3:4:5:6:7', 'not 1 to 4 hexadecimal digits'],
    ['::ffff:192.0.2.010', 'leading zero'],
    ['::192.0.2.1:0', 'not 1 to 4 hexadecimal digits'],
  ])('refuses %s (%s)', (input, rule) => {
    const result = parseIpDetailed(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(rule);
    expect(tryParseIp(input)).toBeUndefined();
    let thrown: unknown;
    try {
      parseIp(input);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CertwrightError);
    expect((thrown as CertwrightError).code).toBe('malformed');
    expect((thrown as CertwrightError).detail).toContain(rule);
  });

  it('recognizes and unmaps IPv4-mapped addresses', () => {
    const mapped = parseIp('::ffff:10.1.2.3');
    expect(isIpv4Mapped(mapped)).toBe(true);
    expect(formatIp(unmapIp(mapped))).toBe('10.1.2.3');
    expect(isIpv4Mapped(parseIp('::10.1.2.3'))).toBe(false);
    expect(unmapIp(parseIp('2001:db8::1')).version).toBe(6);
  });

  it('formats IPv6 the way the WHATWG URL serializer does (same RFC 5952 rules) and parses its own output', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
          // bias toward zero runs, which is where compression rules matter
          for (let i = 0; i < 16; i++) if (b[i]! % 3 === 0) b[i] = 0;
          return b;
        }),
        (bytes) => {
          const ip = { version: 6 as const, bytes };
          const text = formatIp(ip);
          expect(Array.from(parseIp(text).bytes)).toEqual(Array.from(bytes));
          if (!isIpv4Mapped(ip)) expect(`[${text}]`).toBe(new URL(`http://[${text}]/`).hostname);
        },
      ),
      { numRuns: 500 },
    );
  });
});
