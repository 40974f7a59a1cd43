import { generateKeyPairSync, randomBytes, sign as nodeSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CertwrightError, toProblem } from '@certwright/core';
import type { ErrorCode, Problem, PublicJwk } from '@certwright/core';
import { FlattenedSign } from 'jose';
import { expect } from 'vitest';
import { createJwsVerifier } from '../../src/jws/index.js';
import type { AccountKey, JwsVerifierOptions } from '../../src/jws/index.js';

export const ACCOUNT_PREFIX = 'https://ca.example/acme/acct/';
export const NEW_ACCOUNT_URL = 'https://ca.example/acme/new-account';
export const ORDER_URL = 'https://ca.example/acme/order/17';
export const JOSE = 'application/jose+json';

/** A test signing key with its public JWK. */
export interface TestKey {
  readonly alg: string;
  readonly privateKey: KeyObject;
  readonly jwk: PublicJwk;
}

/** Generates a key for `alg` (RSA keys are 2048 bits unless `rsaBits` says otherwise). */
export function makeKey(alg: 'RS256' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA', rsaBits = 2048): TestKey {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: rsaBits })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg] });
  return { alg, privateKey: pair.privateKey, jwk: pair.publicKey.export({ format: 'jwk' }) as PublicJwk };
}

export const b64 = (data: string | Uint8Array): string => Buffer.from(data).toString('base64url');

/** Signs `protectedB64.payloadB64` at the byte level, bypassing jose (for headers jose would refuse to produce). */
export function signRaw(key: TestKey, protectedB64: string, payloadB64: string, alg = key.alg): { protected: string; payload: string; signature: string } {
  const input = Buffer.from(`${protectedB64}.${payloadB64}`, 'ascii');
  const hash = alg === 'EdDSA' ? null : alg === 'ES384' ? 'sha384' : alg === 'ES512' ? 'sha512' : 'sha256';
  const signature = key.privateKey.asymmetricKeyType === 'ec' ? nodeSign(hash, input, { key: key.privateKey, dsaEncoding: 'ieee-p1363' }) : nodeSign(hash, input, key.privateKey);
  return { protected: protectedB64, payload: payloadB64, signature: signature.toString('base64url') };
}

/** Builds a real flattened JWS with jose's FlattenedSign. `payload` is JSON-encoded unless it is a string (used as is). */
export async function signJose(key: TestKey, header: Record<string, unknown>, payload: unknown): Promise<{ protected: string; payload: string; signature: string }> {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : new TextEncoder().encode(JSON.stringify(payload));
  const jws = await new FlattenedSign(bytes).setProtectedHeader({ alg: key.alg, ...header }).sign(key.privateKey);
  return { protected: jws.protected ?? '', payload: jws.payload, signature: jws.signature };
}

/** An in-memory nonce service and account table around a verifier. */
export function makeHarness(overrides: Partial<JwsVerifierOptions> = {}) {
  const nonces = new Set<string>();
  const accounts = new Map<string, AccountKey>();
  const redeemed: string[] = [];
  const verifier = createJwsVerifier({
    accountUrlPrefix: ACCOUNT_PREFIX,
    lookupAccount: async (id) => accounts.get(id),
    redeemNonce: async (nonce) => {
      redeemed.push(nonce);
      return nonces.delete(nonce);
    },
    ...overrides,
  });
  return {
    verifier,
    nonces,
    accounts,
    redeemed,
    nonce(): string {
      const value = randomBytes(16).toString('base64url');
      nonces.add(value);
      return value;
    },
    addAccount(id: string, key: TestKey, status: AccountKey['status'] = 'valid'): string {
      accounts.set(id, { id, status, jwk: key.jwk });
      return ACCOUNT_PREFIX + id;
    },
  };
}

/** Awaits a rejection and checks it is a CertwrightError with `code`, HTTP `status` and a detail matching `detail`. */
export async function expectProblem(promise: Promise<unknown>, code: ErrorCode, status: number, detail: RegExp): Promise<Problem> {
  const err: unknown = await promise.then(
    () => new Error('expected a rejection, got success'),
    (e: unknown) => e,
  );
  if (!(err instanceof CertwrightError)) throw err;
  expect(err.code).toBe(code);
  const problem = toProblem(err);
  expect(problem.status).toBe(status);
  expect(problem.document.detail).toMatch(detail);
  return problem;
}

/** Serialises a JWS (or any value) as a request body. */
export const body = (jws: unknown): string => JSON.stringify(jws);
