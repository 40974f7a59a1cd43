import { CURVES, CertwrightError } from '@certwright/core';
import type { PublicJwk } from '@certwright/core';
import { decodeBase64urlStrict } from './base64url.js';
import { isJsonObject } from './json-part.js';
import { quote } from './quote.js';

/** Members that only private or symmetric JWKs carry (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
export const PRIVATE_JWK_MEMBERS: readonly string[] = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Smallest RSA modulus accepted for account keys, in bits. */
export const MIN_RSA_BITS = 2048;
/** Largest RSA modulus accepted for account keys, in bits. */
export const MAX_RSA_BITS = 8192;

/** Coordinate length in bytes for each supported curve: core's curve table (RFC 7518 §6.2.1.2) plus Ed25519 (RFC 8037 §2). */
const CURVE_COORDINATE_BYTES: Readonly<Record<string, number>> = {
  ...Object.fromEntries(Object.entries(CURVES).map(([name, curve]) => [name, curve.coordinateLength])),
  Ed25519: 32,
};

function badKey(detail: string): CertwrightError {
  return new CertwrightError('badPublicKey', detail);
}

function member(jwk: Record<string, unknown>, name: string, what: string): { text: string; bytes: Uint8Array } {
  const text = jwk[name];
  if (typeof text !== 'string') throw badKey(`${what} member '${name}' is missing or not a string`);
  const bytes = decodeBase64urlStrict(text);
  if (bytes === undefined || bytes.length === 0) throw badKey(`${what} member '${name}' is not strict non-empty base64url`);
  return { text, bytes };
}

function bitLength(bytes: Uint8Array): number {
  const first = bytes[0] ?? 0;
  return first === 0 ? 0 : (bytes.length - 1) * 8 + (32 - Math.clz32(first));
}

/**
 * Validates a JWK as an ACME account public key and returns its canonical
 * form: only the members RFC 7638 §3.2 requires for its key type (so `use`,
 * `key_ops`, `alg` and other optional members are dropped).
 *
 * Accepted: RSA with a 2048–8192-bit modulus in minimal encoding (RFC 7518
 * §6.3.1.1) and an odd exponent of 3 up to 32 bits; EC P-256, P-384, P-521
 * with coordinates of the exact length (RFC 7518 §6.2.1.2); OKP Ed25519
 * (RFC 8037). Whether an EC point lies on its curve is checked when the key
 * is imported for verification.
 *
 * @param what names the key in problem details, e.g. "JWS 'jwk' header".
 * @throws CertwrightError `malformed` when the value is not a JWK object at
 *   all; `badPublicKey` for a private key, an unsupported key type or curve,
 *   bad member encodings or an RSA size out of range.
 */
export function checkPublicJwk(value: unknown, what: string): PublicJwk {
  if (!isJsonObject(value)) throw new CertwrightError('malformed', `${what} must be a JSON object (a JWK)`);
  const kty = value['kty'];
  if (typeof kty !== 'string') throw new CertwrightError('malformed', `${what} has no string 'kty'`);
  for (const name of PRIVATE_JWK_MEMBERS) {
    if (Object.hasOwn(value, name)) throw badKey(`${what} carries the private or secret key member '${name}'; send the public key only`);
  }
  switch (kty) {
    case 'RSA': {
      const n = member(value, 'n', what);
      const e = member(value, 'e', what);
      if (n.bytes[0] === 0) throw badKey(`${what} RSA modulus 'n' has a leading zero octet (RFC 7518 §6.3.1.1)`);
      const bits = bitLength(n.bytes);
      if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) throw badKey(`${what} RSA modulus is ${bits} bits; it must be ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits`);
      if (e.bytes[0] === 0 || e.bytes.length > 4) throw badKey(`${what} RSA exponent 'e' must be a minimal encoding of at most 32 bits`);
      const exponent = e.bytes.reduce((acc, b) => acc * 256 + b, 0);
      if (exponent < 3 || exponent % 2 === 0) throw badKey(`${what} RSA exponent ${exponent} is not acceptable; it must be odd and at least 3`);
      return { kty, n: n.text, e: e.text };
    }
    case 'EC':
    case 'OKP': {
      const crv = value['crv'];
      if (typeof crv !== 'string') throw badKey(`${what} has no string 'crv'`);
      const okp = kty === 'OKP';
      const size = CURVE_COORDINATE_BYTES[crv];
      if (size === undefined || (crv === 'Ed25519') !== okp) throw badKey(`${what} curve ${quote(crv)} is not supported for kty ${kty}; use ${okp ? 'Ed25519' : 'P-256, P-384 or P-521'}`);
      const x = member(value, 'x', what);
      if (x.bytes.length !== size) throw badKey(`${what} coordinate 'x' must be ${size} bytes for ${crv}`);
      if (okp) return { kty, crv, x: x.text };
      const y = member(value, 'y', what);
      if (y.bytes.length !== size) throw badKey(`${what} coordinate 'y' must be ${size} bytes for ${crv}`);
      return { kty, crv, x: x.text, y: y.text };
    }
    default:
      throw badKey(`${what} key type ${quote(kty)} is not supported; use RSA, EC or OKP (Ed25519)`);
  }
}

/**
 * The RFC 7638 JWK thumbprint: SHA-256 over the required members of the key
 * in lexicographic order with no whitespace, base64url-encoded. It identifies
 * an account key (RFC 8555 §8.1 key authorizations, §7.3 account lookup).
 * This is core's implementation, re-exported under the name the JWS layer
 * has always offered; it throws `TypeError` when the JWK lacks a required
 * member (validate it with {@link checkPublicJwk} first).
 */
export { jwkThumbprint } from '@certwright/core';
