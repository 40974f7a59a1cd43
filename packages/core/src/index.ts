/**
 * @certwright/core — the ACME domain model, errors, clock, random source,
 * logger, storage interfaces with the in-memory store, signers and the
 * issuance pipeline. This entry imports no database driver, framework or
 * PKCS#11 binding; the SQL store lives under `@certwright/core/sql`.
 * @packageDocumentation
 */
export * from './clock.js';
export * from './random.js';
export * from './logger.js';
export * from './errors.js';
export * from './identifier.js';
export * from './signer.js';
export * from './domain/index.js';
export * from './store/index.js';
export * from './signers/index.js';
export * from './policy/index.js';
export * from './keys/index.js';
export * from './x509/index.js';
export * from './issuance/index.js';
export * from './csr/index.js';
export * from './base64url.js';
export * from './lru-cache.js';
