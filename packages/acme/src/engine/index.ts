/**
 * The ACME (RFC 8555) engine: `createAcmeServer`, its request/response
 * types, options, URL layout and the validator interface.
 * @module
 */
export * from './http-types.js';
export * from './options.js';
export * from './server.js';
export * from './urls.js';
export * from './validator.js';
export * from './certificate-info.js';
export * from './nonce-service.js';
