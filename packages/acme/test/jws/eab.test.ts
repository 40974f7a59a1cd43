import { randomBytes } from 'node:crypto';
import { FlattenedSign } from 'jose';
import { describe, expect, it } from 'vitest';
import { verifyEabJws } from '../../src/jws/index.js';
import type { VerifiedJws } from '../../src/jws/index.js';
import { JOSE, NEW_ACCOUNT_URL, b64, body, expectProblem, makeHarness, makeKey, signRaw } from './helpers.js';

const accountKey = makeKey('ES256');
const otherKey = makeKey('ES256');
const rsa = makeKey('RS256');
const macKey = new Uint8Array(randomBytes(32));
const KEY_ID = 'eab-key-1';
const lookupMacKey = async (keyId: string) => (keyId === KEY_ID ? macKey : undefined);

async function outer(): Promise<VerifiedJws> {
  const h = makeHarness();
  const jws = await new FlattenedSign(new TextEncoder().encode('{}'))
    .setProtectedHeader({ alg: 'ES256', jwk: accountKey.jwk, nonce: h.nonce(), url: NEW_ACCOUNT_URL })
    .sign(accountKey.privateKey);
  return h.verifier.verify({ contentType: JOSE, body: body(jws), url: NEW_ACCOUNT_URL }, 'jwk');
}

async function eab(header: Record<string, unknown>, payload: unknown = accountKey.jwk, key: Uint8Array = macKey) {
  const jws = await new FlattenedSign(new TextEncoder().encode(typeof payload === 'string' ? payload : JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'HS256', kid: KEY_ID, url: NEW_ACCOUNT_URL, ...header } as { alg: string })
    .sign(key);
  return { protected: jws.protected ?? '', payload: jws.payload, signature: jws.signature };
}

const verify = async (binding: unknown) => verifyEabJws(binding, await outer(), { lookupMacKey });

describe('verifyEabJws (RFC 8555 §7.3.4)', () => {
  for (const alg of ['HS256', 'HS384', 'HS512']) {
    it(`accepts a binding MACed with ${alg}`, async () => {
      expect(await verify(await eab({ alg }))).toEqual({ keyId: KEY_ID, alg });
    });
  }
  it('rejects a binding that is not a flattened JWS', async () => {
    await expectProblem(verify('x'), 'malformed', 400, /External account binding JWS must be a flattened JWS/);
    await expectProblem(verify({ ...(await eab({})), extra: 1 }), 'malformed', 400, /unexpected member "extra"/);
  });
  it('rejects signature algorithms, listing the MAC algorithms', async () => {
    const signed = signRaw(rsa, b64(JSON.stringify({ alg: 'RS256', kid: KEY_ID, url: NEW_ACCOUNT_URL })), b64(JSON.stringify(accountKey.jwk)));
    const p = await expectProblem(verify(signed), 'badSignatureAlgorithm', 400, /algorithm "RS256" is not allowed/);
    expect(p.document.algorithms).toEqual(['HS256', 'HS384', 'HS512']);
    await expectProblem(verify(await eab({ b64: true })), 'malformed', 400, /'b64' is not allowed/);
  });
  it('requires a kid known to the server', async () => {
    await expectProblem(verify(await eab({ kid: undefined })), 'malformed', 400, /no non-empty string 'kid'/);
    await expectProblem(verify(await eab({ kid: 'nope' })), 'unauthorized', 403, /key id "nope" is not known/);
  });
  it('rejects a MAC made with another key, and a truncated MAC', async () => {
    await expectProblem(verify(await eab({}, accountKey.jwk, new Uint8Array(32))), 'unauthorized', 403, /MAC does not verify with the key "eab-key-1"/);
    const good = await eab({});
    await expectProblem(verify({ ...good, signature: b64(Buffer.from(good.signature, 'base64url').subarray(0, 16)) }), 'unauthorized', 403, /MAC does not verify/);
  });
  it('rejects a nonce only after the MAC', async () => {
    await expectProblem(verify(await eab({ nonce: 'AAAA' })), 'malformed', 400, /must not have a 'nonce'/);
    await expectProblem(verify(await eab({ nonce: 'AAAA' }, accountKey.jwk, new Uint8Array(32))), 'unauthorized', 403, /MAC does not verify/);
  });
  it('requires the outer url', async () => {
    await expectProblem(verify(await eab({ url: undefined })), 'malformed', 400, /no string 'url'/);
    await expectProblem(verify(await eab({ url: 'https://ca.example/acme/new-order' })), 'unauthorized', 403, /differs from the outer JWS 'url'/);
  });
  it('requires the payload to be the outer account key', async () => {
    await expectProblem(verify(await eab({}, otherKey.jwk)), 'malformed', 400, /payload is not the account key of the outer JWS/);
    await expectProblem(verify(await eab({}, '{"kty":"EC","kty":"EC"}')), 'malformed', 400, /payload is not valid JSON: duplicate member name "kty"/);
    await expectProblem(verify(await eab({}, { ...accountKey.jwk, d: 'AAAA' })), 'badPublicKey', 400, /payload carries the private or secret key member 'd'/);
  });
});
