/**
 * What node:crypto's `verify` takes besides the data and the signature, for
 * one public key and signature algorithm. Shared by the verifiers of
 * verify.ts and the verification worker (internal: not re-exported).
 */
import { constants, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto';
import type { SignatureAlgorithm } from '../signer.js';
import { pssSaltLength, signatureFamily, signatureHash, type HashName, type SignatureFamily } from './algorithms.js';

const KEY_TYPES: Readonly<Record<SignatureFamily, readonly string[]>> = {
  ecdsa: ['ec'],
  'rsa-pkcs1': ['rsa'],
  'rsa-pss': ['rsa', 'rsa-pss'],
  ed25519: ['ed25519'],
};

/** The digest and key input of one verification. */
export interface VerifyInputs {
  /** The digest, or `null` for Ed25519 (which hashes internally). */
  hash: HashName | null;
  /** The key, with the DER signature encoding for ECDSA (RFC 5758 §3.2) or the PSS padding and salt (RFC 4055 §3.1). */
  input: KeyObject | VerifyKeyObjectInput;
}

/** The node:crypto inputs for verifying under `algorithm`, or undefined when the key does not fit it. */
export function verifyInputs(key: KeyObject | undefined, algorithm: SignatureAlgorithm): VerifyInputs | undefined {
  const family = signatureFamily(algorithm);
  if (key === undefined || !KEY_TYPES[family].includes(key.asymmetricKeyType ?? '')) return undefined;
  const hash = signatureHash(algorithm);
  let input: KeyObject | VerifyKeyObjectInput = key;
  if (family === 'ecdsa') input = { key, dsaEncoding: 'der' };
  else if (family === 'rsa-pss') {
    input = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pssSaltLength(hash as HashName) };
  }
  return { hash, input };
}
