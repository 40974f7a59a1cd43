/**
 * SubjectPublicKeyInfo inspection (RFC 5280 §4.1.2.7): which key type an
 * SPKI carries and the raw subjectPublicKey bits, for key identifiers and
 * key-usage decisions.
 */
import { hash } from 'node:crypto';
import { children, DerError, expectTag, readBitStringOctets, readIntegerBytes, readOid, readSingle, readTlv, type Tlv } from './der-reader.js';
import { Tag } from './der.js';
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

/**
 * The fields of a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7), read strictly:
 * exactly an AlgorithmIdentifier (an OID and at most one parameter) and a
 * whole-octet subjectPublicKey BIT STRING, with nothing after it. Both
 * {@link parseSpki} and the key policy's `parsePublicKeyInfo` start here.
 * Throws {@link DerError} on malformed input.
 */
export interface SpkiFields {
  /** The algorithm OID, dotted. */
  algorithmOid: string;
  /** The AlgorithmIdentifier parameters, when present. */
  parameters: Tlv | undefined;
  /** The subjectPublicKey BIT STRING's bits (without the unused-bits octet). */
  subjectPublicKey: Uint8Array;
}

/** Splits a DER SubjectPublicKeyInfo into its {@link SpkiFields}; throws {@link DerError} on malformed input. */
export function readSpkiFields(spki: Uint8Array): SpkiFields {
  const top = expectTag(readSingle(spki), Tag.SEQUENCE, 'SubjectPublicKeyInfo');
  const fields = children(top);
  if (fields.length !== 2) throw new DerError('SubjectPublicKeyInfo must hold an algorithm and a key', top.start);
  const algorithm = expectTag(fields[0], Tag.SEQUENCE, 'AlgorithmIdentifier');
  const algorithmFields = children(algorithm);
  if (algorithmFields.length < 1 || algorithmFields.length > 2) throw new DerError('malformed AlgorithmIdentifier', algorithm.start);
  return {
    algorithmOid: readOid(algorithmFields[0]!),
    parameters: algorithmFields[1],
    subjectPublicKey: readBitStringOctets(expectTag(fields[1], Tag.BIT_STRING, 'subjectPublicKey')),
  };
}

function familyOf(algorithmOid: string): SpkiInfo['family'] {
  if (algorithmOid === SPKI_ALGORITHM_OIDS.ecPublicKey) return 'ec';
  if (algorithmOid === SPKI_ALGORITHM_OIDS.rsaEncryption) return 'rsa';
  if (algorithmOid === SPKI_ALGORITHM_OIDS.ed25519) return 'ed25519';
  return 'other';
}

/** The key family of an SPKI from its algorithm OID alone: cheaper than {@link parseSpki}. */
export function spkiFamily(spki: Uint8Array): SpkiInfo['family'] {
  const outer = readSingle(spki);
  const algId = readTlv(spki, outer.valueStart, outer.end);
  return familyOf(readOid(readTlv(spki, algId.valueStart, algId.end)));
}

/** Bit length of a positive RSA modulus from its minimal INTEGER content octets. */
function modulusBits(modulus: Uint8Array): number {
  const start = modulus[0] === 0 ? 1 : 0;
  return (modulus.length - start) * 8 - Math.clz32(modulus[start]!) + 24;
}

/**
 * Parses a DER SubjectPublicKeyInfo into its {@link CertKeyType} and key
 * bits; throws {@link DerError} on malformed input. It reads no more than
 * the key type needs (no big-integer arithmetic): it runs per certificate.
 */
export function parseSpki(spki: Uint8Array): SpkiInfo {
  const { algorithmOid, parameters, subjectPublicKey } = readSpkiFields(spki);
  const family = familyOf(algorithmOid);
  if (family === 'ec') {
    const curve = parameters !== undefined && parameters.tag === Tag.OID ? readOid(parameters) : '';
    const keyType = curve === SPKI_ALGORITHM_OIDS.p256 ? 'P-256' : curve === SPKI_ALGORITHM_OIDS.p384 ? 'P-384' : undefined;
    return { keyType, family, algorithmOid, subjectPublicKey };
  }
  if (family === 'ed25519') {
    return { keyType: subjectPublicKey.length === 32 ? 'Ed25519' : undefined, family, algorithmOid, subjectPublicKey };
  }
  if (family === 'rsa') {
    const rsaKey = expectTag(readSingle(subjectPublicKey), Tag.SEQUENCE, 'RSAPublicKey');
    const rsaModulusBits = modulusBits(readIntegerBytes(expectTag(children(rsaKey)[0], Tag.INTEGER, 'modulus')));
    const keyType = rsaModulusBits === 2048 ? 'RSA-2048' : rsaModulusBits === 3072 ? 'RSA-3072' : rsaModulusBits === 4096 ? 'RSA-4096' : undefined;
    return { keyType, family, algorithmOid, subjectPublicKey, rsaModulusBits };
  }
  return { keyType: undefined, family, algorithmOid, subjectPublicKey };
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
