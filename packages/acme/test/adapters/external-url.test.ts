import { describe, expect, it } from 'vitest';
import { DEFAULT_BODY_LIMIT, externalUrl, pathOf, resolveAdapterOptions } from '../../src/node/index.js';

const plain = resolveAdapterOptions({ baseUrl: 'https://ca.example/acme' });
const proxied = resolveAdapterOptions({ baseUrl: 'https://ca.example/acme', trustedProxies: ['10.0.0.5', '::1'] });

describe('resolveAdapterOptions', () => {
  it('takes the origin and newNonce URL from the base URL and defaults the body limit to 64 KiB', () => {
    expect(plain.origin).toBe('https://ca.example');
    expect(plain.newNonceUrl).toBe('https://ca.example/acme/new-nonce');
    expect(plain.bodyLimit).toBe(DEFAULT_BODY_LIMIT);
    expect(DEFAULT_BODY_LIMIT).toBe(65536);
  });

  it('refuses a base URL the engine would refuse and a body limit that is not a positive integer, naming the value', () => {
    expect(() => resolveAdapterOptions({ baseUrl: 'ca.example/acme' })).toThrow(/baseUrl must be an absolute URL, got "ca\.example\/acme"/);
    expect(() => resolveAdapterOptions({ baseUrl: 'ftp://ca.example/acme' })).toThrow(/baseUrl must be an http\(s\) URL/);
    expect(() => resolveAdapterOptions({ baseUrl: 'https://ca.example/acme', bodyLimit: 0 })).toThrow(/bodyLimit must be a positive integer, got 0/);
    expect(() => resolveAdapterOptions({ baseUrl: 'https://ca.example/acme', bodyLimit: 1.5 })).toThrow(RangeError);
  });
});

describe('externalUrl', () => {
  it('is the configured origin plus the request path and query, whatever the Host header says', () => {
    const url = externalUrl(plain, { target: '/acme/acct/abc/orders?cursor=x', headers: { host: 'evil.example' }, remoteAddress: '203.0.113.9' });
    expect(url).toBe('https://ca.example/acme/acct/abc/orders?cursor=x');
  });

  it('ignores X-Forwarded-Proto/Host from a peer that is not a trusted proxy', () => {
    const headers = { 'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil.example' };
    expect(externalUrl(plain, { target: '/acme/directory', headers, remoteAddress: '10.0.0.5' })).toBe('https://ca.example/acme/directory');
    expect(externalUrl(proxied, { target: '/acme/directory', headers, remoteAddress: '10.0.0.6' })).toBe('https://ca.example/acme/directory');
    expect(externalUrl(proxied, { target: '/acme/directory', headers, remoteAddress: undefined })).toBe('https://ca.example/acme/directory');
  });

  it('believes a trusted proxy (IPv4-mapped forms included), taking the value the nearest proxy appended', () => {
    const headers = { 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'spoofed.example, ca.internal:8443' };
    expect(externalUrl(proxied, { target: '/acme/directory', headers, remoteAddress: '10.0.0.5' })).toBe('http://ca.internal:8443/acme/directory');
    expect(externalUrl(proxied, { target: '/acme/directory', headers: { 'X-Forwarded-Host': 'CA.Example' }, remoteAddress: '::ffff:10.0.0.5' })).toBe('https://ca.example/acme/directory');
    expect(externalUrl(proxied, { target: '/x', headers: { 'x-forwarded-host': '[fd00::1]:443' }, remoteAddress: '::1' })).toBe('https://[fd00::1]:443/x');
  });

  it('ignores malformed forwarded values from a trusted proxy and keeps the configured scheme and host', () => {
    for (const [proto, host] of [['gopher', 'ca.example/evil'], ['https:', 'user@evil.example'], ['', ''], ['https', 'a..b']]) {
      const url = externalUrl(proxied, { target: '/acme/directory', headers: { 'x-forwarded-proto': proto!, 'x-forwarded-host': host! }, remoteAddress: '10.0.0.5' });
      expect(url).toBe('https://ca.example/acme/directory');
    }
  });

  it('reduces an absolute-form target to its path, so the request line cannot change the host either', () => {
    expect(pathOf('http://evil.example/acme/directory?x')).toBe('/acme/directory?x');
    expect(pathOf('http://evil.example')).toBe('/');
    expect(pathOf('*')).toBe('/*');
    expect(externalUrl(plain, { target: 'http://evil.example/acme/directory', headers: {}, remoteAddress: undefined })).toBe('https://ca.example/acme/directory');
  });
});
