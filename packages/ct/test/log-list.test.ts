import { describe, expect, it } from 'vitest';
import { isCertwrightError, toPem } from '@certwright/core';
import { defineCtLog, defineCtLogs, logAcceptsNotAfter, logIdOf } from '../src/index.js';
import type { CtLogConfig } from '../src/index.js';
import { hex, logKeyPair } from './helpers.js';

const key = logKeyPair();
const pem = toPem(key.spki, 'PUBLIC KEY');
const base: CtLogConfig = { url: 'https://ct.example/2026h1/', publicKey: pem, operator: 'Example Op', name: 'example-2026h1' };

function rejects(run: () => unknown, rule: RegExp): void {
  let error: unknown;
  try {
    run();
  } catch (err) {
    error = err;
  }
  expect(isCertwrightError(error, 'serverInternal')).toBe(true);
  expect((error as Error).message).toMatch(rule);
}

describe('log configuration', () => {
  it('computes the log id as SHA-256 of the SPKI and normalizes the URL', () => {
    const log = defineCtLog(base);
    expect(hex(log.key.logId)).toBe(hex(logIdOf(key.spki)));
    expect(log.url).toBe('https://ct.example/2026h1');
    expect(log.name).toBe('example-2026h1');
    expect(defineCtLog({ ...base, name: undefined, publicKey: key.spki }).name).toBe('ct.example/2026h1');
  });

  it.each([
    ['a relative URL', { url: '/ct' }, /CT log "example-2026h1": url must be an absolute URL/],
    ['a non-HTTP URL', { url: 'ftp://ct.example/' }, /url must be http or https, not ftp:/],
    ['a URL with a query', { url: 'https://ct.example/?x=1' }, /url must have no query, fragment or credentials/],
    ['an empty operator', { operator: ' ' }, /operator must be a non-empty string/],
    ['an invalid date', { acceptedFrom: new Date('nope') }, /acceptedFrom must be a valid Date/],
    ['an empty shard window', { acceptedFrom: new Date('2026-07-01T00:00:00Z'), acceptedUntil: new Date('2026-07-01T00:00:00Z') }, /acceptedFrom must be before acceptedUntil/],
    ['a bad key', { publicKey: 'not a key' }, /CT log "example-2026h1": the public key is not a PEM or DER SubjectPublicKeyInfo/],
  ])('rejects %s', (_name, change, rule) => {
    rejects(() => defineCtLog({ ...base, ...(change as Partial<CtLogConfig>) }), rule);
  });

  it('rejects two logs with the same key, URL or name', () => {
    const other = logKeyPair();
    rejects(() => defineCtLogs([base, { ...base, url: 'https://other.example', name: 'other' }]), /CT log "other": same log id as CT log "example-2026h1"/);
    rejects(() => defineCtLogs([base, { ...base, publicKey: other.spki, name: 'other' }]), /CT log "other": same url as CT log "example-2026h1"/);
    rejects(() => defineCtLogs([base, { ...base, publicKey: other.spki, url: 'https://other.example' }]), /same name as CT log "example-2026h1"/);
  });

  it('applies the temporal shard window to notAfter: [acceptedFrom, acceptedUntil)', () => {
    const log = defineCtLog({ ...base, acceptedFrom: new Date('2026-01-01T00:00:00Z'), acceptedUntil: new Date('2026-07-01T00:00:00Z') });
    expect(logAcceptsNotAfter(log, new Date('2025-12-31T23:59:59Z'))).toBe(false);
    expect(logAcceptsNotAfter(log, new Date('2026-01-01T00:00:00Z'))).toBe(true);
    expect(logAcceptsNotAfter(log, new Date('2026-06-30T23:59:59Z'))).toBe(true);
    expect(logAcceptsNotAfter(log, new Date('2026-07-01T00:00:00Z'))).toBe(false);
    expect(logAcceptsNotAfter(defineCtLog(base), new Date('2099-01-01T00:00:00Z'))).toBe(true);
  });
});
