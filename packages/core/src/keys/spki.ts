/**
 * Parsing a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) into the numbers the
 * key policy inspects, and its SHA-256 fingerprint.
 */
import { createHash } from 'node:crypto';
import { children, DerError, expectTag, readInteger, readOid, readSingle, type Tlv } from '../x509/der-reader.js';
import { Tag } from '../x509/der.js';
import { SPKI_ALGORITHM_OIDS } from '../x509/oids.js';
import { readSpkiFields } from '../x509/spki.js';
import { CURVES, curveByOid, type NamedCurve } from './curves.js';

/** Algorithm OIDs inside SubjectPublicKeyInfo: the key algorithms of {@link SPKI_ALGORITHM_OIDS}. */
export const KEY_ALGORITHM_OIDS = {
  /** rsaEncryption (RFC 3279 §2.3.1). */
  rsaEncryption: SPKI_ALGORITHM_OIDS.rsaEncryption,
  /** id-ecPublicKey (RFC 5480 §2.1.1). */
  ecPublicKey: SPKI_ALGORITHM_OIDS.ecPublicKey,
  /** id-Ed25519 (RFC 8410 §3). */
  ed25519: SPKI_ALGORITHM_OIDS.ed25519,
} as const;

/** An RSA public key (RFC 8017 §A.1.1). */
export interface RsaPublicKeyInfo {
  kind: 'rsa';
  modulus: bigint;
  exponent: bigint;
  /** Bit length of the modulus. */
  bits: number;
}

/** An elliptic-curve public key as an uncompressed affine point (RFC 5480 §2.2). */
export interface EcPublicKeyInfo {
  kind: 'ec';
  /** `P-256`, `P-384`, `P-521`, or the namedCurve OID for any other curve. */
  curve: NamedCurve | string;
  x: bigint;
  y: bigint;
}

/** An Ed25519 public key (RFC 8410 §4). */
export interface Ed25519PublicKeyInfo {
  kind: 'ed25519';
  /** The 32-byte encoded point. */
  publicKey: Uint8Array;
}

/** A key of an algorithm certwright does not issue for, named by OID. */
export interface OtherPublicKeyInfo {
  kind: 'other';
  algorithm: string;
}

/** A decoded SubjectPublicKeyInfo. */
export type PublicKeyInfo = RsaPublicKeyInfo | EcPublicKeyInfo | Ed25519PublicKeyInfo | OtherPublicKeyInfo;

/** Big-endian unsigned bytes to bigint. */
function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const byte of bytes) v = (v << 8n) | BigInt(byte);
  return v;
}

function parseRsa(params: Tlv | undefined, key: Uint8Array): RsaPublicKeyInfo {
  if (params === undefined || params.tag !== Tag.NULL || params.end !== params.valueStart) {
    throw new DerError('rsaEncryption parameters must be NULL (RFC 3279 §2.3.1)');
  }
  const fields = children(expectTag(readSingle(key), Tag.SEQUENCE, 'RSAPublicKey'));
  if (fields.length !== 2) throw new DerError('RSAPublicKey must hold exactly modulus and exponent');
  const modulus = readInteger(expectTag(fields[0], Tag.INTEGER, 'modulus'));
  const exponent = readInteger(expectTag(fields[1], Tag.INTEGER, 'publicExponent'));
  if (modulus <= 0n || exponent <= 0n) throw new DerError('RSA modulus and exponent must be positive');
  return { kind: 'rsa', modulus, exponent, bits: modulus.toString(2).length };
}

function parseEc(params: Tlv | undefined, key: Uint8Array): EcPublicKeyInfo {
  if (params === undefined || params.tag !== Tag.OID) {
    throw new DerError('EC keys must name their curve (namedCurve, RFC 5480 §2.1.1)');
  }
  const curveOid = readOid(params);
  const named = curveByOid(curveOid);
  if (key.length === 0 || key[0] !== 0x04) {
    throw new DerError(
      key[0] === 0x00 ? 'the EC point is the point at infinity' : 'the EC point must be in uncompressed form (RFC 5480 §2.2)',
    );
  }
  const length = named === undefined ? (key.length - 1) / 2 : CURVES[named].coordinateLength;
  if (!Number.isInteger(length) || key.length !== 1 + 2 * length) {
    throw new DerError(`the EC point has ${key.length} bytes, not ${1 + 2 * length}`);
  }
  return {
    kind: 'ec',
    curve: named ?? curveOid,
    x: bytesToBigInt(key.subarray(1, 1 + length)),
    y: bytesToBigInt(key.subarray(1 + length)),
  };
}

/**
 * Decodes a DER SubjectPublicKeyInfo, read by `readSpkiFields` (as the
 * issuance path's `parseSpki` is), down to the numbers the key policy
 * checks. RSA, EC (named curves, uncompressed points) and Ed25519 keys are
 * decoded; other algorithms come back as
 * `{ kind: 'other' }`. Throws {@link DerError} on malformed or non-DER input,
 * including trailing bytes. It does not judge the key: that is
 * `checkPublicKey`'s job.
 */
export function parsePublicKeyInfo(spki: Uint8Array): PublicKeyInfo {
  const { algorithmOid: oid, parameters: params, subjectPublicKey: key } = readSpkiFields(spki);
  switch (oid) {
    case KEY_ALGORITHM_OIDS.rsaEncryption:
      return parseRsa(params, key);
    case KEY_ALGORITHM_OIDS.ecPublicKey:
      return parseEc(params, key);
    case KEY_ALGORITHM_OIDS.ed25519:
      if (params !== undefined) throw new DerError('Ed25519 keys must have absent parameters (RFC 8410 §3)');
      if (key.length !== 32) throw new DerError(`an Ed25519 key has 32 bytes, not ${key.length}`);
      return { kind: 'ed25519', publicKey: key.slice() };
    default:
      return { kind: 'other', algorithm: oid };
  }
}

/**
 * Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo: the key's identity
 * in the blocked-keys table and when comparing a CSR key with the account key.
 */
export function spkiSha256Hex(spki: Uint8Array): string {
  return createHash('sha256').update(spki).digest('hex');
}
