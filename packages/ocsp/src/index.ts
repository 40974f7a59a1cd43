/**
 * @certwright/ocsp — an OCSP responder (RFC 6960 with the RFC 5019
 * profile) with pre-signed responses, delegated responder certificates, and
 * CRL generation (RFC 5280 §5) with sharding and persisted CRL numbers,
 * served by one framework-agnostic `handle()`.
 * @packageDocumentation
 */
export * from './oids.js';
export * from './ocsp-request.js';
export * from './ocsp-get.js';
export * from './ocsp-response.js';
export * from './signing-identity.js';
export * from './delegated-responder.js';
export * from './certificate-status.js';
export * from './response-signer.js';
export * from './response-cache.js';
export * from './response-source.js';
export * from './background-task.js';
export * from './caching-headers.js';
export * from './http-types.js';
export * from './revocation.js';
export * from './crl-encode.js';
export * from './crl-number-store.js';
export * from './file-crl-number-store.js';
export * from './crl-route.js';
export * from './crl-files.js';
export * from './crl-publisher.js';
export * from './responder.js';
