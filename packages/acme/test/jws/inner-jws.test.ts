import { describe, expect, it } from 'vitest';
import { verifyInnerJws } from '../../src/jws/index.js';
import type { VerifiedJws } from '../../src/jws/index.js';
import { ACCOUNT_PREFIX, JOSE, b64, body, expectProblem, makeHarness, makeKey, signJose, signRaw } from './helpers.js';
import type { TestKey } from './helpers.js';

const KEY_CHANGE_URL = 'https://ca.example/acme/key-change';
const oldKey = makeKey('RS256');
const newKey = makeKey('ES256');
const stranger = makeKey('ES384');
const ALGS = ['RS256', 'ES256', 'ES384', 'ES512'] as const;

/** Wraps `inner` in an outer JWS signed by the old key with kid, and verifies the outer one. */
async function outerWith(inner: unknown, opts: { kid?: boolean; postAsGet?: boolean } = {}): Promise<VerifiedJws> {
  const h = makeHarness();
  const kid = h.addAccount('acc1', oldKey);
  const header = opts.kid === false ? { jwk: oldKey.jwk } : { kid };
  const outer = await signJose(oldKey, { ...header, nonce: h.nonce(), url: KEY_CHANGE_URL }, opts.postAsGet === true ? '' : inner);
  return h.verifier.verify({ contentType: JOSE, body: body(outer), url: KEY_CHANGE_URL }, 'either');
}

const goodPayload = { account: `${ACCOUNT_PREFIX}acc1`, oldKey: oldKey.jwk };
const signInner = (key: TestKey, header: Record<string, unknown>, payload: unknown = goodPayload) => signJose(key, { jwk: key.jwk, url: KEY_CHANGE_URL, ...header }, payload);
const rawInner = (key: TestKey, header: Record<string, unknown>, payload: unknown = goodPayload) =>
  signRaw(key, b64(JSON.stringify({ alg: key.alg, jwk: key.jwk, url: KEY_CHANGE_URL, ...header })), b64(JSON.stringify(payload)));
const verify = async (inner: unknown) => verifyInnerJws(await outerWith(inner), { allowedAlgorithms: ALGS });

describe('verifyInnerJws (RFC 8555 §7.3.5)', () => {
  it('accepts a key change signed by the new key', async () => {
    const v = await verify(await signInner(newKey, {}));
    expect(v.alg).toBe('ES256');
    expect(v.jwk).toEqual({ kty: 'EC', crv: 'P-256', x: newKey.jwk['x'], y: newKey.jwk['y'] });
    expect(v.payload.account).toBe(`${ACCOUNT_PREFIX}acc1`);
    expect(v.payload.oldKey).toEqual({ kty: 'RSA', n: oldKey.jwk['n'], e: oldKey.jwk['e'] });
    expect(v.thumbprint).not.toBe('');
  });
  it('needs an outer JWS signed with kid and carrying a payload', async () => {
    const inner = await signInner(newKey, {});
    await expectProblem(verifyInnerJws(await outerWith(inner, { kid: false }), { allowedAlgorithms: ALGS }), 'malformed', 400, /signed with 'kid'/);
    await expectProblem(verifyInnerJws(await outerWith(inner, { postAsGet: true }), { allowedAlgorithms: ALGS }), 'malformed', 400, /needs an inner JWS/);
  });
  it('rejects an inner JWS that is not flattened', async () => {
    const inner = await signInner(newKey, {});
    await expectProblem(verify({ payload: inner.payload, signatures: [{ protected: inner.protected, signature: inner.signature }] }), 'malformed', 400, /Inner JWS uses the general JSON serialization/);
    await expectProblem(verify({ ...inner, header: {} }), 'malformed', 400, /Inner JWS has an unprotected 'header'/);
  });
  it('rejects a duplicate member in the inner protected header', async () => {
    const text = JSON.stringify({ alg: 'ES256', jwk: newKey.jwk, url: KEY_CHANGE_URL }).replace('"url"', '"url":"x","url"');
    await expectProblem(verify(signRaw(newKey, b64(text), b64(JSON.stringify(goodPayload)))), 'malformed', 400, /Inner JWS protected header is not valid JSON: duplicate member name "url"/);
  });
  it('rejects an algorithm outside the allow-list', async () => {
    const p = await expectProblem(verify(rawInner(newKey, { alg: 'none' })), 'badSignatureAlgorithm', 400, /Inner JWS algorithm "none" is not allowed/);
    expect(p.document.algorithms).toEqual([...ALGS]);
    await expectProblem(verify(rawInner(newKey, { crit: ['b64'] })), 'malformed', 400, /Inner JWS header 'crit'/);
  });
  it('requires jwk and forbids kid', async () => {
    await expectProblem(verify(rawInner(newKey, { kid: `${ACCOUNT_PREFIX}acc1` })), 'malformed', 400, /must not have a 'kid'/);
    await expectProblem(verify(rawInner(newKey, { jwk: undefined })), 'malformed', 400, /has no 'jwk'/);
  });
  it('rejects a private or mismatched new key', async () => {
    await expectProblem(verify(rawInner(newKey, { jwk: newKey.privateKey.export({ format: 'jwk' }) })), 'badPublicKey', 400, /Inner JWS 'jwk' header carries the private or secret key member 'd'/);
    await expectProblem(verify(rawInner(newKey, { jwk: stranger.jwk })), 'badSignatureAlgorithm', 400, /Inner JWS algorithm ES256 does not match the EC P-384 key/);
  });
  it('rejects a signature by another key', async () => {
    const forged = await signJose(stranger, { alg: 'ES384', jwk: newKey.jwk, url: KEY_CHANGE_URL }, goodPayload);
    await expectProblem(verify({ ...forged, protected: (await signInner(newKey, {})).protected }), 'malformed', 400, /Inner JWS verification error/);
  });
  it('rejects a nonce, after the signature', async () => {
    await expectProblem(verify(await signInner(newKey, { nonce: 'AAAA' })), 'malformed', 400, /Inner JWS must not have a 'nonce'/);
    const badSigAndNonce = await signInner(newKey, { nonce: 'AAAA' });
    await expectProblem(verify({ ...badSigAndNonce, signature: (await signInner(newKey, {})).signature }), 'malformed', 400, /verification error/);
  });
  it('rejects a missing url and a url different from the outer one', async () => {
    await expectProblem(verify(await signInner(newKey, { url: undefined })), 'malformed', 400, /has no string 'url'/);
    await expectProblem(verify(await signInner(newKey, { url: 'https://ca.example/acme/new-order' })), 'unauthorized', 403, /differs from the outer JWS 'url'/);
  });
  it('checks the keyChange object', async () => {
    await expectProblem(verify(await signInner(newKey, {}, [])), 'malformed', 400, /Inner JWS payload must be a JSON object/);
    await expectProblem(verify(await signInner(newKey, {}, { oldKey: oldKey.jwk })), 'malformed', 400, /no string 'account'/);
    await expectProblem(verify(await signInner(newKey, {}, { ...goodPayload, account: `${ACCOUNT_PREFIX}acc2` })), 'malformed', 400, /"https:\/\/ca.example\/acme\/acct\/acc2" is not the outer JWS 'kid'/);
    await expectProblem(verify(await signInner(newKey, {}, { account: goodPayload.account })), 'malformed', 400, /no 'oldKey'/);
    await expectProblem(verify(await signInner(newKey, {}, { ...goodPayload, oldKey: stranger.jwk })), 'malformed', 400, /'oldKey' is not the account's current key/);
  });
});
