/**
 * @certwright/hsm — a PKCS#11 {@link Signer} over pkcs11js: a session pool
 * for parallel signing with automatic recovery, and key ceremonies
 * (generate, list, store and read certificates). CA certificates and
 * PKCS#10 requests for token keys come from `@certwright/core`
 * (`createRootCa`, `createIntermediateCa`, `buildCsr`), which take any
 * `Signer`. Tested against SoftHSM2.
 * @packageDocumentation
 */
export * from './errors.js';
export * from './constants.js';
export * from './module.js';
export * from './pin.js';
export * from './token.js';
export * from './public-key.js';
export * from './mechanism.js';
export * from './recovery.js';
export * from './session-pool.js';
export * from './signer.js';
export * from './token-handle.js';
