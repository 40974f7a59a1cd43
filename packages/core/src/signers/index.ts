/**
 * Signers: the software signer, signature algorithm identifiers and
 * signature verification.
 * @packageDocumentation
 */
export * from './algorithms.js';
export * from './ecdsa-signature.js';
export * from './software.js';
export * from './verify.js';
export { createVerificationWorker, type VerificationWorker, type VerificationWorkerOptions } from './verification-worker.js';
