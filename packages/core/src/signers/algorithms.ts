/**
 * Signature algorithm identifiers: the OIDs and the exact DER
 * AlgorithmIdentifier encodings certwright writes into certificates, CRLs and
 * OCSP responses, and the strict reverse mapping used when reading a CSR.
 *
 * Encodings follow the CA/Browser Forum Baseline Requirements §7.1.3.2, which
 * pin the bytes that linters compare against:
 * - RSASSA-PKCS1-v1_5: parameters present and NULL (RFC 4055 §5);
 * - ECDSA: parameters absent (RFC 5758 §3.2);
 * - Ed25519: parameters absent (RFC 8410 §3);
 * - RSASSA-PSS: RSASSA-PSS-params with the hash and MGF1 hash equal, hash
 *   AlgorithmIdentifiers carrying NULL parameters, salt length equal to the
 *   hash length and the trailer field left at its default (RFC 4055 §3.1).
 */
import type { SignatureAlgorithm } from '../signer.js';
import { encodeDer, explicit, integer, NULL_DER, oid, sequence, type DerNode } from '../x509/der.js';

/** The OBJECT IDENTIFIER of each signature algorithm. */
export const SIGNATURE_ALGORITHM_OIDS: Readonly<Record<SignatureAlgorithm, string>> = {
  'ecdsa-with-SHA256': '1.2.840.10045.4.3.2',
  'ecdsa-with-SHA384': '1.2.840.10045.4.3.3',
  'ecdsa-with-SHA512': '1.2.840.10045.4.3.4',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  'rsassa-pss-sha256': '1.2.840.113549.1.1.10',
  'rsassa-pss-sha384': '1.2.840.113549.1.1.10',
  'rsassa-pss-sha512': '1.2.840.113549.1.1.10',
  Ed25519: '1.3.101.112',
};

/** Every {@link SignatureAlgorithm}, in a stable order. */
export const SIGNATURE_ALGORITHMS: readonly SignatureAlgorithm[] = Object.keys(SIGNATURE_ALGORITHM_OIDS) as SignatureAlgorithm[];

/** Hash function names as `node:crypto` spells them. */
export type HashName = 'sha256' | 'sha384' | 'sha512';

const HASH_OIDS: Readonly<Record<HashName, string>> = {
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

const HASH_LENGTH: Readonly<Record<HashName, number>> = { sha256: 32, sha384: 48, sha512: 64 };

/** The family of a signature algorithm: which key type and padding it needs. */
export type SignatureFamily = 'ecdsa' | 'rsa-pkcs1' | 'rsa-pss' | 'ed25519';

/** The family of `algorithm`. */
export function signatureFamily(algorithm: SignatureAlgorithm): SignatureFamily {
  if (algorithm.startsWith('ecdsa')) return 'ecdsa';
  if (algorithm.startsWith('rsassa-pss')) return 'rsa-pss';
  if (algorithm === 'Ed25519') return 'ed25519';
  return 'rsa-pkcs1';
}

/** The digest `algorithm` applies to the message, or `null` for Ed25519 (which hashes internally). */
export function signatureHash(algorithm: SignatureAlgorithm): HashName | null {
  if (algorithm === 'Ed25519') return null;
  if (algorithm.includes('512')) return 'sha512';
  if (algorithm.includes('384')) return 'sha384';
  return 'sha256';
}

/** The RSASSA-PSS salt length for `hash`: the hash output length (BR §7.1.3.2.1). */
export function pssSaltLength(hash: HashName): number {
  return HASH_LENGTH[hash];
}

const MGF1_OID = '1.2.840.113549.1.1.8';

function hashAlgorithmIdentifier(hash: HashName): DerNode {
  return sequence(oid(HASH_OIDS[hash]), NULL_DER);
}

/** RSASSA-PSS AlgorithmIdentifier with RFC 4055 §3.1 parameters. */
function pssAlgorithmIdentifier(hash: HashName): DerNode {
  const params = sequence(
    explicit(0, hashAlgorithmIdentifier(hash)),
    explicit(1, sequence(oid(MGF1_OID), hashAlgorithmIdentifier(hash))),
    explicit(2, integer(HASH_LENGTH[hash])),
  );
  return sequence(oid(SIGNATURE_ALGORITHM_OIDS['rsassa-pss-sha256']), params);
}

function buildAlgorithmIdentifier(algorithm: SignatureAlgorithm): Uint8Array {
  const family = signatureFamily(algorithm);
  const algorithmOid = oid(SIGNATURE_ALGORITHM_OIDS[algorithm]);
  if (family === 'rsa-pkcs1') return encodeDer(sequence(algorithmOid, NULL_DER));
  if (family === 'rsa-pss') return encodeDer(pssAlgorithmIdentifier(signatureHash(algorithm) as HashName));
  return encodeDer(sequence(algorithmOid));
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const IDENTIFIERS: ReadonlyMap<SignatureAlgorithm, Uint8Array> = new Map(
  SIGNATURE_ALGORITHMS.map((a) => [a, buildAlgorithmIdentifier(a)]),
);

/**
 * The DER AlgorithmIdentifier (RFC 5280 §4.1.1.2) for `algorithm`, exactly
 * as it goes into `TBSCertificate.signature` and
 * `Certificate.signatureAlgorithm`. Returns a fresh copy each call.
 */
export function algorithmIdentifierDer(algorithm: SignatureAlgorithm): Uint8Array {
  const der = IDENTIFIERS.get(algorithm);
  if (der === undefined) throw new RangeError(`unknown signature algorithm ${String(algorithm)}`);
  return der.slice();
}

/** Accepted encodings when reading, keyed by lowercase hex of the whole AlgorithmIdentifier. */
const ACCEPTED: ReadonlyMap<string, SignatureAlgorithm> = (() => {
  const map = new Map<string, SignatureAlgorithm>();
  for (const [algorithm, der] of IDENTIFIERS) map.set(toHex(der), algorithm);
  // RFC 4055 §5: readers MUST also accept absent parameters for PKCS#1 v1.5.
  for (const algorithm of ['sha256WithRSAEncryption', 'sha384WithRSAEncryption', 'sha512WithRSAEncryption'] as const) {
    map.set(toHex(encodeDer(sequence(oid(SIGNATURE_ALGORITHM_OIDS[algorithm])))), algorithm);
  }
  return map;
})();

/**
 * Maps a DER AlgorithmIdentifier read from a CSR or certificate back to a
 * {@link SignatureAlgorithm}, or `undefined` when it is not one certwright
 * accepts. Matching is on the exact encoding: ECDSA and Ed25519 with any
 * parameters, RSASSA-PSS with parameters other than the Baseline Requirements
 * encodings, and every SHA-1 algorithm are not accepted.
 */
export function signatureAlgorithmFromDer(algorithmIdentifier: Uint8Array): SignatureAlgorithm | undefined {
  return ACCEPTED.get(toHex(algorithmIdentifier));
}
