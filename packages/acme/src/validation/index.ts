/**
 * Challenge validation (RFC 8555 §8, RFC 8737, RFC 8738) and CAA
 * (RFC 8659, RFC 8657): validators implementing the engine's `Validator`
 * interface, the injectable DNS resolver, the connection policy every
 * validator obeys, and the CAA check and recheck.
 * @module
 */
export * from './dns-error.js';
export type * from './dns-resolver.js';
export * from './node-dns-resolver.js';
export * from './special-ranges.js';
export * from './connection-policy.js';
export * from './target-addresses.js';
export * from './dial-fallback.js';
export * from './http-probe.js';
export * from './http-redirect.js';
export * from './http01.js';
export * from './key-authorization-digest.js';
export * from './dns01.js';
export * from './reverse-dns-name.js';
export * from './acme-tls-certificate.js';
export * from './acme-tls-handshake.js';
export * from './tls-alpn01.js';
export * from './caa-value.js';
export * from './caa-lookup.js';
export * from './caa-check.js';
export * from './caa-recheck.js';
export * from './validator-caa.js';
export * from './deadline.js';
export * from './multi-perspective.js';
