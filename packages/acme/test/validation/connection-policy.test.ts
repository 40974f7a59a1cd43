import { describe, expect, it } from 'vitest';
import { isCertwrightError, parseIp } from '@certwright/core';
import { createConnectionPolicy, isAddressAllowed } from '../../src/validation/connection-policy.js';
import { resolveTargetAddresses } from '../../src/validation/target-addresses.js';
import { dialInOrder, ConnectFailedError } from '../../src/validation/dial-fallback.js';
import { memoryResolver } from './helpers.js';

async function rejection(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('connection policy', () => {
  const defaults = createConnectionPolicy();

  it.each([
    ['127.0.0.1', '127.0.0.0/8'],
    ['::1', '::1/128'],
    ['10.1.2.3', '10.0.0.0/8'],
    ['172.20.0.1', '172.16.0.0/12'],
    ['192.168.1.1', '192.168.0.0/16'],
    ['100.64.0.1', '100.64.0.0/10'],
    ['169.254.169.254', '169.254.0.0/16'],
    ['fd00::1', 'fc00::/7'],
    ['fe80::1', 'fe80::/10'],
    ['::ffff:127.0.0.1', '127.0.0.0/8'],
    ['0.0.0.0', '0.0.0.0/8'],
    ['224.0.0.1', '224.0.0.0/4'],
    ['255.255.255.255', '240.0.0.0/4'],
    ['ff02::1', 'ff00::/8'],
  ])('refuses %s by default, naming the range %s', (address, range) => {
    expect(isAddressAllowed(defaults, address)).toBe(false);
    const detailed = defaults.checkAddress(parseIp(address));
    expect(detailed.allowed).toBe(false);
    if (!detailed.allowed) expect(detailed.reason).toContain(range);
  });

  it('allows public addresses by default', () => {
    expect(isAddressAllowed(defaults, '8.8.8.8')).toBe(true);
    expect(isAddressAllowed(defaults, '2606:4700::1111')).toBe(true);
  });

  it('allowPrivate opens private ranges but not unroutable ones', () => {
    const open = createConnectionPolicy({ allowPrivate: true });
    expect(isAddressAllowed(open, '127.0.0.1')).toBe(true);
    expect(isAddressAllowed(open, '10.0.0.1')).toBe(true);
    expect(isAddressAllowed(open, 'fd12::1')).toBe(true);
    expect(isAddressAllowed(open, '::1')).toBe(true);
    expect(isAddressAllowed(open, '::')).toBe(false);
    expect(isAddressAllowed(open, '0.0.0.0')).toBe(false);
    expect(isAddressAllowed(open, '239.1.1.1')).toBe(false);
  });

  it('allowedRanges opens exactly the listed ranges', () => {
    const policy = createConnectionPolicy({ allowedRanges: ['10.20.0.0/16'] });
    expect(isAddressAllowed(policy, '10.20.5.5')).toBe(true);
    const verdict = policy.checkAddress(parseIp('10.21.0.1'));
    expect(verdict).toEqual({ allowed: false, reason: expect.stringContaining('10.0.0.0/8') });
  });

  it('deniedRanges win over allowedRanges and public addresses', () => {
    const policy = createConnectionPolicy({ allowedRanges: ['10.0.0.0/8'], deniedRanges: ['10.9.0.0/16', '8.8.8.0/24'] });
    expect(isAddressAllowed(policy, '10.1.0.1')).toBe(true);
    expect(policy.checkAddress(parseIp('10.9.0.1'))).toEqual({ allowed: false, reason: expect.stringContaining('denied range 10.9.0.0/16') });
    expect(policy.checkAddress(parseIp('8.8.8.8'))).toEqual({ allowed: false, reason: expect.stringContaining('denied range 8.8.8.0/24') });
  });

  it('allowPublic: false turns allowedRanges into an allow-list', () => {
    const policy = createConnectionPolicy({ allowPublic: false, allowedRanges: ['192.168.10.0/24'] });
    expect(isAddressAllowed(policy, '192.168.10.7')).toBe(true);
    expect(policy.checkAddress(parseIp('8.8.8.8'))).toEqual({ allowed: false, reason: expect.stringContaining('public addresses are not allowed') });
  });

  it('keeps RFC ports by default and takes configured ones', () => {
    expect(defaults.ports).toEqual({ http01: 80, tlsAlpn01: 443, allowedRedirectPorts: [80, 443] });
    const custom = createConnectionPolicy({ ports: { http01: 8080, allowedRedirectPorts: [8080, 8443] } });
    expect(custom.ports.http01).toBe(8080);
    expect(custom.ports.tlsAlpn01).toBe(443);
    expect(custom.redirectPortAllowed(8443)).toBe(true);
    expect(custom.redirectPortAllowed(443)).toBe(false);
  });

  it('refuses invalid configuration, naming the entry', () => {
    expect(() => createConnectionPolicy({ allowedRanges: ['10.0.0.1/8'] })).toThrow(/10\.0\.0\.1\/8/);
    expect(() => createConnectionPolicy({ ports: { http01: 70000 } })).toThrow(/http01 port 70000/);
  });
});

describe('resolveTargetAddresses', () => {
  const loopback = createConnectionPolicy({ allowedRanges: ['127.0.0.0/8', '::1/128'] });

  it('resolves once, checks every address and dials IPv6 first', async () => {
    const resolver = memoryResolver({ a: { 'www.a.test': ['127.0.0.1', '127.0.0.2'] }, aaaa: { 'www.a.test': ['::1'] } });
    const targets = await resolveTargetAddresses('www.a.test', resolver, loopback);
    expect(targets.resolved).toEqual(['::1', '127.0.0.1', '127.0.0.2']);
    expect(targets.dialOrder).toEqual(['::1', '127.0.0.1']);
    expect(resolver.queries.sort()).toEqual(['A www.a.test', 'AAAA www.a.test']);
    const v4first = await resolveTargetAddresses('www.a.test', resolver, loopback, 'ipv4-first');
    expect(v4first.dialOrder).toEqual(['127.0.0.1', '::1']);
  });

  it('refuses a name when any of its addresses is refused, naming that address', async () => {
    const resolver = memoryResolver({ a: { 'mixed.a.test': ['127.0.0.1', '10.0.0.5'] } });
    const err = await rejection(resolveTargetAddresses('mixed.a.test', resolver, loopback));
    expect(isCertwrightError(err, 'connection')).toBe(true);
    expect((err as Error).message).toContain('mixed.a.test (resolved to 10.0.0.5)');
    expect((err as Error).message).toContain('10.0.0.0/8');
  });

  it('uses an IP literal without any DNS query', async () => {
    const resolver = memoryResolver({});
    expect((await resolveTargetAddresses('127.0.0.1', resolver, loopback)).dialOrder).toEqual(['127.0.0.1']);
    expect(resolver.queries).toEqual([]);
    const err = await rejection(resolveTargetAddresses('192.168.0.1', resolver, loopback));
    expect(isCertwrightError(err, 'connection')).toBe(true);
    expect((err as Error).message).toContain('192.168.0.1: 192.168.0.1 is in the private');
  });

  it('fails with dns when no address exists, and names a SERVFAIL', async () => {
    const none = await rejection(resolveTargetAddresses('gone.a.test', memoryResolver({}), loopback));
    expect(isCertwrightError(none, 'dns')).toBe(true);
    expect((none as Error).message).toContain('no A or AAAA records found for gone.a.test');
    const broken = await rejection(resolveTargetAddresses('sf.a.test', memoryResolver({ a: { 'sf.a.test': 'servfail' }, aaaa: { 'sf.a.test': 'nodata' } }), loopback));
    expect(isCertwrightError(broken, 'dns')).toBe(true);
    expect((broken as Error).message).toContain('SERVFAIL looking up A for sf.a.test');
  });

  it('goes on with one family when the other fails', async () => {
    const resolver = memoryResolver({ a: { 'half.a.test': ['127.0.0.1'] }, aaaa: { 'half.a.test': 'servfail' } });
    expect((await resolveTargetAddresses('half.a.test', resolver, loopback)).dialOrder).toEqual(['127.0.0.1']);
  });
});

describe('dialInOrder', () => {
  it('moves to the next address only after a connect failure and records every attempt', async () => {
    const { result, attempts } = await dialInOrder(['::1', '127.0.0.1'], async (a) => {
      if (a === '::1') throw new ConnectFailedError('refused');
      return a;
    });
    expect(result).toBe('127.0.0.1');
    expect(attempts).toEqual([{ address: '::1', outcome: 'refused' }, { address: '127.0.0.1', outcome: 'connected' }]);
    const err = await rejection(
      dialInOrder(['::1', '127.0.0.1'], async (a) => {
        if (a === '::1') throw new Error('x');
        return a;
      }),
    );
    expect((err as Error).message).toBe('x');
    const all = await rejection(dialInOrder(['::1', '127.0.0.1'], async () => Promise.reject(new ConnectFailedError('down'))));
    expect(isCertwrightError(all, 'connection')).toBe(true);
    expect((all as Error).message).toBe('Could not connect to any address (::1: down; 127.0.0.1: down)');
  });
});
