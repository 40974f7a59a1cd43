/**
 * Reading a public key from the token and encoding it as a DER
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7): EC keys from CKA_EC_PARAMS and
 * CKA_EC_POINT (RFC 5480 §2), RSA keys from CKA_MODULUS and
 * CKA_PUBLIC_EXPONENT (RFC 3279 §2.3.1), Ed25519 keys from CKA_EC_POINT
 * (RFC 8410 §4).
 */
import pkcs11js from 'pkcs11js';
import type { Handle } from 'pkcs11js';
import { der, derReader, ecPointSpki, ed25519Spki as coreEd25519Spki, rsaSpkiFromBytes, type CertKeyType } from '@certwright/core';
import { CKK_EC_EDWARDS } from './constants.js';
import { HsmError } from './errors.js';
import type { Pkcs11 } from './module.js';

/** The key types this package signs with and generates (core's certificate key types). */
export type HsmKeyType = CertKeyType;

/** A public key read from the token. */
export interface TokenPublicKey {
  /** `P-256`, `P-384`, `Ed25519`, or `RSA` (with {@link TokenPublicKey.modulusBits}). */
  kind: 'P-256' | 'P-384' | 'Ed25519' | 'RSA';
  /** RSA modulus length in bits; 0 for other kinds. */
  modulusBits: number;
  /** DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
}

const ED25519 = '1.3.101.112';

/** DER of the named curves as they appear in CKA_EC_PARAMS (RFC 5480 §2.1.1.1, RFC 8410 §3). */
export const EC_PARAMS: Readonly<Record<'P-256' | 'P-384' | 'Ed25519', Uint8Array>> = {
  'P-256': der.oid('1.2.840.10045.3.1.7'),
  'P-384': der.oid('1.3.132.0.34'),
  Ed25519: der.oid(ED25519),
};

/** PKCS#11 v3.0 §2.3.3 also allows the curve name as a PrintableString for Edwards keys. */
const ED25519_PRINTABLE = der.encodeDer(der.printableString('edwards25519'));

const FIELD_BYTES = { 'P-256': 32, 'P-384': 48, Ed25519: 32 } as const;

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * CKA_EC_POINT is a DER OCTET STRING holding the point (PKCS#11 v2.40
 * §2.3.3); some tokens return the bare point. Accepts both.
 */
export function unwrapEcPoint(value: Uint8Array, rawLength: number): Uint8Array {
  if (value.length === rawLength && (rawLength === 32 || value[0] === 0x04)) return value;
  try {
    const octets = derReader.readSingle(value);
    const content = derReader.valueOf(octets);
    if (octets.tag === der.Tag.OCTET_STRING && content.length === rawLength) return content;
  } catch {
    // fall through to the error below
  }
  throw new HsmError('keyNotFound', `CKA_EC_POINT of ${value.length} bytes is neither a ${rawLength}-byte point nor an OCTET STRING holding one`);
}

/** DER SPKI of an EC key on `curve` with uncompressed point `point` (core's encoder). */
export function ecSpki(curve: 'P-256' | 'P-384', point: Uint8Array): Uint8Array {
  return ecPointSpki(curve, point);
}

/** DER SPKI of an RSA key from the token's modulus and exponent bytes (core's encoder). */
export function rsaSpki(modulus: Uint8Array, exponent: Uint8Array): Uint8Array {
  return rsaSpkiFromBytes(modulus, exponent);
}

/** DER SPKI of an Ed25519 key (core's encoder). */
export function ed25519Spki(publicKey: Uint8Array): Uint8Array {
  return coreEd25519Spki(publicKey);
}

function curveOf(params: Uint8Array): 'P-256' | 'P-384' | 'Ed25519' | undefined {
  for (const curve of ['P-256', 'P-384', 'Ed25519'] as const) if (equal(params, EC_PARAMS[curve])) return curve;
  return equal(params, ED25519_PRINTABLE) ? 'Ed25519' : undefined;
}

function attribute(pkcs11: Pkcs11, session: Handle, object: Handle, type: number): Buffer {
  const [result] = pkcs11.C_GetAttributeValue(session, object, [{ type }]);
  if (result === undefined) throw new HsmError('keyNotFound', `public key attribute 0x${type.toString(16)} missing`);
  return result.value;
}

/**
 * Reads the public key object `publicKey` and returns its kind and DER SPKI.
 * Throws {@link HsmError} `mechanismUnsupported` for key types or curves
 * this package does not sign with.
 */
export function readPublicKey(pkcs11: Pkcs11, session: Handle, publicKey: Handle): TokenPublicKey {
  const keyType = attribute(pkcs11, session, publicKey, pkcs11js.CKA_KEY_TYPE).readUIntLE(0, 4);
  if (keyType === pkcs11js.CKK_RSA) {
    const modulus = attribute(pkcs11, session, publicKey, pkcs11js.CKA_MODULUS);
    const exponent = attribute(pkcs11, session, publicKey, pkcs11js.CKA_PUBLIC_EXPONENT);
    let start = 0;
    while (start < modulus.length && modulus[start] === 0) start++;
    const significant = modulus.subarray(start);
    const modulusBits = significant.length === 0 ? 0 : (significant.length - 1) * 8 + (32 - Math.clz32(significant[0]!));
    return { kind: 'RSA', modulusBits, spki: rsaSpki(modulus, exponent) };
  }
  if (keyType === pkcs11js.CKK_EC || keyType === CKK_EC_EDWARDS) {
    const params = attribute(pkcs11, session, publicKey, pkcs11js.CKA_EC_PARAMS);
    const curve = curveOf(params);
    if (curve === undefined || (curve === 'Ed25519') !== (keyType === CKK_EC_EDWARDS)) {
      throw new HsmError('mechanismUnsupported', `unsupported curve in CKA_EC_PARAMS ${params.toString('hex')}; supported: P-256, P-384, Ed25519`);
    }
    const rawLength = curve === 'Ed25519' ? 32 : 1 + 2 * FIELD_BYTES[curve];
    const point = unwrapEcPoint(attribute(pkcs11, session, publicKey, pkcs11js.CKA_EC_POINT), rawLength);
    return { kind: curve, modulusBits: 0, spki: curve === 'Ed25519' ? ed25519Spki(point) : ecSpki(curve, point) };
  }
  throw new HsmError('mechanismUnsupported', `unsupported PKCS#11 key type 0x${keyType.toString(16)}; supported: RSA, EC (P-256, P-384), EC_EDWARDS (Ed25519)`);
}

/** The {@link HsmKeyType} of a public key, or `undefined` for an RSA size outside 2048/3072/4096. */
export function hsmKeyTypeOf(key: TokenPublicKey): HsmKeyType | undefined {
  if (key.kind !== 'RSA') return key.kind;
  return key.modulusBits === 2048 || key.modulusBits === 3072 || key.modulusBits === 4096 ? (`RSA-${key.modulusBits}` as HsmKeyType) : undefined;
}
