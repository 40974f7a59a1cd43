/**
 * The load generator's own JOSE signing (RFC 7515 flattened JSON
 * serialization, RFC 8555 §6.2): ES256 with node:crypto, raw r||s
 * signatures (`dsaEncoding: 'ieee-p1363'`), base64url from Buffer. Small on
 * purpose, so the client spends little CPU per request.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/** base64url without padding (RFC 7515 §2). */
export function b64u(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

/** An ES256 account key with its public JWK and RFC 7638 thumbprint. */
export interface AccountKey {
  readonly privateKey: KeyObject;
  readonly jwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  /** base64url SHA-256 thumbprint of the JWK (RFC 7638), used in key authorizations (RFC 8555 §8.1). */
  readonly thumbprint: string;
}

/** Generates a fresh P-256 account key. */
export function generateAccountKey(): AccountKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const exported = publicKey.export({ format: 'jwk' });
  const jwk = { kty: 'EC' as const, crv: 'P-256' as const, x: String(exported.x), y: String(exported.y) };
  const thumbprint = b64u(createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`).digest());
  return { privateKey, jwk, thumbprint };
}

/**
 * A flattened JWS for an ACME POST: `kid` when the account URL is known,
 * else `jwk` (newAccount). `payload` undefined means POST-as-GET (empty
 * payload, RFC 8555 §6.3).
 */
export function signJws(key: AccountKey, input: { url: string; nonce: string; kid?: string; payload?: unknown }): string {
  const header = input.kid === undefined ? { alg: 'ES256', jwk: key.jwk, nonce: input.nonce, url: input.url } : { alg: 'ES256', kid: input.kid, nonce: input.nonce, url: input.url };
  const protectedB64 = b64u(JSON.stringify(header));
  const payloadB64 = input.payload === undefined ? '' : b64u(JSON.stringify(input.payload));
  const signature = sign('sha256', Buffer.from(`${protectedB64}.${payloadB64}`), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `{"protected":"${protectedB64}","payload":"${payloadB64}","signature":"${b64u(signature)}"}`;
}
