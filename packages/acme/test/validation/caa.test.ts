import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR, combineSubproblems, isCertwrightError } from '@certwright/core';
import type { Authorization, CertwrightError, Identifier } from '@certwright/core';
import { checkCaa } from '../../src/validation/caa-check.js';
import type { CaaCheckInput } from '../../src/validation/caa-check.js';
import { caaSearchNodes } from '../../src/validation/caa-lookup.js';
import { recheckCaaForOrder } from '../../src/validation/caa-recheck.js';
import { parseCaaIssueValue } from '../../src/validation/caa-value.js';
import type { CaaRecord, DnsResolver } from '../../src/validation/dns-resolver.js';
import { createNodeDnsResolver } from '../../src/validation/node-dns-resolver.js';
import { ACCOUNT_URL, memoryResolver, startChallTestSrv } from './helpers.js';
import type { ChallTestSrv } from './helpers.js';

const CONFIG = { issuerDomains: ['ca.example'] };

async function failure(promise: Promise<unknown>): Promise<CertwrightError> {
  try {
    await promise;
  } catch (err) {
    if (isCertwrightError(err)) return err;
    throw err;
  }
  throw new Error('expected the CAA check to fail');
}

const issue = (value: string, flags = 0): CaaRecord => ({ flags, tag: 'issue', value });
const issuewild = (value: string, flags = 0): CaaRecord => ({ flags, tag: 'issuewild', value });

function check(resolver: DnsResolver, value: string, extra: Partial<CaaCheckInput> = {}) {
  return checkCaa({ identifier: { type: 'dns', value }, wildcard: false, accountUri: ACCOUNT_URL, challengeType: 'http-01', resolver, config: CONFIG, ...extra });
}

describe('parseCaaIssueValue (RFC 8659 §4.2)', () => {
  it('parses an issuer with parameters', () => {
    const parsed = parseCaaIssueValue(` CA.Example ; accounturi=${ACCOUNT_URL} ;validationmethods=dns-01,http-01 `);
    expect(parsed).toEqual({ ok: true, issuer: 'ca.example', parameters: new Map([['accounturi', ACCOUNT_URL], ['validationmethods', 'dns-01,http-01']]) });
  });
  it('reads ";" as no issuer', () => {
    expect(parseCaaIssueValue(';')).toEqual({ ok: true, issuer: undefined, parameters: new Map() });
  });
  it.each([
    ['ca..example', 'is not an issuer domain name'],
    ['ca.example; accounturi', 'has no "="'],
    ['ca.example; a=1; a=2', 'appears more than once'],
    ['ca.example; k=v;v', 'has no "="'],
  ])('refuses %s', (value, reason) => {
    const parsed = parseCaaIssueValue(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });
});

describe('checkCaa', () => {
  it('climbs from the name to the top-level domain', async () => {
    expect(caaSearchNodes('www.a.example.com')).toEqual(['www.a.example.com', 'a.example.com', 'example.com', 'com']);
    const resolver = memoryResolver({ caa: { 'www.a.test': 'nodata' } });
    expect(await check(resolver, 'www.a.test')).toEqual({ outcome: 'noRecords' });
    expect(resolver.queries).toEqual(['CAA www.a.test', 'CAA a.test', 'CAA test']);
  });

  it('authorizes through a parent record and stops at the first non-empty set', async () => {
    const resolver = memoryResolver({ caa: { 'a.test': [issue('ca.example')], test: [issue('other.example')] } });
    expect(await check(resolver, 'www.a.test')).toEqual({ outcome: 'authorized', domain: 'a.test', record: '0 issue "ca.example"' });
    expect(resolver.queries).toEqual(['CAA www.a.test', 'CAA a.test']);
  });

  it('lets the closest set win even when a parent would allow', async () => {
    const resolver = memoryResolver({ caa: { 'www.a.test': [issue('other.example')], 'a.test': [issue('ca.example')] } });
    const err = await failure(check(resolver, 'www.a.test'));
    expect(err.code).toBe('caa');
    expect(err.detail).toBe('CAA record for www.a.test prevents issuance for www.a.test: no issue record authorizes this CA (ca.example): the record 0 issue "other.example" names another issuer');
  });

  it('matches tags and issuer names case-insensitively', async () => {
    const resolver = memoryResolver({ caa: { 'a.test': [{ flags: 0, tag: 'ISSUE', value: 'CA.Example' }] } });
    expect((await check(resolver, 'a.test')).outcome).toBe('authorized');
  });

  it('refuses an accounturi for another account and accepts the right one (RFC 8657 §3)', async () => {
    const other = memoryResolver({ caa: { 'a.test': [issue('ca.example; accounturi=https://ca.example/acme/acct/someone-else')] } });
    const err = await failure(check(other, 'a.test'));
    expect(err.code).toBe('caa');
    expect(err.detail).toContain(`has accounturi https://ca.example/acme/acct/someone-else, not this account (${ACCOUNT_URL})`);
    const mine = memoryResolver({ caa: { 'a.test': [issue(`ca.example; accounturi=${ACCOUNT_URL}`)] } });
    expect((await check(mine, 'a.test')).outcome).toBe('authorized');
  });

  it('refuses a challenge type outside validationmethods and accepts one inside (RFC 8657 §4)', async () => {
    const resolver = memoryResolver({ caa: { 'a.test': [issue('ca.example; validationmethods=dns-01,tls-alpn-01')] } });
    const err = await failure(check(resolver, 'a.test'));
    expect(err.code).toBe('caa');
    expect(err.detail).toContain('has validationmethods dns-01,tls-alpn-01, which does not include http-01');
    expect((await check(resolver, 'a.test', { challengeType: 'tls-alpn-01' })).outcome).toBe('authorized');
  });

  it('authorizes when any one of several issue records fits', async () => {
    const resolver = memoryResolver({ caa: { 'a.test': [issue('other.example'), issue('ca.example; validationmethods=dns-01'), issue('ca.example')] } });
    expect(await check(resolver, 'a.test')).toEqual({ outcome: 'authorized', domain: 'a.test', record: '0 issue "ca.example"' });
  });

  it('refuses a critical unknown tag and ignores a non-critical one', async () => {
    const critical = memoryResolver({ caa: { 'a.test': [issue('ca.example'), { flags: 128, tag: 'tbs', value: 'whatever' }] } });
    const err = await failure(check(critical, 'a.test'));
    expect(err.code).toBe('caa');
    expect(err.detail).toContain('the record 128 tbs "whatever" has the unknown tag "tbs" marked critical');
    const relaxed = memoryResolver({ caa: { 'a.test': [issue('ca.example'), { flags: 0, tag: 'tbs', value: 'whatever' }] } });
    expect((await check(relaxed, 'a.test')).outcome).toBe('authorized');
    const knownCritical = memoryResolver({ caa: { 'a.test': [issue('ca.example', 128), { flags: 128, tag: 'iodef', value: 'mailto:x@a.test' }] } });
    expect((await check(knownCritical, 'a.test')).outcome).toBe('authorized');
  });

  it('permits issuance when the set has no issue property (only iodef)', async () => {
    const resolver = memoryResolver({ caa: { 'a.test': [{ flags: 0, tag: 'iodef', value: 'mailto:x@a.test' }] } });
    expect(await check(resolver, 'a.test')).toEqual({ outcome: 'noIssueProperty', domain: 'a.test' });
  });

  it('refuses an empty issuer and a malformed value', async () => {
    const none = await failure(check(memoryResolver({ caa: { 'a.test': [issue(';')] } }), 'a.test'));
    expect(none.detail).toContain('the record 0 issue ";" authorizes no issuer');
    const bad = await failure(check(memoryResolver({ caa: { 'a.test': [issue('ca.example; x')] } }), 'a.test'));
    expect(bad.code).toBe('caa');
    expect(bad.detail).toContain('is malformed (parameter "x" has no "=")');
  });

  describe('issuewild (RFC 8659 §4.3)', () => {
    const noWildcards = memoryResolver({ caa: { 'a.test': [issue('ca.example'), issuewild(';')] } });
    it('forbids a wildcard when issuewild names no one, while issue still allows the name', async () => {
      const err = await failure(check(noWildcards, 'a.test', { wildcard: true }));
      expect(err.code).toBe('caa');
      expect(err.detail).toContain('prevents issuance for *.a.test: no issuewild record authorizes this CA');
      expect((await check(noWildcards, 'a.test')).outcome).toBe('authorized');
    });
    it('falls back to issue for a wildcard when there is no issuewild', async () => {
      const onlyIssue = memoryResolver({ caa: { 'a.test': [issue('ca.example')] } });
      expect((await check(onlyIssue, 'a.test', { wildcard: true })).outcome).toBe('authorized');
    });
    it('lets issuewild allow a wildcard that issue forbids, and not the name itself', async () => {
      const wildOnly = memoryResolver({ caa: { 'a.test': [issue(';'), issuewild('ca.example')] } });
      expect(await check(wildOnly, 'a.test', { wildcard: true })).toEqual({ outcome: 'authorized', domain: 'a.test', record: '0 issuewild "ca.example"' });
      expect((await failure(check(wildOnly, 'a.test'))).code).toBe('caa');
    });
    it('treats a "*." identifier as a wildcard even without the flag', async () => {
      expect((await failure(check(noWildcards, '*.a.test'))).detail).toContain('*.a.test');
    });
  });

  it.each(['servfail', 'timeout', 'refused'] as const)('fails closed with dns on %s', async (kind) => {
    const resolver = memoryResolver({ caa: { 'www.a.test': 'nodata', 'a.test': kind } });
    const err = await failure(check(resolver, 'www.a.test'));
    expect(err.code).toBe('dns');
    expect(err.detail).toContain('looking up CAA for a.test while checking CAA for www.a.test; CAA checking fails closed');
  });

  it('fails closed when the resolver throws something unexpected', async () => {
    const resolver = { ...memoryResolver({}), resolveCaa: () => Promise.reject(new Error('boom')) };
    const err = await failure(check(resolver, 'a.test'));
    expect(err.code).toBe('dns');
    expect(err.detail).toContain('fails closed');
  });

  it('skips names under a skipCaaFor suffix without any lookup, and only those', async () => {
    const resolver = memoryResolver({ caa: { 'corp.internal': [issue(';')], 'notcorp.internal': [issue(';')] } });
    const config = { issuerDomains: ['ca.example'], skipCaaFor: ['corp.internal'] };
    expect(await check(resolver, 'db.corp.internal', { config })).toEqual({ outcome: 'skipped', suffix: 'corp.internal' });
    expect(resolver.queries).toEqual([]);
    expect((await failure(check(resolver, 'notcorp.internal', { config }))).code).toBe('caa');
  });

  it('does not apply to IP identifiers (RFC 8738 §7)', async () => {
    const resolver = memoryResolver({});
    const result = await checkCaa({ identifier: { type: 'ip', value: '192.0.2.1' }, wildcard: false, accountUri: ACCOUNT_URL, challengeType: 'http-01', resolver, config: CONFIG });
    expect(result.outcome).toBe('notApplicable');
    expect(resolver.queries).toEqual([]);
  });
});

function validAuthz(id: string, value: string, validatedAt: Date, type = 'http-01', wildcard = false): Authorization {
  const identifier: Identifier = { type: 'dns', value };
  return {
    id,
    accountId: 'acct-1',
    identifier,
    wildcard,
    status: 'valid',
    expires: new Date('2026-02-01T00:00:00Z'),
    createdAt: new Date('2026-01-01T00:00:00Z'),
    challenges: [
      { id: `${id}-c1`, authorizationId: id, type: 'dns-01', status: 'invalid', token: 't1' },
      { id: `${id}-c2`, authorizationId: id, type, status: 'valid', token: 't2', validatedAt },
    ],
  };
}

describe('CAA against pebble-challtestsrv', () => {
  let srv: ChallTestSrv;
  beforeAll(async () => {
    srv = await startChallTestSrv();
    await srv.addCaa('first.caa.test', [{ tag: 'issue', value: 'ca.example' }]);
    await srv.addCaa('second.caa.test', [{ tag: 'issue', value: 'other-ca.example' }]);
    await srv.addCaa('acct.caa.test', [{ tag: 'issue', value: 'ca.example; accounturi=https://ca.example/acme/acct/other' }]);
    await srv.setServfail('broken.caa.test');
  });
  afterAll(async () => {
    await srv.stop();
  });

  const counting = () => {
    const inner = createNodeDnsResolver({ servers: [srv.dnsServer], timeoutMs: 1000, tries: 1 });
    const queried: string[] = [];
    const resolver: DnsResolver = { ...inner, resolveCaa: (name) => (queried.push(name), inner.resolveCaa(name)) };
    return { resolver, queried };
  };

  it('reads real CAA records: allow, forbid, accounturi mismatch and SERVFAIL', async () => {
    const { resolver } = counting();
    expect((await check(resolver, 'www.first.caa.test')).outcome).toBe('authorized');
    expect((await failure(check(resolver, 'second.caa.test'))).code).toBe('caa');
    expect((await failure(check(resolver, 'acct.caa.test'))).detail).toContain('accounturi https://ca.example/acme/acct/other');
    const servfail = await failure(check(resolver, 'www.broken.caa.test'));
    expect(servfail.code).toBe('dns');
    expect(servfail.detail).toContain('SERVFAIL looking up CAA for broken.caa.test while checking CAA for www.broken.caa.test');
  });

  it('recheckCaaForOrder checks EACH stale identifier: CAA forbidding only the second of two names is caught', async () => {
    const { resolver, queried } = counting();
    const validatedAt = new Date('2026-01-10T00:00:00Z');
    const now = new Date(validatedAt.getTime() + 9 * HOUR);
    const authorizations = [validAuthz('z1', 'first.caa.test', validatedAt), validAuthz('z2', 'second.caa.test', validatedAt)];
    const outcome = await recheckCaaForOrder(authorizations, now, 8 * HOUR, { accountUri: ACCOUNT_URL, resolver, config: CONFIG });
    expect(outcome.rechecked.map((r) => r.identifier.value)).toEqual(['first.caa.test', 'second.caa.test']);
    expect(outcome.rechecked[0]!.result).toEqual({ outcome: 'authorized', domain: 'first.caa.test', record: '0 issue "ca.example"' });
    expect(queried.sort()).toEqual(['first.caa.test', 'second.caa.test']);
    expect(outcome.subproblems).toHaveLength(1);
    expect(outcome.subproblems[0]).toEqual({
      code: 'caa',
      identifier: { type: 'dns', value: 'second.caa.test' },
      detail: expect.stringContaining('CAA record for second.caa.test prevents issuance'),
    });
    const combined = combineSubproblems([...outcome.subproblems]);
    expect(combined.code).toBe('caa');
  });

  it('recheckCaaForOrder leaves fresh validations alone and uses each validation method', async () => {
    const { resolver, queried } = counting();
    const now = new Date('2026-01-10T12:00:00Z');
    const fresh = validAuthz('z1', 'second.caa.test', new Date(now.getTime() - HOUR));
    const stale = validAuthz('z2', 'first.caa.test', new Date(now.getTime() - 9 * HOUR), 'dns-01');
    const outcome = await recheckCaaForOrder([fresh, stale], now, 8 * HOUR, { accountUri: ACCOUNT_URL, resolver, config: CONFIG });
    expect(outcome.fresh).toEqual([{ type: 'dns', value: 'second.caa.test' }]);
    expect(outcome.rechecked.map((r) => r.identifier.value)).toEqual(['first.caa.test']);
    expect(queried).toEqual(['first.caa.test']);
    expect(outcome.subproblems).toEqual([]);
  });

  it('recheckCaaForOrder reports an authorization without a validated challenge', async () => {
    const { resolver } = counting();
    const authz = { ...validAuthz('z1', 'first.caa.test', new Date('2026-01-01T00:00:00Z')), challenges: [] };
    const outcome = await recheckCaaForOrder([authz], new Date('2026-01-10T00:00:00Z'), 8 * HOUR, { accountUri: ACCOUNT_URL, resolver, config: CONFIG });
    expect(outcome.subproblems).toEqual([{ code: 'unauthorized', detail: expect.stringContaining('has no validated challenge'), identifier: { type: 'dns', value: 'first.caa.test' } }]);
  });
});
