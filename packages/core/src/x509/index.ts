/**
 * X.509 encoding: a byte-level DER encoder and strict reader (as the `der`
 * and `derReader` namespaces), names, extensions, TBSCertificate assembly
 * and decoding, certificate signing, PEM and CT precertificate pairing.
 * @packageDocumentation
 */
export * as der from './der.js';
export * as derReader from './der-reader.js';
export * from './oids.js';
export * from './ip.js';
export * from './name.js';
export * from './spki.js';
export * from './extensions.js';
export * from './tbs.js';
export * from './certificate.js';
export * from './pem.js';
export * from './ct.js';
