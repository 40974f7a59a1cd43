/**
 * Signature verification over a DER SubjectPublicKeyInfo, with Node's own
 * `node:crypto`. The issuance pipeline verifies every signature it produced
 * before releasing a certificate; CSR handling verifies the request's
 * self-signature (RFC 2986 §3).
 */
import { verify as nodeVerify, type KeyObject } from 'node:crypto';
import type { SignatureAlgorithm } from '../signer.js';
import { importSpkiPublicKey } from './import-public-key.js';
import { verifyInputs, type VerifyInputs } from './verify-inputs.js';

/** Verifies signatures made with one public key. */
export interface SignatureVerifier {
  /**
   * Verifies `signature` over `data` under `algorithm`. Resolves `false` for
   * a wrong or malformed signature and for an algorithm that does not fit
   * the key; never rejects.
   */
  verify(algorithm: SignatureAlgorithm, data: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /**
   * {@link verify} on the calling thread. It costs the least CPU in all:
   * handing a verification to the thread pool and back cost about as much
   * CPU again as the P-256 verification itself on the machine of
   * docs/benchmarks.md, and pays only when another core is idle.
   */
  verifySync(algorithm: SignatureAlgorithm, data: Uint8Array, signature: Uint8Array): boolean;
}

function verifyWith(key: KeyObject | undefined, algorithm: SignatureAlgorithm, data: Uint8Array, signature: Uint8Array): boolean {
  const inputs = verifyInputs(key, algorithm);
  if (inputs === undefined) return false;
  try {
    return nodeVerify(inputs.hash, data, inputs.input, signature);
  } catch {
    return false;
  }
}

/**
 * {@link verifyWith} on libuv's thread pool (node:crypto's callback form):
 * the event loop stays free while the public-key operation runs on another
 * core, so concurrent issuances overlap one's verification with the next
 * one's signing.
 */
function verifyOffThread(inputs: VerifyInputs | undefined, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (inputs === undefined) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      nodeVerify(inputs.hash, data, inputs.input, signature, (err, ok) => resolve(err === null && ok));
    } catch {
      resolve(false);
    }
  });
}

/**
 * A verifier bound to the public key `spki`, imported once. Importing a key
 * costs about as much as verifying a signature, so hold one verifier per
 * issuer key rather than calling {@link verifySignature} for every
 * certificate. `verify` runs on libuv's thread pool, off the event loop;
 * `verifySync` on the calling thread. A malformed `spki` gives a verifier
 * that always answers `false`.
 */
export function createVerifier(spki: Uint8Array): SignatureVerifier {
  const key = importSpkiPublicKey(spki);
  // An issuer key signs under one algorithm: its inputs are worked out once.
  const inputsByAlgorithm = new Map<SignatureAlgorithm, VerifyInputs | undefined>();
  const inputsFor = (algorithm: SignatureAlgorithm): VerifyInputs | undefined => {
    let inputs = inputsByAlgorithm.get(algorithm);
    if (inputs === undefined && !inputsByAlgorithm.has(algorithm)) {
      inputs = verifyInputs(key, algorithm);
      inputsByAlgorithm.set(algorithm, inputs);
    }
    return inputs;
  };
  return {
    verify: (algorithm, data, signature) => verifyOffThread(inputsFor(algorithm), data, signature),
    verifySync(algorithm, data, signature) {
      const inputs = inputsFor(algorithm);
      if (inputs === undefined) return false;
      try {
        return nodeVerify(inputs.hash, data, inputs.input, signature);
      } catch {
        return false;
      }
    },
  };
}

/**
 * Verifies `signature` over `data` under `algorithm` with the public key
 * `spki`. ECDSA signatures are DER `Ecdsa-Sig-Value` (RFC 5758 §3.2);
 * RSASSA-PSS uses MGF1 with the same hash and a salt of the hash length
 * (RFC 4055 §3.1). Resolves `false` for a wrong signature, a malformed
 * signature or key, and a key whose type does not fit the algorithm; never
 * rejects.
 */
export function verifySignature(
  spki: Uint8Array,
  algorithm: SignatureAlgorithm,
  data: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  return Promise.resolve(verifyWith(importSpkiPublicKey(spki), algorithm, data, signature));
}
