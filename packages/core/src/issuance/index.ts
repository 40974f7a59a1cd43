/**
 * Issuance: profiles, issuers, the leaf TBS builder, CA bootstrap, CRL
 * sharding and pre-signing lints.
 * @packageDocumentation
 */
export * from './profile.js';
export * from './crl-url.js';
export * from './issuer.js';
export * from './leaf-tbs.js';
export * from './bootstrap.js';
export * from './lint.js';
export * from './engine-types.js';
export * from './serial.js';
export * from './pipeline.js';
