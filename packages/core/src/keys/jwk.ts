/**
 * JSON Web Keys (RFC 7517/7518/8037) as SubjectPublicKeyInfo, and JWK
 * thumbprints (RFC 7638). The SPKI is built directly from the JWK members,
 * without asking a crypto library to validate the key first, so that the key
 * policy can say precisely what is wrong with it (an off-curve point, a small
 * modulus).
 */
import { createHash } from 'node:crypto';
import { decodeBase64urlStrict } from '../base64url.js';
import { bitString, concatDer, encodeDer, integerFromUnsigned, NULL_DER, oid, sequence, type Der } from '../x509/der.js';
import { CURVES, type NamedCurve } from './curves.js';
import { KEY_ALGORITHM_OIDS } from './spki.js';
import type { PublicJwk } from '../domain/entities.js';

/** Decodes a non-empty JWK member as strict unpadded base64url (RFC 7515 §2); throws on anything else. */
function base64urlDecode(value: unknown, member: string): Uint8Array {
  const bytes = typeof value === 'string' && value.length > 0 ? decodeBase64urlStrict(value) : undefined;
  if (bytes === undefined) throw new TypeError(`JWK member "${member}" is not base64url (unpadded and canonical, RFC 7515 §2)`);
  return bytes;
}

function spki(algorithmIdentifier: Der, key: Uint8Array): Uint8Array {
  return encodeDer(sequence(algorithmIdentifier, bitString(key)));
}

/** Big-endian bytes of a non-negative bigint, left-padded to `length` when given. */
function bigIntBytes(value: bigint, length?: number): Uint8Array {
  let hex = value.toString(16);
  if (hex.length % 2 === 1) hex = '0' + hex;
  if (length !== undefined) hex = hex.padStart(length * 2, '0');
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/**
 * DER SubjectPublicKeyInfo of an RSA public key (RFC 3279 §2.3.1) from the
 * big-endian bytes of its modulus and exponent (leading zero octets allowed),
 * as PKCS#11 tokens report them (CKA_MODULUS, CKA_PUBLIC_EXPONENT).
 */
export function rsaSpkiFromBytes(modulus: Uint8Array, exponent: Uint8Array): Uint8Array {
  const key = encodeDer(sequence(integerFromUnsigned(modulus), integerFromUnsigned(exponent)));
  return spki(sequence(oid(KEY_ALGORITHM_OIDS.rsaEncryption), NULL_DER), key);
}

/**
 * DER SubjectPublicKeyInfo of an EC key from its uncompressed point
 * (0x04 || x || y, SEC 1 §2.3.3), as PKCS#11 tokens report it in CKA_EC_POINT
 * (RFC 5480 §2). It does not check that the point is on the curve.
 */
export function ecPointSpki(curve: NamedCurve, point: Uint8Array): Uint8Array {
  const expected = 1 + 2 * CURVES[curve].coordinateLength;
  if (point.length !== expected || point[0] !== 0x04) throw new RangeError(`an uncompressed ${curve} point has ${expected} bytes starting with 0x04`);
  const algorithm = sequence(oid(KEY_ALGORITHM_OIDS.ecPublicKey), oid(CURVES[curve].oid));
  return spki(algorithm, point);
}

function ecSpkiFromBytes(curve: NamedCurve, x: Uint8Array, y: Uint8Array): Uint8Array {
  return ecPointSpki(curve, concatDer(Uint8Array.of(0x04), x, y));
}

/** DER SubjectPublicKeyInfo of an RSA public key (RFC 3279 §2.3.1). */
export function rsaSpki(modulus: bigint, exponent: bigint): Uint8Array {
  return rsaSpkiFromBytes(bigIntBytes(modulus), bigIntBytes(exponent));
}

/** DER SubjectPublicKeyInfo of an EC point, uncompressed (RFC 5480 §2). It does not check that the point is on the curve. */
export function ecSpki(curve: NamedCurve, x: bigint, y: bigint): Uint8Array {
  const { coordinateLength } = CURVES[curve];
  return ecSpkiFromBytes(curve, bigIntBytes(x, coordinateLength), bigIntBytes(y, coordinateLength));
}

/** DER SubjectPublicKeyInfo of a 32-byte Ed25519 public key (RFC 8410 §4). */
export function ed25519Spki(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 32) throw new RangeError(`an Ed25519 key has 32 bytes, not ${publicKey.length}`);
  return spki(sequence(oid(KEY_ALGORITHM_OIDS.ed25519)), publicKey);
}

/**
 * Converts a public JWK to a DER SubjectPublicKeyInfo: `RSA` (RFC 7518
 * §6.3.1), `EC` with `P-256`/`P-384`/`P-521` (RFC 7518 §6.2.1; coordinates
 * must have the curve's full length) and `OKP` with `Ed25519` (RFC 8037 §2).
 * Throws `TypeError` for missing or malformed members and other key types.
 */
export function jwkToSpki(jwk: PublicJwk): Uint8Array {
  switch (jwk.kty) {
    case 'RSA': {
      const n = base64urlDecode(jwk.n, 'n');
      const e = base64urlDecode(jwk.e, 'e');
      if (n[0] === 0 || e[0] === 0) throw new TypeError('JWK RSA members must not have leading zero octets (RFC 7518 §6.3.1)');
      return rsaSpkiFromBytes(n, e);
    }
    case 'EC': {
      const curve = jwk.crv;
      if (curve !== 'P-256' && curve !== 'P-384' && curve !== 'P-521') throw new TypeError(`unsupported JWK curve ${String(curve)}`);
      const x = base64urlDecode(jwk.x, 'x');
      const y = base64urlDecode(jwk.y, 'y');
      const length = CURVES[curve].coordinateLength;
      if (x.length !== length || y.length !== length) {
        throw new TypeError(`JWK ${curve} coordinates must be ${length} bytes (RFC 7518 §6.2.1.2)`);
      }
      return ecSpkiFromBytes(curve, x, y);
    }
    case 'OKP': {
      if (jwk.crv !== 'Ed25519') throw new TypeError(`unsupported JWK OKP curve ${String(jwk.crv)}`);
      return ed25519Spki(base64urlDecode(jwk.x, 'x'));
    }
    default:
      throw new TypeError(`unsupported JWK key type ${String(jwk.kty)}`);
  }
}

const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

/**
 * The RFC 7638 JWK thumbprint with SHA-256, base64url without padding:
 * the hash of the required members in lexicographic order, serialized as
 * JSON without whitespace (§3.2). ACME uses it for key authorizations
 * (RFC 8555 §8.1).
 */
export function jwkThumbprint(jwk: PublicJwk): string {
  const members = THUMBPRINT_MEMBERS[jwk.kty];
  if (members === undefined) throw new TypeError(`unsupported JWK key type ${String(jwk.kty)}`);
  const parts = members.map((m) => {
    const value = jwk[m];
    if (typeof value !== 'string') throw new TypeError(`JWK member "${m}" is missing`);
    return `${JSON.stringify(m)}:${JSON.stringify(value)}`;
  });
  return createHash('sha256').update(`{${parts.join(',')}}`).digest('base64url');
}
