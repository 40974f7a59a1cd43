/**
 * Identifier policy: normalization and acceptance rules for ACME `dns` and
 * `ip` identifiers, CIDR ranges and the Public Suffix List.
 * @module
 */
export * from './identifier-policy.js';
export type { RequestedIdentifier } from './identifier-rejection.js';
export * from './dns-name.js';
export * from './ip-address.js';
export * from './cidr.js';
export * from './public-suffix.js';
export * from './suffix-list.js';
export * from './punycode.js';
