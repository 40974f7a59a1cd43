import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCertwrightError } from '@certwright/core';
import type { CertwrightError } from '@certwright/core';
import { dns01RecordName, dns01Validator } from '../../src/validation/dns01.js';
import { dns01TxtValue } from '../../src/validation/key-authorization-digest.js';
import { createNodeDnsResolver } from '../../src/validation/node-dns-resolver.js';
import { ACCOUNT_URL, KEY_AUTHZ, inputFor, memoryResolver, startChallTestSrv } from './helpers.js';
import type { ChallTestSrv } from './helpers.js';

async function failure(promise: Promise<unknown>): Promise<CertwrightError> {
  try {
    await promise;
  } catch (err) {
    if (isCertwrightError(err)) return err;
    throw err;
  }
  throw new Error('expected the validation to fail');
}

const EXPECTED = dns01TxtValue(KEY_AUTHZ);

describe('dns01TxtValue', () => {
  it('is base64url(SHA-256(key authorization)) without padding (RFC 8555 §8.4)', () => {
    // Cross-checked with: printf 'a.b' | openssl dgst -sha256 -binary | base64url.
    expect(EXPECTED).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(dns01TxtValue('a.b')).toBe('LnM23I66h-9HLfVow1SCq_JXXcPl6sDFxiuP-urCyTQ');
    expect(dns01RecordName('www.example.com')).toBe('_acme-challenge.www.example.com');
  });
});

describe('dns-01 against pebble-challtestsrv', () => {
  let srv: ChallTestSrv;
  beforeAll(async () => {
    srv = await startChallTestSrv();
    await srv.setTxt('_acme-challenge.ok.dns.test', 'decoy-value');
    await srv.setTxt('_acme-challenge.ok.dns.test', EXPECTED);
    await srv.setTxt('_acme-challenge.wrong.dns.test', 'not-the-digest');
    await srv.setCname('_acme-challenge.alias.dns.test', '_acme-challenge.delegated.other.test');
    await srv.setTxt('_acme-challenge.delegated.other.test', EXPECTED);
    await srv.setServfail('_acme-challenge.broken.dns.test');
  });
  afterAll(async () => {
    await srv.stop();
  });
  const validator = () => dns01Validator({ resolver: createNodeDnsResolver({ servers: [srv.dnsServer], timeoutMs: 1000, tries: 1 }), timeoutMs: 2000 });

  it('passes when one of several TXT records matches', async () => {
    const result = await validator().validate(inputFor('ok.dns.test'));
    expect(result.record).toEqual([{ hostname: 'ok.dns.test', recordName: '_acme-challenge.ok.dns.test', txtRecordsFound: 2 }]);
  });

  it('follows a CNAME and records the chain', async () => {
    const result = await validator().validate(inputFor('alias.dns.test'));
    expect(result.record).toEqual([{ hostname: 'alias.dns.test', recordName: '_acme-challenge.alias.dns.test', cnameChain: ['_acme-challenge.delegated.other.test'], txtRecordsFound: 1 }]);
  });

  it('rejects a wrong value with incorrectResponse, showing what was found', async () => {
    const err = await failure(validator().validate(inputFor('wrong.dns.test')));
    expect(err.code).toBe('incorrectResponse');
    expect(err.detail).toBe('No TXT record at _acme-challenge.wrong.dns.test matches this challenge\'s key authorization digest (found 1: "not-the-digest")');
  });

  it('rejects a missing record with dns', async () => {
    const err = await failure(validator().validate(inputFor('absent.dns.test')));
    expect(err.code).toBe('dns');
    expect(err.detail).toContain('looking up TXT for _acme-challenge.absent.dns.test (no TXT record is published there)');
  });

  it('rejects SERVFAIL with dns', async () => {
    const err = await failure(validator().validate(inputFor('broken.dns.test')));
    expect(err.code).toBe('dns');
    expect(err.detail).toContain('SERVFAIL');
    expect(err.detail).toContain('_acme-challenge.broken.dns.test');
  });

  it('checks CAA with the same resolver when configured', async () => {
    await srv.addCaa('ok.dns.test', [{ tag: 'issue', value: 'ca.example; validationmethods=http-01' }]);
    const v = dns01Validator({
      resolver: createNodeDnsResolver({ servers: [srv.dnsServer], timeoutMs: 1000, tries: 1 }),
      caa: { config: { issuerDomains: ['ca.example'] }, accountUri: () => ACCOUNT_URL },
    });
    const err = await failure(v.validate(inputFor('ok.dns.test')));
    expect(err.code).toBe('caa');
    expect(err.detail).toContain('validationmethods http-01, which does not include dns-01');
  });
});

describe('dns-01 with an injected resolver', () => {
  it('rejects NXDOMAIN with dns', async () => {
    const err = await failure(dns01Validator({ resolver: memoryResolver({}) }).validate(inputFor('gone.test')));
    expect(err.code).toBe('dns');
    expect(err.detail).toContain('NXDOMAIN');
  });

  it('truncates long wrong values and counts the rest', async () => {
    const long = 'x'.repeat(100);
    const resolver = memoryResolver({ txt: { '_acme-challenge.many.test': [long, 'b', 'c', 'd', 'e'] } });
    const err = await failure(dns01Validator({ resolver }).validate(inputFor('many.test')));
    expect(err.code).toBe('incorrectResponse');
    expect(err.detail).toContain(`"${'x'.repeat(64)}…", "b", "c" and 2 more`);
  });

  it('rejects an empty TXT answer with dns', async () => {
    const err = await failure(dns01Validator({ resolver: memoryResolver({ txt: { '_acme-challenge.empty.test': [] } }) }).validate(inputFor('empty.test')));
    expect(err.code).toBe('dns');
    expect(err.detail).toBe('DNS problem: no TXT records found for _acme-challenge.empty.test');
  });

  it('bounds the CNAME chain', async () => {
    const cname: Record<string, string[]> = {};
    for (let i = 0; i < 10; i++) cname[i === 0 ? '_acme-challenge.deep.test' : `hop${i}.test`] = [`hop${i + 1}.test`];
    const err = await failure(dns01Validator({ resolver: memoryResolver({ cname, txt: { 'hop10.test': [EXPECTED] } }), maxCnameChain: 8 }).validate(inputFor('deep.test')));
    expect(err.code).toBe('dns');
    expect(err.detail).toContain('the CNAME chain from _acme-challenge.deep.test is longer than 8 aliases');
  });

  it('detects a CNAME loop', async () => {
    const resolver = memoryResolver({ cname: { '_acme-challenge.loop.test': ['x.test'], 'x.test': ['_acme-challenge.loop.test'] } });
    const err = await failure(dns01Validator({ resolver }).validate(inputFor('loop.test')));
    expect(err.code).toBe('dns');
    expect(err.detail).toContain('CNAME loop at x.test');
  });

  it('refuses IP identifiers (RFC 8738 §7)', async () => {
    const v = dns01Validator({ resolver: memoryResolver({}) });
    expect(v.identifierTypes).toEqual(['dns']);
    const err = await failure(v.validate(inputFor('192.0.2.1', 'ip')));
    expect(err.code).toBe('unsupportedIdentifier');
  });

  it('validates the base name of a wildcard authorization', async () => {
    const resolver = memoryResolver({ txt: { '_acme-challenge.wild.test': [EXPECTED] } });
    await expect(dns01Validator({ resolver }).validate({ ...inputFor('wild.test'), wildcard: true } as never)).resolves.toBeDefined();
  });
});
