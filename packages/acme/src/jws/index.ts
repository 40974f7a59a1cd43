/**
 * ACME request JWS verification (RFC 8555 §6.2–6.5): the ordered checks of
 * every POST, the keyChange inner JWS (§7.3.5) and External Account Binding
 * (§7.3.4), with the strict base64url, UTF-8 and JSON decoders they rest on.
 * @module
 */
export * from './account-url.js';
export * from './algorithms.js';
export * from './base64url.js';
export * from './eab.js';
export * from './flattened.js';
export * from './header.js';
export * from './inner-jws.js';
export * from './json-part.js';
export * from './jwk.js';
export * from './lru-cache.js';
export * from './media-type.js';
export * from './signature.js';
export * from './strict-json.js';
export * from './utf8.js';
export * from './verifier.js';
