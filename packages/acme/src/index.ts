/**
 * @certwright/acme — the ACME (RFC 8555) server engine. This entry currently
 * exposes the request JWS verification layer (RFC 8555 §6.2–6.5, §7.3.4,
 * §7.3.5) on which the router and resource handlers are built.
 * @packageDocumentation
 */
export * from './jws/index.js';
export * from './engine/index.js';
export * from './validation/index.js';
