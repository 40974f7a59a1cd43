/**
 * `@certwright/acme/fastify` — the Fastify (5.x) adapter of the ACME
 * engine. Fastify is an optional peer dependency, imported (as types) only
 * here.
 * @module
 */
export { acmePlugin } from './plugin.js';
export type { AcmePluginOptions } from './plugin.js';
export { acmeFrameworkErrors } from './framework-errors.js';
export type { AcmeFrameworkErrorsOptions, FrameworkErrorsHandler } from './framework-errors.js';
export type { AcmeRequestHandler, AdapterOptions } from '../node/options.js';
export { answerClientError } from '../node/client-error.js';
export { createConnectListener } from '../node/connect.js';
