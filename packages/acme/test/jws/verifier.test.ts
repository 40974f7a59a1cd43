import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import { LruCache, createJwsVerifier } from '../../src/jws/index.js';
import type { VerificationKey } from '../../src/jws/index.js';
import { ACCOUNT_PREFIX, JOSE, NEW_ACCOUNT_URL, ORDER_URL, b64, body, expectProblem, makeHarness, makeKey, signJose, signRaw } from './helpers.js';

const rsa = makeKey('RS256');
const otherRsa = makeKey('RS256');
const p256 = makeKey('ES256');
const p384 = makeKey('ES384');
const p521 = makeKey('ES512');
const ed = makeKey('EdDSA');

const DEFAULT_ALGS = ['RS256', 'ES256', 'ES384', 'ES512'];

describe('accepted requests', () => {
  for (const key of [rsa, p256, p384, p521]) {
    it(`accepts a newAccount JWS signed with ${key.alg} and a jwk`, async () => {
      const h = makeHarness();
      const nonce = h.nonce();
      const jws = await signJose(key, { jwk: key.jwk, nonce, url: NEW_ACCOUNT_URL }, { termsOfServiceAgreed: true });
      const v = await h.verifier.verify({ contentType: JOSE, body: body(jws), url: NEW_ACCOUNT_URL }, 'jwk');
      expect(v.protectedHeader.alg).toBe(key.alg);
      expect(v.protectedHeader.nonce).toBe(nonce);
      expect(v.protectedHeader.url).toBe(NEW_ACCOUNT_URL);
      expect(v.payload).toEqual({ termsOfServiceAgreed: true });
      expect(v.isPostAsGet).toBe(false);
      expect(v.account).toBeUndefined();
      expect(v.thumbprint).toBe(await calculateJwkThumbprint(key.jwk, 'sha256'));
      expect(h.nonces.has(nonce)).toBe(false);
    });
  }

  it('accepts EdDSA (Ed25519) when enabled', async () => {
    const h = makeHarness({ allowEdDsa: true });
    expect(h.verifier.allowedAlgorithms).toEqual([...DEFAULT_ALGS, 'EdDSA']);
    const jws = await signJose(ed, { jwk: ed.jwk, nonce: h.nonce(), url: NEW_ACCOUNT_URL }, {});
    const v = await h.verifier.verify({ contentType: JOSE, body: body(jws), url: NEW_ACCOUNT_URL }, 'jwk');
    expect(v.jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: ed.jwk['x'] });
  });

  it('accepts a kid-signed request, resolving the account, and takes a Uint8Array body', async () => {
    const h = makeHarness();
    const kid = h.addAccount('acc1', p256);
    const jws = await signJose(p256, { kid, nonce: h.nonce(), url: ORDER_URL }, { identifiers: [] });
    const v = await h.verifier.verify({ contentType: JOSE, body: new TextEncoder().encode(body(jws)), url: ORDER_URL }, 'kid');
    expect(v.account).toEqual({ id: 'acc1', status: 'valid', jwk: p256.jwk });
    expect(v.protectedHeader.kid).toBe(kid);
    expect(v.jwk).toEqual({ kty: 'EC', crv: 'P-256', x: p256.jwk['x'], y: p256.jwk['y'] });
  });

  it('reports an empty payload as POST-as-GET (RFC 8555 §6.3)', async () => {
    const h = makeHarness();
    const kid = h.addAccount('acc1', rsa);
    const jws = await signJose(rsa, { kid, nonce: h.nonce(), url: ORDER_URL }, '');
    const v = await h.verifier.verify({ contentType: JOSE, body: body(jws), url: ORDER_URL }, 'kid');
    expect(v.isPostAsGet).toBe(true);
    expect(v.payload).toBeUndefined();
  });

  it("accepts both jwk and kid in 'either' mode", async () => {
    const h = makeHarness();
    const kid = h.addAccount('acc1', rsa);
    const withKid = await signJose(rsa, { kid, nonce: h.nonce(), url: ORDER_URL }, {});
    const withJwk = await signJose(p256, { jwk: p256.jwk, nonce: h.nonce(), url: ORDER_URL }, {});
    expect((await h.verifier.verify({ contentType: JOSE, body: body(withKid), url: ORDER_URL }, 'either')).account?.id).toBe('acc1');
    expect((await h.verifier.verify({ contentType: JOSE, body: body(withJwk), url: ORDER_URL }, 'either')).account).toBeUndefined();
  });

  it('keeps imported keys in the given bounded cache', async () => {
    const cache = new LruCache<string, VerificationKey>(1);
    const h = makeHarness({ keyCache: cache });
    const kid = h.addAccount('acc1', rsa);
    for (let i = 0; i < 2; i++) {
      const jws = await signJose(rsa, { kid, nonce: h.nonce(), url: ORDER_URL }, {});
      await h.verifier.verify({ contentType: JOSE, body: body(jws), url: ORDER_URL }, 'kid');
      expect(cache.size).toBe(1);
    }
    const jws = await signJose(p256, { jwk: p256.jwk, nonce: h.nonce(), url: ORDER_URL }, {});
    await h.verifier.verify({ contentType: JOSE, body: body(jws), url: ORDER_URL }, 'jwk');
    expect(cache.size).toBe(1);
  });
});

describe('configuration', () => {
  const base = { accountUrlPrefix: ACCOUNT_PREFIX, lookupAccount: async () => undefined, redeemNonce: async () => true };
  it('refuses algorithms it does not implement, and EdDSA without allowEdDsa', () => {
    expect(() => createJwsVerifier({ ...base, allowedAlgorithms: ['HS256' as 'RS256'] })).toThrow(/"HS256" is not supported/);
    expect(() => createJwsVerifier({ ...base, allowedAlgorithms: ['EdDSA'] })).toThrow(/allowEdDsa/);
    expect(() => createJwsVerifier({ ...base, allowedAlgorithms: [] })).toThrow(/At least one/);
  });
  it('refuses a non-positive body limit and an empty account prefix', () => {
    expect(() => createJwsVerifier({ ...base, maxBodyBytes: 0 })).toThrow(/maxBodyBytes/);
    expect(() => createJwsVerifier({ ...base, accountUrlPrefix: '' })).toThrow(/accountUrlPrefix/);
  });
});

describe('1. media type', () => {
  it('rejects a missing Content-Type with 415', async () => {
    const h = makeHarness();
    const jws = await signJose(rsa, { jwk: rsa.jwk, nonce: h.nonce(), url: NEW_ACCOUNT_URL }, {});
    const p = await expectProblem(h.verifier.verify({ contentType: undefined, body: body(jws), url: NEW_ACCOUNT_URL }, 'jwk'), 'unsupportedMediaType', 415, /Content-Type header is missing/);
    expect(p.document.type).toBe('urn:ietf:params:acme:error:malformed');
  });
  it('rejects application/json with 415 naming the received type', async () => {
    const h = makeHarness();
    const jws = await signJose(rsa, { jwk: rsa.jwk, nonce: h.nonce(), url: NEW_ACCOUNT_URL }, {});
    await expectProblem(h.verifier.verify({ contentType: 'application/json', body: body(jws), url: NEW_ACCOUNT_URL }, 'jwk'), 'unsupportedMediaType', 415, /"application\/json"/);
  });
  it('checks the media type before anything in the body', async () => {
    const h = makeHarness();
    await expectProblem(h.verifier.verify({ contentType: 'text/plain', body: 'not json', url: NEW_ACCOUNT_URL }, 'jwk'), 'unsupportedMediaType', 415, /text\/plain/);
  });
});

describe('2. flattened JWS body', () => {
  const h = makeHarness();
  const verify = (b: string | Uint8Array) => h.verifier.verify({ contentType: JOSE, body: b, url: NEW_ACCOUNT_URL }, 'jwk');
  const valid = () => signJose(rsa, { jwk: rsa.jwk, nonce: 'AAAA', url: NEW_ACCOUNT_URL }, {});

  it('rejects an empty body', () => expectProblem(verify(''), 'malformed', 400, /body is empty/));
  it('rejects a body above the size cap', async () => {
    const small = makeHarness({ maxBodyBytes: 100 });
    const jws = await valid();
    await expectProblem(small.verifier.verify({ contentType: JOSE, body: body(jws), url: NEW_ACCOUNT_URL }, 'jwk'), 'malformed', 400, /more than the limit of 100/);
  });
  it('rejects invalid UTF-8 bytes and lone surrogates', async () => {
    await expectProblem(verify(new Uint8Array([0x7b, 0xff, 0x7d])), 'malformed', 400, /not valid UTF-8/);
    await expectProblem(verify('{"protected":"\ud800"}'), 'malformed', 400, /not valid UTF-8/);
  });
  it('rejects a body that is not JSON, or not an object', async () => {
    await expectProblem(verify('{"protected":'), 'malformed', 400, /request body is not valid JSON/);
    await expectProblem(verify('[]'), 'malformed', 400, /request body must be a JSON object/);
  });
  it('rejects duplicate member names in the body', async () => {
    const jws = await valid();
    const text = `{"protected":"${jws.protected}","payload":"${jws.payload}","signature":"${jws.signature}","protected":"${jws.protected}"}`;
    await expectProblem(verify(text), 'malformed', 400, /duplicate member name "protected"/);
  });
  it('rejects the general serialization', async () => {
    const jws = await valid();
    await expectProblem(verify(body({ payload: jws.payload, signatures: [{ protected: jws.protected, signature: jws.signature }] })), 'malformed', 400, /general JSON serialization/);
  });
  it('rejects an unprotected header member', async () => {
    const jws = await valid();
    await expectProblem(verify(body({ ...jws, header: { kid: 'x' } })), 'malformed', 400, /unprotected 'header'/);
  });
  it('rejects unknown extra members', async () => {
    const jws = await valid();
    await expectProblem(verify(body({ ...jws, extra: 1 })), 'malformed', 400, /unexpected member "extra"/);
  });
  it('rejects missing or non-string members', async () => {
    const jws = await valid();
    await expectProblem(verify(body({ protected: jws.protected, payload: jws.payload })), 'malformed', 400, /'signature' is missing or not a string/);
    await expectProblem(verify(body({ ...jws, payload: 7 })), 'malformed', 400, /'payload' is missing or not a string/);
  });
});

describe('3. strict base64url and header JSON', () => {
  const h = makeHarness();
  const verify = (jws: unknown) => h.verifier.verify({ contentType: JOSE, body: body(jws), url: NEW_ACCOUNT_URL }, 'jwk');
  const header = { alg: 'RS256', jwk: rsa.jwk, nonce: 'AAAA', url: NEW_ACCOUNT_URL };

  it('rejects padding, whitespace and the standard alphabet', async () => {
    const jws = await signJose(rsa, { jwk: rsa.jwk, nonce: 'AAAA', url: NEW_ACCOUNT_URL }, { a: 1 });
    await expectProblem(verify({ ...jws, protected: `${jws.protected}==` }), 'malformed', 400, /'protected' is not strict base64url/);
    await expectProblem(verify({ ...jws, signature: ` ${jws.signature}` }), 'malformed', 400, /'signature' is not strict base64url/);
    await expectProblem(verify({ ...jws, payload: Buffer.from('{"a":1}').toString('base64') + '+' }), 'malformed', 400, /'payload' is not strict base64url/);
  });
  it('rejects non-canonical trailing bits', async () => {
    // "e30" is {} ; "e31" decodes to the same bytes with a non-zero unused bit.
    const jws = signRaw(rsa, b64(JSON.stringify(header)), 'e31');
    await expectProblem(verify(jws), 'malformed', 400, /'payload' is not strict base64url/);
  });
  it('rejects a protected header that is not UTF-8, not JSON or not an object', async () => {
    await expectProblem(verify(signRaw(rsa, b64(new Uint8Array([0xc0, 0xaf])), 'e30')), 'malformed', 400, /protected header is not valid UTF-8/);
    await expectProblem(verify(signRaw(rsa, b64("{alg:'RS256'}"), 'e30')), 'malformed', 400, /protected header is not valid JSON/);
    await expectProblem(verify(signRaw(rsa, b64('["RS256"]'), 'e30')), 'malformed', 400, /protected header must be a JSON object/);
  });
  it('rejects duplicate header member names even when the signature is valid', async () => {
    const text = JSON.stringify(header).replace('{"alg":"RS256"', '{"alg":"none","alg":"RS256"');
    expect(JSON.parse(text).alg).toBe('RS256');
    const jws = signRaw(rsa, b64(text), 'e30');
    await expectProblem(verify(jws), 'malformed', 400, /duplicate member name "alg"/);
  });
});

describe('4. algorithm', () => {
  const h = makeHarness();
  const verify = (jws: unknown) => h.verifier.verify({ contentType: JOSE, body: body(jws), url: NEW_ACCOUNT_URL }, 'jwk');
  const raw = (hdr: Record<string, unknown>) => signRaw(rsa, b64(JSON.stringify({ jwk: rsa.jwk, nonce: 'AAAA', url: NEW_ACCOUNT_URL, ...hdr })), 'e30', 'RS256');

  it('rejects a missing or non-string alg as malformed', async () => {
    await expectProblem(verify(raw({})), 'malformed', 400, /no 'alg'/);
    await expectProblem(verify(raw({ alg: 256 })), 'malformed', 400, /'alg' must be a string/);
  });
  for (const alg of ['none', 'HS256', 'HS512', 'PS256', 'RS512', 'ES256K']) {
    it(`rejects alg ${alg} with badSignatureAlgorithm listing the allowed algorithms`, async () => {
      const p = await expectProblem(verify(raw({ alg })), 'badSignatureAlgorithm', 400, new RegExp(`"${alg}" is not allowed`));
      expect(p.document.algorithms).toEqual(DEFAULT_ALGS);
    });
  }
  it('rejects EdDSA unless enabled', async () => {
    const jws = await signJose(ed, { jwk: ed.jwk, nonce: 'AAAA', url: NEW_ACCOUNT_URL }, {});
    await expectProblem(verify(jws), 'badSignatureAlgorithm', 400, /"EdDSA" is not allowed/);
  });
  it('honours a narrower allow-list', async () => {
    const narrow = makeHarness({ allowedAlgorithms: ['ES256'] });
    const jws = await signJose(rsa, { jwk: rsa.jwk, nonce: narrow.nonce(), url: NEW_ACCOUNT_URL }, {});
    const p = await expectProblem(narrow.verifier.verify({ contentType: JOSE, body: body(jws), url: NEW_ACCOUNT_URL }, 'jwk'), 'badSignatureAlgorithm', 400, /"RS256" is not allowed; use one of ES256/);
    expect(p.document.algorithms).toEqual(['ES256']);
  });
  it('rejects b64 with any value', async () => {
    await expectProblem(verify(raw({ alg: 'RS256', b64: true })), 'malformed', 400, /'b64' is not allowed/);
    await expectProblem(verify(raw({ alg: 'RS256', b64: false })), 'malformed', 400, /'b64' is not allowed/);
  });
  it('rejects crit with any value', async () => {
    await expectProblem(verify(raw({ alg: 'RS256', crit: ['exp'], exp: 1 })), 'malformed', 400, /'crit' is not allowed/);
    await expectProblem(verify(raw({ alg: 'RS256', crit: [] })), 'malformed', 400, /'crit' is not allowed/);
  });
});

describe('5. key resolution', () => {
  const verifyWith = (h: ReturnType<typeof makeHarness>, jws: unknown, mode: 'jwk' | 'kid' | 'either', url = ORDER_URL) =>
    h.verifier.verify({ contentType: JOSE, body: body(jws), url }, mode);

  it('rejects both jwk and kid, and neither', async () => {
    const h = makeHarness();
    const kid = h.addAccount('acc1', rsa);
    await expectProblem(verifyWith(h, await signJose(rsa, { jwk: rsa.jwk, kid, nonce: h.nonce(), url: ORDER_URL }, {}), 'either'), 'malformed', 400, /both 'jwk' and 'kid'/);
    await expectProblem(verifyWith(h, await signJose(rsa, { nonce: h.nonce(), url: ORDER_URL }, {}), 'either'), 'malformed', 400, /neither 'jwk' nor 'kid'/);
  });
  it('enforces the key mode of the resource', async () => {
    const h = makeHarness();
    const kid = h.addAccount('acc1', rsa);
    await expectProblem(verifyWith(h, await signJose(rsa, { jwk: rsa.jwk, nonce: h.nonce(), url: ORDER_URL }, {}), 'kid'), 'malformed', 400, /requires a JWS with 'kid'/);
    await expectProblem(verifyWith(h, await signJose(rsa, { kid, nonce: h.nonce(), url: ORDER_URL }, {}), 'jwk'), 'malformed', 400, /requires a JWS with 'jwk'/);
  });
  it('rejects a jwk carrying private key members', async () => {
    const h = makeHarness();
    const priv = rsa.privateKey.export({ format: 'jwk' });
    const jws = signRaw(rsa, b64(JSON.stringify({ alg: 'RS256', jwk: priv, nonce: h.nonce(), url: ORDER_URL })), 'e30');
    await expectProblem(verifyWith(h, jws, 'jwk'), 'badPublicKey', 400, /private or secret key member 'd'/);
  });
  it('rejects a jwk that is not an object, and unsupported key types', async () => {
    const h = makeHarness();
    const hdr = (jwk: unknown) => signRaw(rsa, b64(JSON.stringify({ alg: 'RS256', jwk, nonce: 'AAAA', url: ORDER_URL })), 'e30');
    await expectProblem(verifyWith(h, hdr('RSA'), 'jwk'), 'malformed', 400, /'jwk' header must be a JSON object/);
    await expectProblem(verifyWith(h, hdr({ kty: 'oct', k: 'AAAA' }), 'jwk'), 'badPublicKey', 400, /member 'k'/);
    await expectProblem(verifyWith(h, hdr({ kty: 'XYZ' }), 'jwk'), 'badPublicKey', 400, /key type "XYZ" is not supported/);
  });
  it('rejects RSA keys below 2048 bits', async () => {
    const h = makeHarness();
    const small = makeKey('RS256', 1024);
    const jws = signRaw(small, b64(JSON.stringify({ alg: 'RS256', jwk: small.jwk, nonce: h.nonce(), url: ORDER_URL })), 'e30');
    await expectProblem(verifyWith(h, jws, 'jwk'), 'badPublicKey', 400, /1024 bits; it must be 2048 to 8192/);
  });
  it('rejects a key whose type does not match alg', async () => {
    const h = makeHarness();
    const ecWithRs = signRaw(p256, b64(JSON.stringify({ alg: 'RS256', jwk: p256.jwk, nonce: 'AAAA', url: ORDER_URL })), 'e30', 'ES256');
    const p = await expectProblem(verifyWith(h, ecWithRs, 'jwk'), 'badSignatureAlgorithm', 400, /RS256 does not match the EC P-256 key/);
    expect(p.document.algorithms).toEqual(DEFAULT_ALGS);
    const p384WithEs256 = signRaw(p384, b64(JSON.stringify({ alg: 'ES256', jwk: p384.jwk, nonce: 'AAAA', url: ORDER_URL })), 'e30', 'ES384');
    await expectProblem(verifyWith(h, p384WithEs256, 'jwk'), 'badSignatureAlgorithm', 400, /ES256 does not match the EC P-384 key; ES256 needs a EC P-256 key/);
  });
  it('rejects an EC point that is not on the curve', async () => {
    const h = makeHarness();
    const offCurve = { ...p256.jwk, y: p256.jwk['x'] };
    const jws = signRaw(p256, b64(JSON.stringify({ alg: 'ES256', jwk: offCurve, nonce: 'AAAA', url: ORDER_URL })), 'e30');
    await expectProblem(verifyWith(h, jws, 'jwk'), 'badPublicKey', 400, /could not be imported as a ES256 public key/);
  });
  it('rejects a kid that is not a string or not an account URL of this server', async () => {
    const h = makeHarness();
    h.addAccount('acc1', rsa);
    const withKid = (kid: unknown) => signRaw(rsa, b64(JSON.stringify({ alg: 'RS256', kid, nonce: 'AAAA', url: ORDER_URL })), 'e30');
    await expectProblem(verifyWith(h, withKid(1), 'kid'), 'malformed', 400, /'kid' must be a string/);
    await expectProblem(verifyWith(h, withKid('https://other.example/acme/acct/acc1'), 'kid'), 'malformed', 400, /"https:\/\/other.example\/acme\/acct\/acc1" is not an account URL/);
    await expectProblem(verifyWith(h, withKid(`${ACCOUNT_PREFIX}acc1/orders`), 'kid'), 'malformed', 400, /not an account URL/);
    await expectProblem(verifyWith(h, withKid(ACCOUNT_PREFIX), 'kid'), 'malformed', 400, /not an account URL/);
  });
  it('rejects an unknown account with accountDoesNotExist', async () => {
    const h = makeHarness();
    const jws = await signJose(rsa, { kid: `${ACCOUNT_PREFIX}nobody`, nonce: h.nonce(), url: ORDER_URL }, {});
    const p = await expectProblem(verifyWith(h, jws, 'kid'), 'accountDoesNotExist', 400, /No account exists at ".*nobody"/);
    expect(p.document.type).toBe('urn:ietf:params:acme:error:accountDoesNotExist');
  });
  for (const status of ['deactivated', 'revoked'] as const) {
    it(`rejects a ${status} account as unauthorized with 401 (RFC 8555 §7.3.6)`, async () => {
      const h = makeHarness();
      const kid = h.addAccount('acc1', rsa, status);
      const p = await expectProblem(verifyWith(h, await signJose(rsa, { kid, nonce: h.nonce(), url: ORDER_URL }, {}), 'kid'), 'inactiveAccount', 401, new RegExp(`is ${status}`));
      expect(p.document.type).toBe('urn:ietf:params:acme:error:unauthorized');
    });
  }
  it("rejects a kid request whose alg does not suit the account's key", async () => {
    const h = makeHarness();
    const kid = h.addAccount('acc1', p256);
    const jws = await signJose(rsa, { kid, nonce: h.nonce(), url: ORDER_URL }, {});
    await expectProblem(verifyWith(h, jws, 'kid'), 'badSignatureAlgorithm', 400, /RS256 does not match the EC P-256 key/);
  });
});

describe('6. signature', () => {
  it('rejects a signature made by another key', async () => {
    const h = makeHarness();
    const jws = await signJose(otherRsa, { jwk: rsa.jwk, nonce: h.nonce(), url: NEW_ACCOUNT_URL }, {});
    await expectProblem(h.verifier.verify({ contentType: JOSE, body: body(jws), url: NEW_ACCOUNT_URL }, 'jwk'), 'malformed', 400, /JWS verification error/);
  });
  it('rejects a payload changed after signing, and a truncated signature', async () => {
    const h = makeHarness();
    const kid = h.addAccount('acc1', p256);
    const jws = await signJose(p256, { kid, nonce: h.nonce(), url: ORDER_URL }, { a: 1 });
    const verify = (j: unknown) => h.verifier.verify({ contentType: JOSE, body: body(j), url: ORDER_URL }, 'kid');
    await expectProblem(verify({ ...jws, payload: b64('{"a":2}') }), 'malformed', 400, /JWS verification error/);
    await expectProblem(verify({ ...jws, signature: jws.signature.slice(0, 40) }), 'malformed', 400, /JWS verification error/);
  });
});

describe('7. nonce', () => {
  const run = async (hdr: Record<string, unknown>) => {
    const h = makeHarness();
    const jws = await signJose(rsa, { jwk: rsa.jwk, url: NEW_ACCOUNT_URL, ...hdr }, {});
    return { h, promise: h.verifier.verify({ contentType: JOSE, body: body(jws), url: NEW_ACCOUNT_URL }, 'jwk') };
  };
  it('rejects a missing nonce with badNonce', async () => {
    const { promise } = await run({});
    const p = await expectProblem(promise, 'badNonce', 400, /no 'nonce'/);
    expect(p.document.type).toBe('urn:ietf:params:acme:error:badNonce');
  });
  it('rejects a nonce that is not a base64url string, without redeeming it', async () => {
    for (const nonce of [12, '', 'ab+c', 'abcd=', 'ab cd']) {
      const { h, promise } = await run({ nonce });
      await expectProblem(promise, 'badNonce', 400, /not a non-empty base64url string/);
      expect(h.redeemed).toEqual([]);
    }
  });
  it('rejects an unknown nonce and a replayed one', async () => {
    const { promise } = await run({ nonce: 'bm90LWlzc3VlZA' });
    await expectProblem(promise, 'badNonce', 400, /unknown, expired or already used/);
    const h = makeHarness();
    const jws = await signJose(rsa, { jwk: rsa.jwk, nonce: h.nonce(), url: NEW_ACCOUNT_URL }, {});
    const req = { contentType: JOSE, body: body(jws), url: NEW_ACCOUNT_URL };
    await h.verifier.verify(req, 'jwk');
    await expectProblem(h.verifier.verify(req, 'jwk'), 'badNonce', 400, /already used/);
  });
});

describe('8. url', () => {
  it('rejects a missing or non-string url as malformed', async () => {
    const h = makeHarness();
    const verify = async (hdr: Record<string, unknown>) =>
      h.verifier.verify({ contentType: JOSE, body: body(await signJose(rsa, { jwk: rsa.jwk, nonce: h.nonce(), ...hdr }, {})), url: ORDER_URL }, 'jwk');
    await expectProblem(verify({}), 'malformed', 400, /no 'url'/);
    await expectProblem(verify({ url: 5 }), 'malformed', 400, /'url' must be a string/);
  });
  it('rejects a url that differs from the request URL as unauthorized (403)', async () => {
    const h = makeHarness();
    for (const url of [NEW_ACCOUNT_URL, `${ORDER_URL}/`, ORDER_URL.replace('https', 'http'), ORDER_URL.toUpperCase()]) {
      const jws = await signJose(rsa, { jwk: rsa.jwk, nonce: h.nonce(), url }, {});
      const p = await expectProblem(h.verifier.verify({ contentType: JOSE, body: body(jws), url: ORDER_URL }, 'jwk'), 'unauthorized', 403, /does not match the request URL/);
      expect(p.document.detail).toContain(JSON.stringify(url));
    }
  });
});

describe('9. payload', () => {
  const h = makeHarness();
  const verify = (payloadB64: string) =>
    h.verifier.verify({ contentType: JOSE, body: body(signRaw(rsa, b64(JSON.stringify({ alg: 'RS256', jwk: rsa.jwk, nonce: h.nonce(), url: ORDER_URL })), payloadB64)), url: ORDER_URL }, 'jwk');
  it('rejects a payload that is not UTF-8', () => expectProblem(verify(b64(new Uint8Array([0x22, 0xed, 0xa0, 0x80, 0x22]))), 'malformed', 400, /JWS payload is not valid UTF-8/));
  it('rejects a payload that is not JSON', () => expectProblem(verify(b64('{"a":1,}')), 'malformed', 400, /JWS payload is not valid JSON/));
  it('rejects duplicate member names in the payload', () => expectProblem(verify(b64('{"csr":"a","csr":"b"}')), 'malformed', 400, /duplicate member name "csr"/));
  it('rejects a payload that is not a JSON object', () => expectProblem(verify(b64('["a"]')), 'malformed', 400, /JWS payload must be a JSON object/));
});

describe('check order', () => {
  it('fails on the signature before the nonce, and does not consume the nonce', async () => {
    const h = makeHarness();
    const nonce = h.nonce();
    const jws = await signJose(otherRsa, { jwk: rsa.jwk, nonce, url: NEW_ACCOUNT_URL }, {});
    await expectProblem(h.verifier.verify({ contentType: JOSE, body: body(jws), url: NEW_ACCOUNT_URL }, 'jwk'), 'malformed', 400, /verification error/);
    expect(h.redeemed).toEqual([]);
    expect(h.nonces.has(nonce)).toBe(true);
  });
  it('fails on the signature before an unknown nonce', async () => {
    const h = makeHarness();
    const jws = await signJose(otherRsa, { jwk: rsa.jwk, nonce: 'dW5rbm93bg', url: NEW_ACCOUNT_URL }, {});
    await expectProblem(h.verifier.verify({ contentType: JOSE, body: body(jws), url: NEW_ACCOUNT_URL }, 'jwk'), 'malformed', 400, /verification error/);
  });
  it('fails on the algorithm before the signature', async () => {
    const h = makeHarness();
    const jws = signRaw(rsa, b64(JSON.stringify({ alg: 'HS256', jwk: rsa.jwk, nonce: h.nonce(), url: NEW_ACCOUNT_URL })), 'e30');
    await expectProblem(h.verifier.verify({ contentType: JOSE, body: body({ ...jws, signature: 'AAAA' }), url: NEW_ACCOUNT_URL }, 'jwk'), 'badSignatureAlgorithm', 400, /"HS256"/);
  });
  it('fails on the body shape before the algorithm', async () => {
    const h = makeHarness();
    const jws = signRaw(rsa, b64(JSON.stringify({ alg: 'none' })), 'e30');
    await expectProblem(h.verifier.verify({ contentType: JOSE, body: body({ ...jws, header: {} }), url: NEW_ACCOUNT_URL }, 'jwk'), 'malformed', 400, /unprotected 'header'/);
  });
  it('fails on an unknown account before the signature', async () => {
    const h = makeHarness();
    const jws = await signJose(rsa, { kid: `${ACCOUNT_PREFIX}ghost`, nonce: h.nonce(), url: ORDER_URL }, {});
    await expectProblem(h.verifier.verify({ contentType: JOSE, body: body({ ...jws, signature: jws.signature.slice(4) }), url: ORDER_URL }, 'kid'), 'accountDoesNotExist', 400, /ghost/);
  });
  it('fails on the nonce before the url, and on the url before the payload', async () => {
    const h = makeHarness();
    const badNonceAndUrl = await signJose(rsa, { jwk: rsa.jwk, nonce: 'c3RhbGU', url: NEW_ACCOUNT_URL }, {});
    await expectProblem(h.verifier.verify({ contentType: JOSE, body: body(badNonceAndUrl), url: ORDER_URL }, 'jwk'), 'badNonce', 400, /unknown/);
    const badUrlAndPayload = signRaw(rsa, b64(JSON.stringify({ alg: 'RS256', jwk: rsa.jwk, nonce: h.nonce(), url: NEW_ACCOUNT_URL })), b64('not json'));
    await expectProblem(h.verifier.verify({ contentType: JOSE, body: body(badUrlAndPayload), url: ORDER_URL }, 'jwk'), 'unauthorized', 403, /does not match/);
  });
});
