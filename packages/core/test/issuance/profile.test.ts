import { describe, expect, it } from 'vitest';
import { CertwrightError } from '../../src/errors.js';
import { computeValidity, defaultProfiles, defineProfile, truncateToSecond, type ProfileInput } from '../../src/issuance/profile.js';

const base: ProfileInput = {
  name: 'test',
  validitySeconds: 7 * 86400,
  backdateSeconds: 3600,
  keyUsage: 'auto',
  extKeyUsages: ['serverAuth'],
  commonName: 'omit',
  includeSki: true,
  policies: ['2.23.140.1.2.1'],
  mustStaple: false,
  allowedKeyTypes: ['P-256'],
};

function rejects(over: Partial<ProfileInput> & Record<string, unknown>, field: string): void {
  let err: unknown;
  try {
    defineProfile({ ...base, ...over } as ProfileInput);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CertwrightError);
  expect((err as CertwrightError).code).toBe('serverInternal');
  expect((err as CertwrightError).detail).toContain(`field ${field} `);
}

describe('defineProfile', () => {
  it('accepts a valid profile, resolves EKU names and freezes it', () => {
    const p = defineProfile({ ...base, extKeyUsages: ['serverAuth', '1.3.6.1.5.5.7.3.2'], crl: { baseUrl: 'http://crl.example.test/', shardCount: 4 } });
    expect(p.extKeyUsageOids).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(p.crlUrlTemplate).toBe('http://crl.example.test/{issuerId}/{shard}.crl');
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.allowedKeyTypes)).toBe(true);
  });

  it('names the bad field in the error', () => {
    rejects({ name: 'bad name!' }, 'name');
    rejects({ validitySeconds: 0 }, 'validitySeconds');
    rejects({ validitySeconds: 1.5 }, 'validitySeconds');
    rejects({ backdateSeconds: -1 }, 'backdateSeconds');
    rejects({ backdateSeconds: 7 * 86400 }, 'backdateSeconds');
    rejects({ keyUsage: [] }, 'keyUsage');
    rejects({ keyUsage: ['digitalSignature', 'flying' as never] }, 'keyUsage');
    rejects({ keyUsage: ['digitalSignature', 'keyCertSign'] }, 'keyUsage');
    rejects({ extKeyUsages: [] }, 'extKeyUsages');
    rejects({ extKeyUsages: ['serverAuth', 'teleport'] }, 'extKeyUsages');
    rejects({ commonName: 'always' as never }, 'commonName');
    rejects({ ocspUrl: 'ftp://ocsp.example' }, 'ocspUrl');
    rejects({ caIssuersUrl: 'not a url' }, 'caIssuersUrl');
    rejects({ crl: { shardCount: 1 } }, 'crl');
    rejects({ crl: { baseUrl: 'http://a', urlTemplate: 'http://b/{shard}', shardCount: 1 } }, 'crl');
    rejects({ crl: { urlTemplate: 'http://crl.example/{issuerId}.crl', shardCount: 2 } }, 'crl.urlTemplate');
    rejects({ crl: { baseUrl: 'gopher://x', shardCount: 1 } }, 'crl.urlTemplate');
    rejects({ crl: { baseUrl: 'http://x', shardCount: 0 } }, 'crl.shardCount');
    rejects({ policies: ['2.23.140.1.2.1', 'dv'] }, 'policies');
    rejects({ mustStaple: 'yes' as never }, 'mustStaple');
    rejects({ includeSki: 1 as never }, 'includeSki');
    rejects({ allowedKeyTypes: [] }, 'allowedKeyTypes');
    rejects({ allowedKeyTypes: ['P-256', 'DSA-1024' as never] }, 'allowedKeyTypes');
    rejects({ maxNames: 0 }, 'maxNames');
  });

  it('defaultProfiles offers default (90 days, CN) and shortlived (160 h, no CN)', () => {
    const [def, short] = defaultProfiles();
    expect(def).toMatchObject({ name: 'default', validitySeconds: 7776000, commonName: 'firstSan', includeSki: true, mustStaple: false });
    expect(def!.extKeyUsageOids).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(short).toMatchObject({ name: 'shortlived', validitySeconds: 576000, commonName: 'omit' });
  });
});

describe('computeValidity', () => {
  const profile = defineProfile(base);
  const issuer = { id: 'i1', notBefore: new Date('2025-01-01T00:00:00Z'), notAfter: new Date('2027-01-01T00:00:00Z') };
  const now = new Date('2026-05-05T10:20:30.789Z');

  it('backdates, rounds down to the second and makes notAfter inclusive', () => {
    const v = computeValidity(profile, issuer, now);
    expect(v.notBefore.toISOString()).toBe('2026-05-05T09:20:30.000Z');
    expect(v.notAfter.toISOString()).toBe('2026-05-12T09:20:29.000Z');
    expect((v.notAfter.getTime() - v.notBefore.getTime()) / 1000 + 1).toBe(profile.validitySeconds);
    expect(truncateToSecond(now).toISOString()).toBe('2026-05-05T10:20:30.000Z');
  });

  it('never backdates before the issuer’s notBefore', () => {
    const fresh = { ...issuer, notBefore: new Date('2026-05-05T10:00:00Z') };
    expect(computeValidity(profile, fresh, now).notBefore.toISOString()).toBe('2026-05-05T10:00:00.000Z');
  });

  it('accepts explicit bounds within the profile maximum', () => {
    const v = computeValidity(profile, issuer, now, { notBefore: new Date('2026-05-06T00:00:00.500Z'), notAfter: new Date('2026-05-08T00:00:00Z') });
    expect(v).toEqual({ notBefore: new Date('2026-05-06T00:00:00Z'), notAfter: new Date('2026-05-08T00:00:00Z') });
    const max = computeValidity(profile, issuer, now, { notBefore: new Date('2026-05-06T00:00:00Z'), notAfter: new Date('2026-05-12T23:59:59Z') });
    expect(max.notAfter.toISOString()).toBe('2026-05-12T23:59:59.000Z');
  });

  it('rejects explicit bounds that are too long, reversed or backdated', () => {
    const nb = new Date('2026-05-06T00:00:00Z');
    expect(() => computeValidity(profile, issuer, now, { notBefore: nb, notAfter: new Date('2026-05-13T00:00:00Z') })).toThrow(
      expect.objectContaining({ code: 'malformed', detail: expect.stringMatching(/exceeds profile "test" maximum of 604800 seconds/) }),
    );
    expect(() => computeValidity(profile, issuer, now, { notBefore: nb, notAfter: new Date('2026-05-05T23:59:59Z') })).toThrow(
      expect.objectContaining({ code: 'malformed', detail: expect.stringMatching(/notAfter is before notBefore/) }),
    );
    expect(() => computeValidity(profile, issuer, now, { notBefore: new Date('2026-05-01T00:00:00Z') })).toThrow(
      expect.objectContaining({ code: 'malformed', detail: expect.stringMatching(/notBefore .* is earlier than allowed/) }),
    );
  });

  it('refuses to issue past the issuer’s notAfter instead of shortening', () => {
    const ending = { ...issuer, notAfter: new Date('2026-05-10T00:00:00Z') };
    expect(() => computeValidity(profile, ending, now)).toThrow(
      expect.objectContaining({ code: 'serverInternal', detail: expect.stringMatching(/would be after issuer i1 notAfter 2026-05-10/) }),
    );
  });
});
