/**
 * A CT log's public key (RFC 6962 §2.1.4: ECDSA on NIST P-256 or RSA, both
 * with SHA-256) and its log id, the SHA-256 hash of the key's DER
 * SubjectPublicKeyInfo (RFC 6962 §3.2).
 * @module
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CertwrightError, fromPem, readSpkiFields } from '@certwright/core';
import { HASH_ALGORITHM_SHA256, SIGNATURE_ALGORITHM } from './sct.js';
import type { DigitallySigned } from './sct.js';

/** A parsed, usable log public key. */
export interface CtLogKey {
  /** The SubjectPublicKeyInfo DER, as configured. */
  readonly spki: Uint8Array;
  /** SHA-256 of {@link CtLogKey.spki}: the log id (RFC 6962 §3.2). */
  readonly logId: Uint8Array;
  /** `ecdsa` (P-256) or `rsa` (at least 2048 bits). */
  readonly algorithm: 'ecdsa' | 'rsa';
  /** The key for node:crypto. */
  readonly keyObject: KeyObject;
}

/** The log id (RFC 6962 §3.2) of a log key given as SPKI DER. */
export function logIdOf(spki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(spki).digest());
}

function keyFailure(what: string, rule: string): CertwrightError {
  return new CertwrightError('serverInternal', `${what}: ${rule}`);
}

/**
 * Parses a log public key from PEM (`PUBLIC KEY`) or SPKI DER and checks it
 * is one RFC 6962 §2.1.4 allows: ECDSA P-256 or RSA of at least 2048 bits.
 * `what` names the log in errors (`serverInternal`, detail naming the rule).
 */
export function parseCtLogKey(input: string | Uint8Array, what = 'CT log public key'): CtLogKey {
  let spki: Uint8Array;
  try {
    spki = typeof input === 'string' ? fromPem(input, 'PUBLIC KEY') : input;
    readSpkiFields(spki);
  } catch (err) {
    throw keyFailure(what, `the public key is not a PEM or DER SubjectPublicKeyInfo (${(err as Error).message})`);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (err) {
    throw keyFailure(what, `the public key cannot be loaded (${(err as Error).message})`);
  }
  const details = keyObject.asymmetricKeyDetails ?? {};
  let algorithm: CtLogKey['algorithm'];
  if (keyObject.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') algorithm = 'ecdsa';
  else if (keyObject.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) algorithm = 'rsa';
  else {
    const shape = keyObject.asymmetricKeyType === 'ec' ? `EC ${details.namedCurve ?? 'unknown curve'}` : `${keyObject.asymmetricKeyType ?? 'unknown'}${details.modulusLength ? ` ${details.modulusLength} bits` : ''}`;
    throw keyFailure(what, `the public key must be ECDSA P-256 or RSA of at least 2048 bits (RFC 6962 §2.1.4), got ${shape}`);
  }
  return { spki: new Uint8Array(spki), logId: logIdOf(spki), algorithm, keyObject };
}

/** The outcome of a signature check: `ok`, or why not. */
export type CtVerification = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Verifies a `digitally-signed` struct over `data` with a log key: the hash
 * must be SHA-256 and the signature algorithm the key's (RFC 6962 §2.1.4).
 */
export function verifyDigitallySigned(key: CtLogKey, data: Uint8Array, ds: DigitallySigned): CtVerification {
  if (ds.hashAlgorithm !== HASH_ALGORITHM_SHA256) return { ok: false, reason: `hash algorithm ${ds.hashAlgorithm} is not sha256 (4)` };
  const expected = SIGNATURE_ALGORITHM[key.algorithm];
  if (ds.signatureAlgorithm !== expected) {
    return { ok: false, reason: `signature algorithm ${ds.signatureAlgorithm} does not match the log's ${key.algorithm} key (${expected})` };
  }
  let valid: boolean;
  try {
    valid = verify('sha256', data, key.keyObject, ds.signature);
  } catch {
    valid = false;
  }
  return valid ? { ok: true } : { ok: false, reason: 'the signature does not verify with the log key' };
}
