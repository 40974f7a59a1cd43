import { describe, expect, it } from 'vitest';
import { anyCidrContains, cidrContains, formatCidr, parseCidr, prefixMask } from '../../src/policy/cidr.js';
import { parseIp } from '../../src/policy/ip-address.js';

const contains = (range: string, ip: string): boolean => cidrContains(parseCidr(range), parseIp(ip));

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.0.2.1', '192.0.2.1/32'],
    ['FD00::/8', 'fd00::/8'],
    ['2001:db8::1', '2001:db8::1/128'],
    ['::/0', '::/0'],
  ])('%s → %s', (text, canonical) => {
    expect(formatCidr(parseCidr(text))).toBe(canonical);
  });

  it.each([
    ['10.0.0.1/8', 'bits are set past the prefix (did you mean 10.0.0.0/8?)'],
    ['fd00::1/8', 'did you mean fd00::/8?'],
    ['10.0.0.0/33', 'prefix length must be 0 to 32'],
    ['fd00::/129', 'prefix length must be 0 to 128'],
    ['10.0.0.0/', 'prefix length must be 0 to 32'],
    ['10.0.0.0/08', 'prefix length must be 0 to 32'],
    ['10.0.0.0/8/8', 'prefix length must be 0 to 32'],
    ['10.0.0/8', 'exactly four'],
    ['fe80::%eth0/64', 'zone identifier'],
  ])('refuses %s', (text, reason) => {
    expect(() => parseCidr(text)).toThrow(RangeError);
    expect(() => parseCidr(text)).toThrow(reason);
  });
});

describe('prefixMask', () => {
  it('sets exactly the prefix bits', () => {
    expect(Buffer.from(prefixMask(4, 0)).toString('hex')).toBe('00000000');
    expect(Buffer.from(prefixMask(4, 20)).toString('hex')).toBe('fffff000');
    expect(Buffer.from(prefixMask(4, 32)).toString('hex')).toBe('ffffffff');
    expect(Buffer.from(prefixMask(16, 65)).toString('hex')).toBe('ffffffffffffffff8000000000000000');
  });
});

describe('cidrContains', () => {
  it.each([
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/9', '10.127.0.1', true],
    ['10.0.0.0/9', '10.128.0.1', false],
    ['0.0.0.0/0', '203.0.113.7', true],
    ['192.0.2.1', '192.0.2.1', true],
    ['192.0.2.1', '192.0.2.2', false],
    ['fd00::/8', 'fd12:3456::1', true],
    ['fd00::/8', 'fe80::1', false],
    ['2001:db8::/33', '2001:db8:7fff::1', true],
    ['2001:db8::/33', '2001:db8:8000::1', false],
    ['::/0', '2001:db8::1', true],
    // IPv4 and IPv6 never match each other...
    ['::/0', '10.0.0.1', false],
    ['0.0.0.0/0', '2001:db8::1', false],
    // ...except through IPv4-mapped addresses, compared as the IPv4 they carry
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['10.0.0.0/8', '::ffff:11.1.2.3', false],
    ['::ffff:10.0.0.0/104', '10.1.2.3', true],
    ['::ffff:10.0.0.0/104', '11.1.2.3', false],
    ['::ffff:0:0/96', '192.0.2.1', true],
    ['::/0', '::ffff:10.0.0.1', false],
  ])('%s contains %s: %s', (range, ip, expected) => {
    expect(contains(range, ip)).toBe(expected);
  });

  it('anyCidrContains checks every range', () => {
    const ranges = ['10.0.0.0/8', 'fd00::/8'].map(parseCidr);
    expect(anyCidrContains(ranges, parseIp('fd00::1'))).toBe(true);
    expect(anyCidrContains(ranges, parseIp('10.9.9.9'))).toBe(true);
    expect(anyCidrContains(ranges, parseIp('192.168.0.1'))).toBe(false);
    expect(anyCidrContains([], parseIp('10.0.0.1'))).toBe(false);
  });
});
