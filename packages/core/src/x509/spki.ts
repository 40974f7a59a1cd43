/**
 * SubjectPublicKeyInfo inspection (RFC 5280 §4.1.2.7): which key type an
 * SPKI carries and the raw subjectPublicKey bits, for key identifiers and
 * key-usage decisions.
 */
import { hash } from 'node:crypto';
import { children, readTlv, readBitString, readIntegerBytes, readOid, readSingle } from './der-reader.js';
import { SPKI_ALGORITHM_OIDS } from './oids.js';

/** Key types certwright issues for and signs with. */
export type CertKeyType = 'P-256' | 'P-384' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096' | 'Ed25519';

/** Every {@link CertKeyType}. */
export const CERT_KEY_TYPES: readonly CertKeyType[] = ['P-256', 'P-384', 'RSA-2048', 'RSA-3072', 'RSA-4096', 'Ed25519'];

/** What an SPKI holds. */
export interface SpkiInfo {
  /** The key type, or `undefined` for keys outside {@link CertKeyType} (other curves, odd RSA sizes). */
  keyType: CertKeyType | undefined;
  /** Algorithm family. */
  family: 'ec' | 'rsa' | 'ed25519' | 'other';
  /** The algorithm OID. */
  algorithmOid: string;
  /** The subjectPublicKey BIT STRING's bits (without the unused-bits octet). */
  subjectPublicKey: Uint8Array;
  /** RSA modulus size in bits, for RSA keys. */
  rsaModulusBits?: number;
}

/** The key family of an SPKI from its algorithm OID alone: cheaper than {@link parseSpki}. */
export function spkiFamily(spki: Uint8Array): SpkiInfo['family'] {
  const outer = readSingle(spki);
  const algId = readTlv(spki, outer.valueStart, outer.end);
  const oidTlv = readTlv(spki, algId.valueStart, algId.end);
  const algorithmOid = readOid(oidTlv);
  if (algorithmOid === SPKI_ALGORITHM_OIDS.ecPublicKey) return 'ec';
  if (algorithmOid === SPKI_ALGORITHM_OIDS.rsaEncryption) return 'rsa';
  if (algorithmOid === SPKI_ALGORITHM_OIDS.ed25519) return 'ed25519';
  return 'other';
}

/** Parses a DER SubjectPublicKeyInfo; throws on malformed input. */
export function parseSpki(spki: Uint8Array): SpkiInfo {
  const [algId, keyBits] = children(readSingle(spki));
  if (algId === undefined || keyBits === undefined) throw new RangeError('SubjectPublicKeyInfo needs an algorithm and a key');
  const [algOid, params] = children(algId);
  if (algOid === undefined) throw new RangeError('AlgorithmIdentifier without an OID');
  const algorithmOid = readOid(algOid);
  const bits = readBitString(keyBits);
  if (bits.unusedBits !== 0) throw new RangeError('subjectPublicKey must have no unused bits');
  const subjectPublicKey = bits.bytes;
  if (algorithmOid === SPKI_ALGORITHM_OIDS.ecPublicKey) {
    const curve = params !== undefined && params.tag === 0x06 ? readOid(params) : '';
    const keyType = curve === SPKI_ALGORITHM_OIDS.p256 ? 'P-256' : curve === SPKI_ALGORITHM_OIDS.p384 ? 'P-384' : undefined;
    return { keyType, family: 'ec', algorithmOid, subjectPublicKey };
  }
  if (algorithmOid === SPKI_ALGORITHM_OIDS.ed25519) {
    return { keyType: subjectPublicKey.length === 32 ? 'Ed25519' : undefined, family: 'ed25519', algorithmOid, subjectPublicKey };
  }
  if (algorithmOid === SPKI_ALGORITHM_OIDS.rsaEncryption) {
    const [modulus] = children(readSingle(subjectPublicKey));
    if (modulus === undefined) throw new RangeError('RSAPublicKey without a modulus');
    const m = readIntegerBytes(modulus);
    const start = m[0] === 0 ? 1 : 0;
    const rsaModulusBits = (m.length - start) * 8 - Math.clz32(m[start]!) + 24;
    const keyType = rsaModulusBits === 2048 ? 'RSA-2048' : rsaModulusBits === 3072 ? 'RSA-3072' : rsaModulusBits === 4096 ? 'RSA-4096' : undefined;
    return { keyType, family: 'rsa', algorithmOid, subjectPublicKey, rsaModulusBits };
  }
  return { keyType: undefined, family: 'other', algorithmOid, subjectPublicKey };
}

/**
 * The subject key identifier certwright uses: the leftmost 160 bits of the
 * SHA-256 hash of the subjectPublicKey BIT STRING value (RFC 7093 §2,
 * method 1). Chosen over RFC 5280 §4.2.1.2's SHA-1 so no SHA-1 is needed.
 */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  return keyIdentifierFromBits(parseSpki(spki).subjectPublicKey);
}

/** {@link keyIdentifier} from already extracted subjectPublicKey bits. */
export function keyIdentifierFromBits(subjectPublicKey: Uint8Array): Uint8Array {
  return new Uint8Array(hash('sha256', subjectPublicKey, 'buffer').subarray(0, 20));
}
