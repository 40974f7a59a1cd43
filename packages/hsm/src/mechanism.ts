/**
 * How each signature algorithm maps onto PKCS#11: the mechanism, its
 * parameters, what is done in software before (ECDSA hashes here, CKM_ECDSA
 * signs the digest) and after (r||s → DER Ecdsa-Sig-Value).
 */
import { createHash } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import type { Mechanism, RsaPSS } from 'pkcs11js';
import { p1363ToDer, pssSaltLength, signatureFamily, signatureHash, type HashName, type SignatureAlgorithm } from '@certwright/core';
import { CKM_EDDSA } from './constants.js';
import { HsmError } from './errors.js';
import type { TokenPublicKey } from './public-key.js';

/** Everything needed to sign with one key under one algorithm. */
export interface MechanismPlan {
  algorithm: SignatureAlgorithm;
  mechanism: Mechanism;
  /** The mechanism number the token must list in C_GetMechanismList. */
  mechanismType: number;
  /** Size of the output buffer for C_Sign. */
  signatureLength: number;
  /** The bytes handed to C_Sign for message `data`. */
  input(data: Uint8Array): Buffer;
  /** The signature as X.509 carries it, from C_Sign's output. */
  output(raw: Buffer): Uint8Array;
}

const PKCS1: Readonly<Record<HashName, number>> = {
  sha256: pkcs11js.CKM_SHA256_RSA_PKCS,
  sha384: pkcs11js.CKM_SHA384_RSA_PKCS,
  sha512: pkcs11js.CKM_SHA512_RSA_PKCS,
};
const PSS: Readonly<Record<HashName, number>> = {
  sha256: pkcs11js.CKM_SHA256_RSA_PKCS_PSS,
  sha384: pkcs11js.CKM_SHA384_RSA_PKCS_PSS,
  sha512: pkcs11js.CKM_SHA512_RSA_PKCS_PSS,
};
const HASH_MECHANISM: Readonly<Record<HashName, number>> = { sha256: pkcs11js.CKM_SHA256, sha384: pkcs11js.CKM_SHA384, sha512: pkcs11js.CKM_SHA512 };
const MGF1: Readonly<Record<HashName, number>> = { sha256: pkcs11js.CKG_MGF1_SHA256, sha384: pkcs11js.CKG_MGF1_SHA384, sha512: pkcs11js.CKG_MGF1_SHA512 };

/** The algorithm used when none is configured: SHA-256 PKCS#1 v1.5 for RSA, the curve's matching hash for ECDSA. */
export function defaultAlgorithm(key: TokenPublicKey): SignatureAlgorithm {
  switch (key.kind) {
    case 'P-256':
      return 'ecdsa-with-SHA256';
    case 'P-384':
      return 'ecdsa-with-SHA384';
    case 'Ed25519':
      return 'Ed25519';
    case 'RSA':
      return 'sha256WithRSAEncryption';
  }
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * The PKCS#11 plan for signing with `key` under `algorithm`. Throws
 * {@link HsmError} `mechanismUnsupported` when the key type does not fit the
 * algorithm (naming both).
 */
export function planMechanism(key: TokenPublicKey, algorithm: SignatureAlgorithm): MechanismPlan {
  const family = signatureFamily(algorithm);
  const hash = signatureHash(algorithm);
  const fits =
    (family === 'ecdsa' && (key.kind === 'P-256' || key.kind === 'P-384')) ||
    (family === 'ed25519' && key.kind === 'Ed25519') ||
    ((family === 'rsa-pkcs1' || family === 'rsa-pss') && key.kind === 'RSA');
  if (!fits) throw new HsmError('mechanismUnsupported', `signature algorithm ${algorithm} does not fit a ${key.kind} key`);
  if (family === 'ecdsa') {
    const digest = hash as HashName;
    return {
      algorithm,
      mechanism: { mechanism: pkcs11js.CKM_ECDSA },
      mechanismType: pkcs11js.CKM_ECDSA,
      signatureLength: key.kind === 'P-256' ? 64 : 96,
      input: (data) => createHash(digest).update(data).digest(),
      output: (raw) => p1363ToDer(raw),
    };
  }
  if (family === 'ed25519') {
    return { algorithm, mechanism: { mechanism: CKM_EDDSA }, mechanismType: CKM_EDDSA, signatureLength: 64, input: toBuffer, output: (raw) => new Uint8Array(raw) };
  }
  const digest = hash as HashName;
  const signatureLength = Math.ceil(key.modulusBits / 8);
  if (family === 'rsa-pkcs1') {
    return { algorithm, mechanism: { mechanism: PKCS1[digest] }, mechanismType: PKCS1[digest], signatureLength, input: toBuffer, output: (raw) => new Uint8Array(raw) };
  }
  const parameter: RsaPSS = { type: pkcs11js.CK_PARAMS_RSA_PSS, hashAlg: HASH_MECHANISM[digest], mgf: MGF1[digest], saltLen: pssSaltLength(digest) };
  return {
    algorithm,
    mechanism: { mechanism: PSS[digest], parameter },
    mechanismType: PSS[digest],
    signatureLength,
    input: toBuffer,
    output: (raw) => new Uint8Array(raw),
  };
}

/** A readable name for a mechanism number, for messages. */
export function mechanismName(type: number): string {
  if (type === CKM_EDDSA) return 'CKM_EDDSA';
  for (const [name, value] of Object.entries(pkcs11js)) {
    if (name.startsWith('CKM_') && value === type) return name;
  }
  return `mechanism 0x${type.toString(16)}`;
}
