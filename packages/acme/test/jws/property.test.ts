import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CertwrightError } from '@certwright/core';
import { verifyEabJws, verifyInnerJws } from '../../src/jws/index.js';
import type { VerifiedJws } from '../../src/jws/index.js';
import { ACCOUNT_PREFIX, JOSE, ORDER_URL, b64, body, makeHarness, makeKey, signJose } from './helpers.js';

const key = makeKey('ES256');
const h = makeHarness({ redeemNonce: async () => true });
const kid = h.addAccount('acc1', key);
const valid = await signJose(key, { kid, nonce: 'AAAA', url: ORDER_URL }, { identifiers: [{ type: 'dns', value: 'a.example' }] });
const validText = body(valid);

/** Runs `action` and fails the property if it throws anything but a CertwrightError. */
async function onlyCertwrightErrors(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (!(err instanceof CertwrightError)) throw err;
    expect(err.detail.length).toBeGreaterThan(0);
  }
}

const verify = (b: string | Uint8Array, contentType = JOSE) => h.verifier.verify({ contentType, body: b, url: ORDER_URL }, 'either');

const mutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('delete', 'insert', 'replace'),
  char: fc.constantFrom('"', '{', '}', '[', ',', ':', '=', '\\', ' ', 'A', '_', '-', '+', '0', '\u0000', '\ud800', 'é'),
});

function mutate(text: string, edits: { at: number; kind: string; char: string }[]): string {
  let out = text;
  for (const e of edits) {
    const i = e.at % (out.length + 1);
    if (e.kind === 'delete') out = out.slice(0, i) + out.slice(i + 1);
    else if (e.kind === 'insert') out = out.slice(0, i) + e.char + out.slice(i);
    else out = out.slice(0, i) + e.char + out.slice(i + 1);
  }
  return out;
}

const headerMember = fc.constantFrom('alg', 'jwk', 'kid', 'nonce', 'url', 'b64', 'crit', '__proto__', 'x');
const headerValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('RS256', 'ES256', 'none', 'HS256', kid, ORDER_URL, `${ACCOUNT_PREFIX}x`, 'AAAA'),
  fc.constant(key.jwk),
  fc.record({ kty: fc.constantFrom('RSA', 'EC', 'OKP', 'oct'), crv: fc.constantFrom('P-256', 'Ed25519', 'P-1'), x: fc.base64String(), y: fc.string(), n: fc.string(), e: fc.constantFrom('AQAB', 'Aw', '', 'AA') }, { requiredKeys: [] }),
);
const structured = fc.record({
  header: fc.dictionary(headerMember, headerValue, { maxKeys: 6 }),
  payload: fc.oneof(fc.constant(''), fc.jsonValue({ maxDepth: 2 }).map((v) => b64(JSON.stringify(v) ?? '')), fc.string()),
  signature: fc.oneof(fc.uint8Array({ maxLength: 80 }).map(b64), fc.string()),
});

describe('hostile input never escapes as anything but CertwrightError', () => {
  it('random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), (bytes) => onlyCertwrightErrors(() => verify(bytes))), { numRuns: 200 });
  });
  it('random strings and content types', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 300 }), fc.option(fc.string(), { nil: undefined }), (text, ct) => onlyCertwrightErrors(() => verify(text, ct ?? JOSE))), { numRuns: 200 });
  });
  it('mutations of a valid signed request', async () => {
    await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), (edits) => onlyCertwrightErrors(() => verify(mutate(validText, edits)))), { numRuns: 300 });
  });
  it('structured JWSs with arbitrary headers, payloads and signatures', async () => {
    await fc.assert(
      fc.asyncProperty(structured, ({ header, payload, signature }) =>
        onlyCertwrightErrors(() => verify(body({ protected: b64(JSON.stringify(header)), payload, signature }))),
      ),
      { numRuns: 300 },
    );
  });
  it('arbitrary inner JWSs and external account bindings', async () => {
    const outer: VerifiedJws = await verify(validText);
    await fc.assert(
      fc.asyncProperty(structured, fc.jsonValue({ maxDepth: 2 }), async ({ header, payload, signature }, junk) => {
        const jws = { protected: b64(JSON.stringify(header)), payload, signature };
        await onlyCertwrightErrors(() => verifyInnerJws({ ...outer, payload: jws }, { allowedAlgorithms: ['ES256'] }));
        await onlyCertwrightErrors(() => verifyInnerJws({ ...outer, payload: junk as never }, { allowedAlgorithms: ['ES256'] }));
        await onlyCertwrightErrors(() => verifyEabJws(jws, outer, { lookupMacKey: async () => new Uint8Array(32) }));
        await onlyCertwrightErrors(() => verifyEabJws(junk, outer, { lookupMacKey: async () => new Uint8Array(32) }));
      }),
      { numRuns: 200 },
    );
  });
  it('the unmutated request is accepted (the properties above start from a valid JWS)', async () => {
    expect((await verify(validText)).account?.id).toBe('acc1');
  });
});
