import { describe, expect, it } from 'vitest';
import { CertwrightError, toProblem } from '@certwright/core';
import { checkJoseMediaType } from '../../src/jws/index.js';

function problemOf(contentType: string | undefined) {
  try {
    checkJoseMediaType(contentType);
  } catch (err) {
    if (err instanceof CertwrightError) return { code: err.code, ...toProblem(err) };
    throw err;
  }
  throw new Error('accepted');
}

describe('checkJoseMediaType (RFC 8555 §6.2)', () => {
  it.each(['application/jose+json', 'Application/JOSE+JSON', ' application/jose+json ', 'application/jose+json; charset=utf-8', 'application/jose+json;charset="UTF-8"'])('accepts %j', (ct) => {
    expect(() => checkJoseMediaType(ct)).not.toThrow();
  });
  it.each([
    [undefined, /missing/],
    ['', /missing/],
    ['application/json', /"application\/json" is not application\/jose\+json/],
    ['application/jose', /"application\/jose" is not/],
    ['application/jose+json+x', /is not/],
    ['text/plain; application/jose+json', /is not/],
    ['application/jose+json; charset=iso-8859-1', /parameter "charset=iso-8859-1" is not allowed/],
    ['application/jose+json; profile=x', /parameter "profile=x" is not allowed/],
    ['application/jose+json; charset', /parameter "charset" is not allowed/],
    ['application/jose+json;', /parameter "" is not allowed/],
  ])('rejects %j with 415', (ct, detail) => {
    const p = problemOf(ct);
    expect(p.code).toBe('unsupportedMediaType');
    expect(p.status).toBe(415);
    expect(p.document.detail).toMatch(detail);
  });
});
