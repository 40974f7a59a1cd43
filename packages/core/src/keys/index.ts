/**
 * Public keys: SubjectPublicKeyInfo parsing and fingerprints, JWK
 * conversion and thumbprints, and the key policy with its weak-key checks.
 * @packageDocumentation
 */
export { DerError } from '../x509/der-reader.js';
export * from './curves.js';
export * from './spki.js';
export * from './jwk.js';
export * from './small-primes.js';
export * from './fermat.js';
export * from './roca.js';
export * from './key-policy.js';
