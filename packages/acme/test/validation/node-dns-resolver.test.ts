import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsLookupError } from '../../src/validation/dns-error.js';
import { createNodeDnsResolver } from '../../src/validation/node-dns-resolver.js';
import { startChallTestSrv } from './helpers.js';
import type { ChallTestSrv } from './helpers.js';
import { startTinyDns } from './tiny-dns.js';

async function lookupError(promise: Promise<unknown>): Promise<DnsLookupError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DnsLookupError) return err;
    throw err;
  }
  throw new Error('expected a DnsLookupError');
}

describe('createNodeDnsResolver against pebble-challtestsrv', () => {
  let srv: ChallTestSrv;
  beforeAll(async () => {
    srv = await startChallTestSrv();
    await srv.addA('host.res.test', ['192.0.2.10']);
    await srv.addAaaa('host.res.test', ['2001:db8::10']);
    await srv.setTxt('_acme-challenge.host.res.test', 'first');
    await srv.setTxt('_acme-challenge.host.res.test', 'second');
    await srv.addCaa('res.test', [{ tag: 'issue', value: 'ca.example; validationmethods=dns-01' }]);
    await srv.setCname('alias.res.test', 'host.res.test');
    await srv.setServfail('broken.res.test');
  });
  afterAll(async () => {
    await srv.stop();
  });

  const resolver = () => createNodeDnsResolver({ servers: [srv.dnsServer], timeoutMs: 1000, tries: 1 });

  it('answers A, AAAA, TXT, CAA and CNAME queries from the configured server', async () => {
    const r = resolver();
    expect(await r.resolveA('host.res.test')).toEqual(['192.0.2.10']);
    expect(await r.resolveAaaa('host.res.test')).toEqual(['2001:db8::10']);
    expect((await r.resolveTxt('_acme-challenge.host.res.test')).sort()).toEqual(['first', 'second']);
    expect(await r.resolveCaa('res.test')).toEqual([{ flags: 0, tag: 'issue', value: 'ca.example; validationmethods=dns-01' }]);
    expect(await r.resolveCname!('alias.res.test')).toEqual(['host.res.test']);
  });

  it('reports NODATA and SERVFAIL as distinct kinds', async () => {
    const nodata = await lookupError(resolver().resolveCaa('host.res.test'));
    expect(nodata.kind).toBe('nodata');
    expect(nodata.isEmptyAnswer).toBe(true);
    const servfail = await lookupError(resolver().resolveTxt('broken.res.test'));
    expect(servfail.kind).toBe('servfail');
    expect(servfail.isEmptyAnswer).toBe(false);
    expect(servfail.code).toBe('dns');
    expect(servfail.detail).toBe('DNS problem: SERVFAIL looking up TXT for broken.res.test');
  });
});

describe('createNodeDnsResolver against a scripted server', () => {
  it('reports NXDOMAIN', async () => {
    const dns = await startTinyDns({ rcode: 3 });
    try {
      const err = await lookupError(createNodeDnsResolver({ servers: [dns.server], timeoutMs: 1000, tries: 1 }).resolveA('missing.test'));
      expect(err.kind).toBe('nxdomain');
      expect(err.isEmptyAnswer).toBe(true);
    } finally {
      await dns.close();
    }
  });

  it('reports REFUSED', async () => {
    const dns = await startTinyDns({ rcode: 5 });
    try {
      expect((await lookupError(createNodeDnsResolver({ servers: [dns.server], timeoutMs: 1000, tries: 1 }).resolveTxt('x.test'))).kind).toBe('refused');
    } finally {
      await dns.close();
    }
  });

  it('times out after the configured timeout and tries', async () => {
    const dns = await startTinyDns({ silent: true });
    try {
      const err = await lookupError(createNodeDnsResolver({ servers: [dns.server], timeoutMs: 200, tries: 2 }).resolveTxt('slow.test'));
      expect(err.kind).toBe('timeout');
      expect(dns.udpQueries).toBe(2);
    } finally {
      await dns.close();
    }
  });

  it('retries over TCP when the UDP answer is truncated', async () => {
    const dns = await startTinyDns({ txt: 'via-tcp', truncateUdp: true });
    try {
      expect(await createNodeDnsResolver({ servers: [dns.server], timeoutMs: 1000, tries: 1 }).resolveTxt('big.test')).toEqual(['via-tcp']);
      expect(dns.udpQueries).toBe(1);
      expect(dns.tcpQueries).toBe(1);
    } finally {
      await dns.close();
    }
  });
});

describe('createNodeDnsResolver configuration', () => {
  it('requires explicit servers given as IP addresses', () => {
    expect(() => createNodeDnsResolver({ servers: [] })).toThrow(/at least one DNS server/);
    expect(() => createNodeDnsResolver({ servers: ['dns.example:53'] })).toThrow(/"dns.example:53" is not an IP address/);
    expect(() => createNodeDnsResolver({ servers: ['127.0.0.1:8053', '[::1]:53', '10.0.0.53'] })).not.toThrow();
  });
});
