import { describe, expect, it } from 'vitest';
import { CertwrightError, FakeClock, registrableDomain } from '@certwright/core';
import {
  MemoryRateLimitStore,
  addressGroup,
  certificateKeys,
  compileRules,
  createMemoryRateLimiter,
  createStoreRateLimiter,
  failedValidationKey,
  registeredDomainOf,
  takeTokens,
} from '../../src/ratelimit/index.js';
import type { BucketState, RateLimiter, RateLimitKey, RateLimitStore } from '../../src/ratelimit/index.js';

const KEY: RateLimitKey = { limit: 'newOrdersPerAccount', subject: 'acct-1' };
const RULES = { newOrdersPerAccount: { count: 3, periodSeconds: 30 } };

function limiters(clock: FakeClock): [string, RateLimiter][] {
  return [
    ['memory', createMemoryRateLimiter({ rules: RULES, clock })],
    ['store', createStoreRateLimiter({ rules: RULES, clock, store: new MemoryRateLimitStore() })],
  ];
}

describe('rate limit rules', () => {
  it('refuses a count that is not a positive integer, naming the limit', () => {
    expect(() => compileRules({ newOrdersPerAccount: { count: 0, periodSeconds: 10 } })).toThrow(/newOrdersPerAccount: count must be a positive integer/);
    expect(() => compileRules({ certificatesPerDomain: { count: 1.5, periodSeconds: 10 } })).toThrow(/certificatesPerDomain: count/);
  });

  it('refuses a period that is not positive, and unknown limit names', () => {
    expect(() => compileRules({ newAccountsPerIp: { count: 1, periodSeconds: 0 } })).toThrow(/newAccountsPerIp: periodSeconds must be a positive number/);
    expect(() => compileRules({ ordersPerMoon: { count: 1, periodSeconds: 1 } } as never)).toThrow(/Unknown rate limit "ordersPerMoon"/);
  });
});

describe('token bucket', () => {
  it('refuses a cost above capacity with a full period to wait', () => {
    const outcome = takeTokens(undefined, { count: 2, periodSeconds: 10 }, 3, 0);
    expect(outcome).toMatchObject({ allowed: false, retryAfterMs: 10_000, resetAfterMs: 0 });
  });

  it('does not refill when the clock goes backwards', () => {
    const state: BucketState = { tokens: 0, updatedAtMs: 10_000 };
    expect(takeTokens(state, { count: 1, periodSeconds: 10 }, 1, 5_000).allowed).toBe(false);
    expect(takeTokens(state, { count: 1, periodSeconds: 10 }, 1, 20_000).allowed).toBe(true);
  });
});

describe.each(['memory', 'store'])('%s rate limiter', (kind) => {
  function make(): { clock: FakeClock; limiter: RateLimiter } {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    return { clock, limiter: limiters(clock).find(([k]) => k === kind)![1] };
  }

  it('allows count at once, refuses the next with the time to the next token, and refills', async () => {
    const { clock, limiter } = make();
    for (let i = 0; i < 3; i++) expect((await limiter.check(KEY)).allowed).toBe(true);
    const refused = await limiter.check(KEY);
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 10, resetSeconds: 30, limit: { name: 'newOrdersPerAccount', count: 3, periodSeconds: 30 } });
    clock.advance(9_999);
    expect((await limiter.check(KEY)).allowed).toBe(false);
    clock.advance(1);
    expect((await limiter.check(KEY)).allowed).toBe(true);
    expect((await limiter.check(KEY)).allowed).toBe(false);
    clock.advance(30_000);
    for (let i = 0; i < 3; i++) expect((await limiter.check(KEY)).allowed).toBe(true);
  });

  it('peek takes nothing; refund gives back up to capacity; spend counts down to zero', async () => {
    const { limiter } = make();
    for (let i = 0; i < 5; i++) expect((await limiter.peek(KEY)).allowed).toBe(true);
    await limiter.refund(KEY);
    for (let i = 0; i < 3; i++) expect((await limiter.check(KEY)).allowed).toBe(true);
    expect((await limiter.peek(KEY)).allowed).toBe(false);
    await limiter.refund(KEY);
    expect((await limiter.check(KEY)).allowed).toBe(true);
    await limiter.refund(KEY);
    await limiter.spend(KEY, 10);
    const refused = await limiter.peek(KEY);
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 10, resetSeconds: 30 });
  });

  it('keeps buckets apart by subject and allows limits that are not configured', async () => {
    const { limiter } = make();
    for (let i = 0; i < 3; i++) await limiter.check(KEY);
    expect((await limiter.check({ ...KEY, subject: 'acct-2' })).allowed).toBe(true);
    for (let i = 0; i < 10; i++) expect((await limiter.check({ limit: 'newAccountsPerIp', subject: '192.0.2.1' })).allowed).toBe(true);
  });

  it('refuses a negative cost', async () => {
    const { limiter } = make();
    await expect(limiter.check(KEY, -1)).rejects.toThrow(/cost must be a non-negative number, got -1/);
  });
});

describe('store-backed rate limiter', () => {
  it('retries a lost compare-and-set and never lets two racing checks take the last token', async () => {
    const clock = new FakeClock();
    const store = new MemoryRateLimitStore();
    const a = createStoreRateLimiter({ rules: { newOrdersPerAccount: { count: 1, periodSeconds: 60 } }, clock, store });
    const b = createStoreRateLimiter({ rules: { newOrdersPerAccount: { count: 1, periodSeconds: 60 } }, clock, store });
    const results = await Promise.all([a.check(KEY), b.check(KEY), a.check(KEY), b.check(KEY)]);
    expect(results.filter((r) => r.allowed)).toHaveLength(1);
  });

  it('refuses with rateLimited naming the limit when every compare-and-set loses', async () => {
    const clock = new FakeClock();
    const inner = new MemoryRateLimitStore();
    const contended: RateLimitStore = {
      getBucket: (key) => inner.getBucket(key),
      compareAndSetBucket: async () => false,
      purgeFullBuckets: (before, limit) => inner.purgeFullBuckets(before, limit),
    };
    const limiter = createStoreRateLimiter({ rules: RULES, clock, store: contended, maxAttempts: 3 });
    const err = await limiter.check(KEY).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertwrightError);
    expect((err as CertwrightError).code).toBe('rateLimited');
    expect((err as CertwrightError).detail).toContain('Rate limit newOrdersPerAccount');
    expect((err as CertwrightError).retryAfterSeconds).toBe(1);
    expect(() => createStoreRateLimiter({ rules: RULES, clock, store: inner, maxAttempts: 0 })).toThrow(/maxAttempts must be a positive integer/);
  });

  it('stores only buckets below capacity, and purges those full again', async () => {
    const clock = new FakeClock();
    const store = new MemoryRateLimitStore();
    const limiter = createStoreRateLimiter({ rules: RULES, clock, store });
    expect((await limiter.peek(KEY)).allowed).toBe(true);
    expect(store.size).toBe(0);
    await limiter.check(KEY);
    await limiter.check({ ...KEY, subject: 'acct-2' });
    await limiter.check({ ...KEY, subject: 'acct-2' });
    expect(store.size).toBe(2);
    clock.advance(10_001);
    expect(await store.purgeFullBuckets(clock.now().getTime(), 10)).toBe(1);
    expect(store.size).toBe(1);
  });
});

describe('rate limit keys', () => {
  it('groups IPv6 addresses by /64 and unmaps IPv4-mapped addresses', () => {
    expect(addressGroup('2001:db8:aa:bb:1:2:3:4')).toBe('2001:db8:aa:bb::/64');
    expect(addressGroup('2001:0db8:00aa:00bb::9')).toBe('2001:db8:aa:bb::/64');
    expect(addressGroup('fe80::1%eth0')).toBe('fe80::/64');
    expect(addressGroup('::ffff:192.0.2.4')).toBe('192.0.2.4');
    expect(addressGroup('192.0.2.4')).toBe('192.0.2.4');
    expect(addressGroup(undefined)).toBe('unknown');
    expect(addressGroup('not-an-ip')).toBe('not-an-ip');
  });

  it('finds registered domains through the Public Suffix List', () => {
    expect(registrableDomain('www.example.co.uk')).toBe('example.co.uk');
    expect(registrableDomain('a.b.corp')).toBe('b.corp');
    expect(registrableDomain('co.uk')).toBeUndefined();
    expect(registrableDomain('localhost')).toBeUndefined();
    expect(registeredDomainOf({ type: 'dns', value: '*.x.example.com' })).toBe('example.com');
    expect(registeredDomainOf({ type: 'dns', value: 'localhost' })).toBe('localhost');
    expect(registeredDomainOf({ type: 'ip', value: '10.0.0.1' })).toBe('10.0.0.1');
  });

  it('counts two subdomains of one registered domain once per certificate', () => {
    const keys = certificateKeys([
      { type: 'dns', value: 'a.example.com' },
      { type: 'dns', value: 'b.example.com' },
      { type: 'dns', value: 'example.org' },
    ]);
    expect(keys.map((k) => k.subject)).toEqual(['example.com', 'example.org']);
  });

  it('counts a wildcard with its base name for failed validations', () => {
    expect(failedValidationKey('acct', { type: 'dns', value: '*.example.com' })).toEqual(failedValidationKey('acct', { type: 'dns', value: 'example.com' }));
  });
});
