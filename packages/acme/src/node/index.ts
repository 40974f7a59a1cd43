/**
 * `@certwright/acme/node` — the node:http adapter of the ACME engine, and
 * the pieces every adapter shares (options, external URL, bounded body
 * reading, the adapter's own 413/500 problem documents, the problem
 * document for requests the HTTP parser refused).
 * @module
 */
export { createNodeHandler } from './handler.js';
export type { NodeHandler } from './handler.js';
export { DEFAULT_BODY_LIMIT, normalizeAddress, resolveAdapterOptions } from './options.js';
export type { AcmeRequestHandler, AdapterOptions, ResolvedAdapterOptions } from './options.js';
export { externalUrl, pathOf } from './external-url.js';
export type { UrlInput } from './external-url.js';
export { readBody, discardRest } from './read-body.js';
export type { BodyResult } from './read-body.js';
export { adapterFailure, bodyBytes, payloadTooLarge } from './adapter-responses.js';
export { failNodeResponse, writeNodeResponse } from './write-response.js';
export { answerClientError } from './client-error.js';
export { createConnectListener } from './connect.js';
