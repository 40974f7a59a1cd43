/**
 * Certificate assembly (RFC 5280 §4.1): `SEQUENCE { tbsCertificate,
 * signatureAlgorithm, signatureValue BIT STRING }`, signing through a
 * {@link Signer}, and splitting a certificate back into its parts.
 */
import type { Signer } from '../signer.js';
import { bitString, encodeDer, sequence } from './der.js';
import { DerError, children, encodingOf, expectTag, readBitStringOctets, readSingle } from './der-reader.js';

/** Wraps a TBS and its signature into a Certificate (or any SIGNED{} structure: CRLs use the same shape). */
export function assembleSigned(tbs: Uint8Array, signatureAlgorithm: Uint8Array, signature: Uint8Array): Uint8Array {
  return encodeDer(sequence(tbs, signatureAlgorithm, bitString(signature)));
}

/**
 * Signs `tbs` with `signer` and assembles the certificate. `signatureAlgorithm`
 * must be the AlgorithmIdentifier DER already inside the TBS (RFC 5280
 * §4.1.1.2 requires the two to be equal).
 */
export async function signTbs(tbs: Uint8Array, signatureAlgorithm: Uint8Array, signer: Signer): Promise<Uint8Array> {
  const signature = await signer.sign(tbs);
  return assembleSigned(tbs, signatureAlgorithm, signature);
}

/** The three parts of a signed structure; byte fields are views into the input. */
export interface SignedParts {
  /** The TBS encoding (what was signed). */
  tbs: Uint8Array;
  /** The outer AlgorithmIdentifier DER. */
  signatureAlgorithm: Uint8Array;
  /** The signature bits. */
  signature: Uint8Array;
}

/** Splits a Certificate (or CRL) into TBS, algorithm and signature; throws {@link DerError} when malformed. */
export function splitSigned(der: Uint8Array): SignedParts {
  const parts = children(expectTag(readSingle(der), 0x30, 'Certificate'));
  if (parts.length !== 3) throw new DerError('a signed structure has exactly three fields', 0);
  const signature = readBitStringOctets(parts[2]!);
  return {
    tbs: encodingOf(expectTag(parts[0]!, 0x30, 'tbs')),
    signatureAlgorithm: encodingOf(expectTag(parts[1]!, 0x30, 'signatureAlgorithm')),
    signature,
  };
}
