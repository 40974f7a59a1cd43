import { describe, expect, it } from 'vitest';
import { CertwrightError, jwkThumbprint as coreJwkThumbprint } from '@certwright/core';
import { checkPublicJwk, jwkThumbprint } from '../../src/jws/index.js';
import { b64, makeKey } from './helpers.js';

const rsa = makeKey('RS256');
const p521 = makeKey('ES512');

function codeOf(fn: () => unknown): { code: string; detail: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof CertwrightError) return { code: err.code, detail: err.detail };
    throw err;
  }
  throw new Error('expected a CertwrightError');
}

describe('jwkThumbprint (RFC 7638)', () => {
  it('matches the RFC 7638 §3.1 example', () => {
    const jwk = {
      kty: 'RSA',
      n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(jwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });
  it('ignores optional members and refuses unknown key types', () => {
    expect(jwkThumbprint({ ...p521.jwk, use: 'sig' })).toBe(jwkThumbprint(p521.jwk));
    expect(() => jwkThumbprint({ kty: 'oct', k: 'AAAA' })).toThrow(TypeError);
    expect(() => jwkThumbprint({ kty: 'EC', crv: 'P-256', x: 'AA' })).toThrow(/"y" is missing/);
  });
  it("is core's implementation, so account keys and key authorizations agree across packages", () => {
    expect(jwkThumbprint).toBe(coreJwkThumbprint);
  });
});

describe('checkPublicJwk', () => {
  it('returns the canonical public members only', () => {
    expect(checkPublicJwk({ ...rsa.jwk, use: 'sig', key_ops: ['verify'], alg: 'RS256' }, 'k')).toEqual({ kty: 'RSA', n: rsa.jwk['n'], e: rsa.jwk['e'] });
    expect(checkPublicJwk(p521.jwk, 'k')).toEqual({ kty: 'EC', crv: 'P-521', x: p521.jwk['x'], y: p521.jwk['y'] });
  });
  it('needs an object with a string kty', () => {
    expect(codeOf(() => checkPublicJwk(null, 'The key'))).toEqual({ code: 'malformed', detail: 'The key must be a JSON object (a JWK)' });
    expect(codeOf(() => checkPublicJwk({ n: 'AQAB' }, 'The key')).detail).toMatch(/no string 'kty'/);
  });
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) {
    it(`refuses the private member '${member}'`, () => {
      expect(codeOf(() => checkPublicJwk({ ...rsa.jwk, [member]: 'AAAA' }, 'k'))).toEqual({ code: 'badPublicKey', detail: expect.stringContaining(`'${member}'`) });
    });
  }
  it('refuses RSA moduli out of range or with a leading zero octet', () => {
    const big = new Uint8Array(1025).fill(0xff); // 8200 bits
    expect(codeOf(() => checkPublicJwk({ kty: 'RSA', n: b64(big), e: 'AQAB' }, 'k')).detail).toMatch(/8200 bits/);
    const padded = Buffer.concat([Buffer.from([0]), Buffer.from(String(rsa.jwk['n']), 'base64url')]);
    expect(codeOf(() => checkPublicJwk({ ...rsa.jwk, n: b64(padded) }, 'k'))).toEqual({ code: 'badPublicKey', detail: expect.stringMatching(/leading zero octet/) });
  });
  it('refuses even, tiny, oversized or non-minimal RSA exponents', () => {
    expect(codeOf(() => checkPublicJwk({ ...rsa.jwk, e: b64(new Uint8Array([1, 0, 0])) }, 'k')).detail).toMatch(/exponent 65536/);
    expect(codeOf(() => checkPublicJwk({ ...rsa.jwk, e: b64(new Uint8Array([1])) }, 'k')).detail).toMatch(/exponent 1 /);
    expect(codeOf(() => checkPublicJwk({ ...rsa.jwk, e: b64(new Uint8Array([1, 0, 0, 0, 1])) }, 'k')).detail).toMatch(/at most 32 bits/);
    expect(codeOf(() => checkPublicJwk({ ...rsa.jwk, e: b64(new Uint8Array([0, 1, 0, 1])) }, 'k')).detail).toMatch(/minimal encoding/);
  });
  it('refuses missing or badly encoded members', () => {
    expect(codeOf(() => checkPublicJwk({ kty: 'RSA', e: 'AQAB' }, 'k'))).toEqual({ code: 'badPublicKey', detail: "k member 'n' is missing or not a string" });
    expect(codeOf(() => checkPublicJwk({ ...rsa.jwk, e: 'AQAB=' }, 'k')).detail).toMatch(/'e' is not strict non-empty base64url/);
  });
  it('refuses unsupported curves, curve/kty mixes and wrong coordinate lengths', () => {
    expect(codeOf(() => checkPublicJwk({ ...p521.jwk, crv: 'secp256k1' }, 'k')).detail).toMatch(/curve "secp256k1" is not supported/);
    expect(codeOf(() => checkPublicJwk({ kty: 'OKP', crv: 'X25519', x: b64(new Uint8Array(32)) }, 'k')).detail).toMatch(/"X25519"/);
    expect(codeOf(() => checkPublicJwk({ kty: 'EC', crv: 'Ed25519', x: b64(new Uint8Array(32)) }, 'k')).detail).toMatch(/"Ed25519" is not supported for kty EC/);
    expect(codeOf(() => checkPublicJwk({ ...p521.jwk, crv: 'P-256' }, 'k')).detail).toMatch(/'x' must be 32 bytes for P-256/);
    expect(codeOf(() => checkPublicJwk({ ...p521.jwk, y: b64(new Uint8Array(65)) }, 'k')).detail).toMatch(/'y' must be 66 bytes/);
    expect(codeOf(() => checkPublicJwk({ kty: 'EC', crv: 'P-521', x: p521.jwk['x'] }, 'k')).detail).toMatch(/'y' is missing/);
  });
});
