/**
 * Certificate signing requests: strict PKCS#10 parsing with signature
 * verification, and matching a CSR's names against an order.
 * @packageDocumentation
 */
export * from './encoding.js';
export * from './parse.js';
export * from './identifiers.js';
export * from './build.js';
