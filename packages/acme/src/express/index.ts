/**
 * `@certwright/acme/express` — the Express (5.x) adapter of the ACME
 * engine. Express is an optional peer dependency, imported only here.
 * @module
 */
export { createExpressRouter } from './router.js';
export { consumedBody } from './consumed-body.js';
export type { ConsumedBody } from './consumed-body.js';
export type { AcmeRequestHandler, AdapterOptions } from '../node/options.js';
