import { afterEach, describe, expect, it } from 'vitest';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isCertwrightError } from '@certwright/core';
import type { CertwrightError } from '@certwright/core';
import { createConnectionPolicy } from '../../src/validation/connection-policy.js';
import type { ConnectionPolicyConfig } from '../../src/validation/connection-policy.js';
import { http01Validator } from '../../src/validation/http01.js';
import type { Http01ValidatorOptions } from '../../src/validation/http01.js';
import type { DnsResolver } from '../../src/validation/dns-resolver.js';
import { ACCOUNT_URL, KEY_AUTHZ, TOKEN, buildAcmeCert, inputFor, memoryResolver, startHttpServer } from './helpers.js';
import type { TestHttpServer } from './helpers.js';

const PATH = `/.well-known/acme-challenge/${TOKEN}`;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

async function server(handler: Parameters<typeof startHttpServer>[0], host?: string): Promise<TestHttpServer> {
  const s = await startHttpServer(handler, host);
  closers.push(() => s.close());
  return s;
}

const serveKeyAuthz = (body = `${KEY_AUTHZ}\r\n`) => server((_req, res) => res.end(body));

function loopbackPolicy(port: number, extra: Partial<ConnectionPolicyConfig> = {}) {
  return createConnectionPolicy({ allowedRanges: ['127.0.0.0/8', '::1/128'], ports: { http01: port, allowedRedirectPorts: [port] }, ...extra });
}

function validator(resolver: DnsResolver, policy: ReturnType<typeof createConnectionPolicy>, extra: Partial<Http01ValidatorOptions> = {}) {
  return http01Validator({ resolver, policy, timeoutMs: 2000, requestTimeoutMs: 1000, ...extra });
}

const zone = memoryResolver({ a: { 'a.test': ['127.0.0.1'], 'b.test': ['127.0.0.1'], 'inside.test': ['192.168.1.10'] } });

async function failure(promise: Promise<unknown>): Promise<CertwrightError> {
  try {
    await promise;
  } catch (err) {
    if (isCertwrightError(err)) return err;
    throw err;
  }
  throw new Error('expected the validation to fail');
}

describe('http-01', () => {
  it('validates a name: dials the checked address with the Host header set to the name', async () => {
    const s = await serveKeyAuthz();
    const result = await validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test'));
    expect(result.record).toEqual([
      expect.objectContaining({ url: `http://a.test:${s.port}${PATH}`, hostname: 'a.test', port: s.port, addressUsed: '127.0.0.1', addressesResolved: ['127.0.0.1'], status: 200 }),
    ]);
    expect(s.requests).toEqual([{ url: PATH, host: `a.test:${s.port}`, localAddress: '127.0.0.1' }]);
  });

  it('validates an IP identifier by connecting to the IP with the IP as Host (RFC 8738 §5), without DNS', async () => {
    const s = await serveKeyAuthz();
    const resolver = memoryResolver({});
    await validator(resolver, loopbackPolicy(s.port)).validate(inputFor('127.0.0.1', 'ip'));
    expect(s.requests[0]!.host).toBe(`127.0.0.1:${s.port}`);
    expect(resolver.queries).toEqual([]);
  });

  it('tries IPv6 first and falls back to IPv4 when connecting fails, recording both', async () => {
    const s = await serveKeyAuthz();
    const resolver = memoryResolver({ a: { 'dual.test': ['127.0.0.1'] }, aaaa: { 'dual.test': ['::1'] } });
    const result = await validator(resolver, loopbackPolicy(s.port)).validate(inputFor('dual.test'));
    const entry = result.record[0] as { addressesTried: { address: string; outcome: string }[]; addressUsed: string };
    expect(entry.addressesTried.map((a) => a.address)).toEqual(['::1', '127.0.0.1']);
    expect(entry.addressesTried[0]!.outcome).toMatch(/Could not connect to ::1/);
    expect(entry.addressUsed).toBe('127.0.0.1');
  });

  it('refuses loopback under the default policy without connecting', async () => {
    const s = await serveKeyAuthz();
    const err = await failure(validator(zone, createConnectionPolicy({ ports: { http01: s.port } })).validate(inputFor('a.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain('127.0.0.0/8');
    expect(s.requests).toEqual([]);
  });

  it('refuses a private answer when private addresses are not allowed', async () => {
    const err = await failure(validator(zone, loopbackPolicy(80)).validate(inputFor('inside.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain('inside.test (resolved to 192.168.1.10)');
  });

  it('accepts the key authorization with trailing whitespace trimmed', async () => {
    const s = await serveKeyAuthz(`${KEY_AUTHZ} \t\n`);
    await expect(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test'))).resolves.toBeDefined();
  });

  it('rejects a wrong key authorization with incorrectResponse, never echoing the body', async () => {
    const secret = `${TOKEN}.SOMEONE-ELSES-THUMBPRINT-and-private-data`;
    const s = await serveKeyAuthz(secret);
    const err = await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')));
    expect(err.code).toBe('incorrectResponse');
    expect(err.detail).toContain('does not match this challenge');
    expect(err.detail).not.toContain('SOMEONE-ELSES');
  });

  it('rejects leading whitespace (only trailing whitespace is trimmed)', async () => {
    const s = await serveKeyAuthz(` ${KEY_AUTHZ}`);
    expect((await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')))).code).toBe('incorrectResponse');
  });

  it('rejects an oversized body (streamed, without Content-Length) with incorrectResponse', async () => {
    const s = await server((_req, res) => {
      res.write(KEY_AUTHZ);
      res.end('x'.repeat(4096));
    });
    const err = await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')));
    expect(err.code).toBe('incorrectResponse');
    expect(err.detail).toMatch(/larger than \d+ bytes/);
    expect(err.detail).not.toContain('xxxx');
  });

  it('rejects an oversized declared Content-Length', async () => {
    const s = await server((_req, res) => {
      res.setHeader('Content-Length', 100000);
      res.write('x');
    });
    const err = await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')));
    expect(err.code).toBe('incorrectResponse');
    expect(err.detail).toContain(`larger than ${KEY_AUTHZ.length + 128} bytes`);
  });

  it('rejects a status other than 200 with unauthorized', async () => {
    const s = await server((_req, res) => {
      res.statusCode = 404;
      res.end(KEY_AUTHZ);
    });
    const err = await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')));
    expect(err.code).toBe('unauthorized');
    expect(err.detail).toBe(`Invalid response from http://a.test:${s.port}${PATH}: HTTP 404`);
  });

  it('follows permitted redirects to another name and records every hop', async () => {
    const s = await server((req, res) => {
      if (req.headers.host?.startsWith('a.test')) {
        res.writeHead(301, { Location: `http://b.test:${(req.socket.address() as AddressInfo).port}/final` });
        res.end();
      } else res.end(KEY_AUTHZ);
    });
    const result = await validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test'));
    expect(result.record.map((r) => (r as { url: string }).url)).toEqual([`http://a.test:${s.port}${PATH}`, `http://b.test:${s.port}/final`]);
    expect(s.requests.map((r) => r.host)).toEqual([`a.test:${s.port}`, `b.test:${s.port}`]);
  });

  it.each([302, 307, 308])('follows a %i redirect', async (status) => {
    const s = await server((req, res) => {
      if (req.url === PATH) {
        res.writeHead(status, { Location: '/next' });
        res.end();
      } else res.end(KEY_AUTHZ);
    });
    await expect(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test'))).resolves.toBeDefined();
  });

  it('does not follow a 303 (unauthorized, naming the rule)', async () => {
    const s = await server((req, res) => {
      if (req.url === PATH) {
        res.writeHead(303, { Location: '/next' });
        res.end();
      } else res.end(KEY_AUTHZ);
    });
    const err = await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')));
    expect(err.code).toBe('unauthorized');
    expect(err.detail).toContain('HTTP 303 (only 301, 302, 307 and 308 redirects are followed)');
    expect(s.requests).toHaveLength(1);
  });

  it('refuses a redirect to a disallowed address without connecting to it', async () => {
    const s = await server((_req, res) => {
      res.writeHead(302, { Location: `http://10.0.0.1:${(_req.socket.address() as AddressInfo).port}/x` });
      res.end();
    });
    const err = await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain('10.0.0.1: 10.0.0.1 is in the private or special-purpose range 10.0.0.0/8');
  });

  it('refuses a redirect to a name that resolves to a disallowed address', async () => {
    const s = await server((req, res) => {
      res.writeHead(302, { Location: `http://inside.test:${(req.socket.address() as AddressInfo).port}/x` });
      res.end();
    });
    const err = await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain('inside.test (resolved to 192.168.1.10)');
  });

  it('refuses a redirect to a disallowed port', async () => {
    const s = await server((_req, res) => {
      res.writeHead(301, { Location: 'http://a.test:1234/x' });
      res.end();
    });
    const err = await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain(`port 1234 is not an allowed redirect port (${s.port})`);
    expect(s.requests).toHaveLength(1);
  });

  it('refuses a redirect to a scheme other than http/https', async () => {
    const s = await server((_req, res) => {
      res.writeHead(301, { Location: 'ftp://a.test/x' });
      res.end();
    });
    const err = await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain('only http and https redirects are followed, not ftp');
  });

  it.each([
    [undefined, 'the response has no Location header'],
    ['http://user:pw@a.test/x', 'a redirect URL may not carry credentials'],
    ['http://under_score.test/x', 'the redirect host "under_score.test" is not a valid DNS name'],
    ['http://[::1', 'the Location header is not a valid URL'],
  ])('refuses the redirect Location %s', async (location, rule) => {
    const s = await server((_req, res) => {
      res.writeHead(302, location === undefined ? {} : { Location: location });
      res.end();
    });
    const policy = loopbackPolicy(s.port, { ports: { http01: s.port, allowedRedirectPorts: [s.port, 80] } });
    const err = await failure(validator(zone, policy).validate(inputFor('a.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toBe(`Redirect from http://a.test:${s.port}${PATH} refused: ${rule}`);
  });

  it('validates an IPv6 identifier on ::1 with a bracketed Host header', async () => {
    const s = await startHttpServer((_req, res) => res.end(KEY_AUTHZ), '::1');
    closers.push(() => s.close());
    const result = await validator(memoryResolver({}), loopbackPolicy(s.port)).validate(inputFor('::1', 'ip'));
    expect((result.record[0] as { url: string }).url).toBe(`http://[::1]:${s.port}${PATH}`);
    expect(s.requests[0]!.host).toBe(`[::1]:${s.port}`);
  });

  it('refuses a token that is not base64url', async () => {
    const err = await failure(validator(zone, loopbackPolicy(80)).validate({ ...inputFor('a.test'), token: '../../etc/passwd' }));
    expect(err.code).toBe('malformed');
    expect(err.detail).toContain('not base64url');
  });

  it('detects a redirect loop', async () => {
    const s = await server((req, res) => {
      res.writeHead(302, { Location: req.url === '/b' ? PATH : '/b' });
      res.end();
    });
    const err = await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain(`redirect loop: http://a.test:${s.port}${PATH} was already requested`);
    expect(s.requests).toHaveLength(2);
  });

  const chain = (hops: number) =>
    server((req, res) => {
      const n = req.url === PATH ? 0 : Number(req.url!.slice(3));
      if (n < hops) {
        res.writeHead(302, { Location: `/r/${n + 1}` });
        res.end();
      } else res.end(KEY_AUTHZ);
    });

  it('follows 10 redirects', async () => {
    const s = await chain(10);
    const result = await validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test'));
    expect(result.record).toHaveLength(11);
  });

  it('refuses the 11th redirect', async () => {
    const s = await chain(11);
    const err = await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain('too many redirects (more than 10)');
    expect(s.requests).toHaveLength(11);
  });

  it('follows a redirect to https with TLS 1.2+ and no certificate verification', async () => {
    const material = await buildAcmeCert({ type: 'dns', value: 'b.test' }, { acmeExtension: 'absent' });
    let sni: string | undefined;
    const tlsServer = createHttpsServer({ key: material.key, cert: material.cert }, (req, res) => {
      sni = (req.socket as { servername?: string }).servername;
      res.end(KEY_AUTHZ);
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => tlsServer.close(() => resolve())));
    const tlsPort = (tlsServer.address() as AddressInfo).port;
    const s = await server((_req, res) => {
      res.writeHead(301, { Location: `https://b.test:${tlsPort}/secure` });
      res.end();
    });
    const policy = loopbackPolicy(s.port, { ports: { http01: s.port, allowedRedirectPorts: [s.port, tlsPort] } });
    const result = await validator(zone, policy).validate(inputFor('a.test'));
    expect((result.record[1] as { url: string }).url).toBe(`https://b.test:${tlsPort}/secure`);
    expect(sni).toBe('b.test');
  });

  it('reports a TLS failure on an https redirect to a server that does not speak TLS', async () => {
    const s = await server((req, res) => {
      res.writeHead(302, { Location: `https://b.test:${(req.socket.address() as AddressInfo).port}/x` });
      res.end();
    });
    const err = await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')));
    expect(err.code).toBe('tls');
    expect(err.detail).toContain(`TLS error talking to https://b.test:${s.port}/x`);
  });

  it('reports a connection dropped after connecting', async () => {
    const s = await server((req) => req.socket.destroy());
    const err = await failure(validator(zone, loopbackPolicy(s.port)).validate(inputFor('a.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain(`Error fetching http://a.test:${s.port}${PATH}`);
  });

  it('stops the whole validation at timeoutMs', async () => {
    const hanging = { ...memoryResolver({}), resolveA: () => new Promise<string[]>(() => {}), resolveAaaa: () => new Promise<string[]>(() => {}) };
    const err = await failure(validator(hanging, loopbackPolicy(80), { timeoutMs: 200 }).validate(inputFor('a.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toBe('http-01 validation of a.test did not finish within 200 ms');
  });

  it('refuses a DNS answer that is not an address', async () => {
    const err = await failure(validator(memoryResolver({ a: { 'a.test': ['not-an-ip'] } }), loopbackPolicy(80)).validate(inputFor('a.test')));
    expect(err.code).toBe('dns');
    expect(err.detail).toBe('DNS problem: the A answer for a.test is not a valid address');
  });

  it('times out on a server that never answers', async () => {
    const s = await server(() => {});
    const err = await failure(validator(zone, loopbackPolicy(s.port), { requestTimeoutMs: 300 }).validate(inputFor('a.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain('Timed out after 300 ms waiting for a response');
  });

  it('reports a refused connection', async () => {
    const s = await serveKeyAuthz();
    const port = s.port;
    await s.close();
    closers.pop();
    const err = await failure(validator(zone, loopbackPolicy(port)).validate(inputFor('a.test')));
    expect(err.code).toBe('connection');
    expect(err.detail).toContain(`Could not connect to 127.0.0.1 port ${port}: ECONNREFUSED`);
  });

  describe('DNS rebinding', () => {
    function rebindingResolver(first: string, second: string): DnsResolver & { aQueries: number } {
      let calls = 0;
      const r = {
        aQueries: 0,
        resolveA: async () => {
          r.aQueries = ++calls;
          return [calls === 1 ? first : second];
        },
        resolveAaaa: async (name: string) => memoryResolver({}).resolveAaaa(name),
        resolveTxt: async () => [],
        resolveCaa: async () => [],
      };
      return r;
    }

    it('resolves once and dials the checked address, not a later answer', async () => {
      const resolver = rebindingResolver('127.0.0.2', '127.0.0.1');
      const s2 = await startHttpServer((_req, res) => res.end(KEY_AUTHZ), '127.0.0.2');
      closers.push(() => s2.close());
      const policy = createConnectionPolicy({ allowedRanges: ['127.0.0.2/32'], ports: { http01: s2.port } });
      const result = await validator(resolver, policy).validate(inputFor('rebind.test'));
      expect(resolver.aQueries).toBe(1);
      expect((result.record[0] as { addressUsed: string }).addressUsed).toBe('127.0.0.2');
      expect(s2.requests).toEqual([{ url: PATH, host: `rebind.test:${s2.port}`, localAddress: '127.0.0.2' }]);
    });

    it('refuses when the one answer is private, whatever a second lookup would say', async () => {
      const resolver = rebindingResolver('127.0.0.1', '127.0.0.2');
      const s = await startHttpServer((_req, res) => res.end(KEY_AUTHZ), '127.0.0.2');
      closers.push(() => s.close());
      const policy = createConnectionPolicy({ allowedRanges: ['127.0.0.2/32'], ports: { http01: s.port } });
      const err = await failure(validator(resolver, policy).validate(inputFor('rebind.test')));
      expect(err.code).toBe('connection');
      expect(err.detail).toContain('rebind.test (resolved to 127.0.0.1): 127.0.0.1 is in the private or special-purpose range 127.0.0.0/8');
      expect(resolver.aQueries).toBe(1);
      expect(s.requests).toEqual([]);
    });
  });

  it('checks CAA as part of validation when configured', async () => {
    const s = await serveKeyAuthz();
    const resolver = memoryResolver({ a: { 'a.test': ['127.0.0.1'] }, caa: { 'a.test': [{ flags: 0, tag: 'issue', value: 'other-ca.example' }] } });
    const caa = { config: { issuerDomains: ['ca.example'] }, accountUri: () => ACCOUNT_URL };
    const err = await failure(validator(resolver, loopbackPolicy(s.port), { caa }).validate(inputFor('a.test')));
    expect(err.code).toBe('caa');
    expect(err.detail).toContain('CAA record for a.test prevents issuance');
    const allowed = memoryResolver({ a: { 'a.test': ['127.0.0.1'] }, caa: { 'a.test': [{ flags: 0, tag: 'issue', value: 'ca.example' }] } });
    const result = await validator(allowed, loopbackPolicy(s.port), { caa }).validate(inputFor('a.test'));
    expect(result.record[1]).toEqual({ caa: { outcome: 'authorized', domain: 'a.test', record: '0 issue "ca.example"' } });
  });
});
