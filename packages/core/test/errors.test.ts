import { describe, expect, it } from 'vitest';
import {
  ACME_ERROR_NS,
  CertwrightError,
  PROBLEM_TABLE,
  acmeError,
  combineSubproblems,
  isCertwrightError,
  toProblem,
  type ErrorCode,
  type Subproblem,
} from '../src/errors.js';

const dns = (value: string) => ({ type: 'dns' as const, value });

describe('CertwrightError', () => {
  it('carries its code, the given detail, or the table default', () => {
    const withDetail = new CertwrightError('badNonce', 'Nonce "abc" was already used');
    expect(withDetail).toBeInstanceOf(Error);
    expect(withDetail.name).toBe('CertwrightError');
    expect(withDetail.code).toBe('badNonce');
    expect(withDetail.detail).toBe('Nonce "abc" was already used');
    expect(withDetail.message).toBe('Nonce "abc" was already used');
    expect(new CertwrightError('orderNotReady').detail).toBe(PROBLEM_TABLE.orderNotReady.detail);
  });

  it('keeps the cause without showing it', () => {
    const cause = new Error('SQLITE_BUSY: database is locked');
    const err = acmeError('serverInternal', undefined, { cause });
    expect(err.cause).toBe(cause);
    expect(toProblem(err).document.detail).not.toContain('SQLITE');
  });

  it('isCertwrightError checks the type and, optionally, the code', () => {
    const err = new CertwrightError('conflict');
    expect(isCertwrightError(err)).toBe(true);
    expect(isCertwrightError(err, 'conflict')).toBe(true);
    expect(isCertwrightError(err, 'malformed')).toBe(false);
    expect(isCertwrightError(new Error('conflict'))).toBe(false);
    expect(isCertwrightError({ code: 'conflict' }, 'conflict')).toBe(false);
  });
});

describe('PROBLEM_TABLE', () => {
  it('maps every code to an ACME type with an HTTP error status and a detail', () => {
    for (const [code, mapping] of Object.entries(PROBLEM_TABLE)) {
      expect(mapping.type, code).toMatch(/^[a-zA-Z]+$/);
      expect(mapping.status, code).toBeGreaterThanOrEqual(400);
      expect(mapping.status, code).toBeLessThan(600);
      expect(mapping.detail.length, code).toBeGreaterThan(0);
    }
  });

  it('uses the statuses ACME clients rely on', () => {
    expect(PROBLEM_TABLE.rateLimited.status).toBe(429);
    expect(PROBLEM_TABLE.serverInternal.status).toBe(500);
    expect(PROBLEM_TABLE.unauthorized.status).toBe(403);
    expect(PROBLEM_TABLE.notFound).toMatchObject({ type: 'malformed', status: 404 });
    expect(PROBLEM_TABLE.conflict).toMatchObject({ type: 'malformed', status: 409 });
    expect(PROBLEM_TABLE.alreadyReplaced).toMatchObject({ type: 'alreadyReplaced', status: 409 });
  });
});

describe('toProblem (RFC 8555 §6.7, RFC 7807)', () => {
  it('builds the problem document with the URN type, status and detail', () => {
    const problem = toProblem(new CertwrightError('badNonce', 'Nonce "abc" is unknown'));
    expect(problem).toEqual({
      status: 400,
      headers: {},
      document: { type: `${ACME_ERROR_NS}badNonce`, detail: 'Nonce "abc" is unknown', status: 400 },
    });
    expect(problem.document.type).toBe('urn:ietf:params:acme:error:badNonce');
  });

  it('maps internal codes onto their ACME type and specific status', () => {
    const problem = toProblem(new CertwrightError('notFound', 'No order "x"'));
    expect(problem.status).toBe(404);
    expect(problem.document).toEqual({ type: 'urn:ietf:params:acme:error:malformed', detail: 'No order "x"', status: 404 });
  });

  it('turns subproblems into typed per-identifier problems (§6.7.1)', () => {
    const err = new CertwrightError('rejectedIdentifier', 'Some names are refused', {
      subproblems: [
        { code: 'rejectedIdentifier', detail: 'example.net is not allowed', identifier: dns('example.net') },
        { code: 'policyViolation', detail: 'bad.example.com is blocked', identifier: dns('bad.example.com') },
      ],
    });
    expect(toProblem(err).document.subproblems).toEqual([
      { type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail: 'example.net is not allowed', identifier: dns('example.net') },
      { type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail: 'bad.example.com is blocked', identifier: dns('bad.example.com') },
    ]);
    expect(toProblem(new CertwrightError('malformed')).document).not.toHaveProperty('subproblems');
  });

  it('adds Retry-After in whole, non-negative seconds, and other headers', () => {
    expect(toProblem(new CertwrightError('rateLimited', 'Too many orders', { retryAfterSeconds: 90 })).headers).toEqual({ 'Retry-After': '90' });
    expect(toProblem(new CertwrightError('rateLimited', undefined, { retryAfterSeconds: 1.2 })).headers['Retry-After']).toBe('2');
    expect(toProblem(new CertwrightError('rateLimited', undefined, { retryAfterSeconds: -5 })).headers['Retry-After']).toBe('0');
    const conflict = toProblem(new CertwrightError('conflict', 'Key in use', { headers: { Location: 'https://ca/acct/1' } }));
    expect(conflict.headers).toEqual({ Location: 'https://ca/acct/1' });
    expect(conflict.status).toBe(409);
  });

  it('includes the instance URL for userActionRequired (§7.3.3)', () => {
    const doc = toProblem(new CertwrightError('userActionRequired', 'Accept the new terms', { instance: 'https://ca/terms' })).document;
    expect(doc).toEqual({
      type: 'urn:ietf:params:acme:error:userActionRequired',
      detail: 'Accept the new terms',
      status: 403,
      instance: 'https://ca/terms',
    });
  });

  it('reports anything else as serverInternal without leaking its message', () => {
    for (const thrown of [new Error('password=hunter2 at /srv/db'), new TypeError('x is undefined'), 'a string', 42, undefined, null]) {
      const problem = toProblem(thrown);
      expect(problem.status).toBe(500);
      expect(problem.headers).toEqual({});
      expect(problem.document).toEqual({
        type: 'urn:ietf:params:acme:error:serverInternal',
        detail: PROBLEM_TABLE.serverInternal.detail,
        status: 500,
      });
    }
  });

  it('does not let a caller mutate the error headers through the problem', () => {
    const err = new CertwrightError('conflict', undefined, { headers: { Location: 'a' } });
    toProblem(err).headers['Location'] = 'b';
    expect(err.headers['Location']).toBe('a');
  });
});

describe('combineSubproblems', () => {
  const sub = (code: ErrorCode, value: string): Subproblem => ({ code, detail: `${value}: ${code}`, identifier: dns(value) });

  it('turns a single subproblem into that error', () => {
    const err = combineSubproblems([sub('caa', 'a.example.com')]);
    expect(err.code).toBe('caa');
    expect(err.detail).toBe('a.example.com: caa');
    expect(err.subproblems).toHaveLength(1);
  });

  it('keeps a shared code and names every identifier', () => {
    const err = combineSubproblems([sub('rejectedIdentifier', 'a.example'), sub('rejectedIdentifier', 'b.example')]);
    expect(err.code).toBe('rejectedIdentifier');
    expect(err.detail).toContain('a.example, b.example');
    expect(err.detail).toContain('2 identifiers');
    expect(err.subproblems.map((s) => s.identifier.value)).toEqual(['a.example', 'b.example']);
  });

  it('uses compound, or the fallback, when codes differ', () => {
    const mixed = [sub('caa', 'a.example'), sub('dns', 'b.example')];
    expect(combineSubproblems(mixed).code).toBe('compound');
    expect(combineSubproblems(mixed, 'rejectedIdentifier').code).toBe('rejectedIdentifier');
    expect(toProblem(combineSubproblems(mixed)).document.subproblems?.map((s) => s.type)).toEqual([
      'urn:ietf:params:acme:error:caa',
      'urn:ietf:params:acme:error:dns',
    ]);
  });

  it('refuses an empty list', () => {
    expect(() => combineSubproblems([])).toThrow(/no subproblems/);
  });
});
