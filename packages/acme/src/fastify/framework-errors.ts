/**
 * Fastify's router refuses a path that does not percent-decode (`/%`,
 * `/acct/%zz`) before any route, plugin or error handler runs, with a
 * JSON body of its own. {@link acmeFrameworkErrors} is the
 * `frameworkErrors` server option that lets the ACME engine answer such
 * requests under the ACME base path as it answers every other unknown URL:
 * a `malformed` problem document with a nonce (RFC 8555 §6.5, §6.7).
 * @module
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { adapterFailure } from '../node/adapter-responses.js';
import { resolveAdapterOptions } from '../node/options.js';
import type { AdapterOptions, AcmeRequestHandler } from '../node/options.js';
import { answerWithEngine, sendResponse } from './engine-reply.js';

/** The shape of Fastify's `frameworkErrors` server option. */
export type FrameworkErrorsHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void;

/** Options of {@link acmeFrameworkErrors}: those given to `acmePlugin` (the engine and the adapter options). */
export interface AcmeFrameworkErrorsOptions extends AdapterOptions {
  /** The engine (an `AcmeServer`). */
  readonly server: AcmeRequestHandler;
}

/** Fastify's own answer to a framework error (what it sends when no `frameworkErrors` option is set). */
function fastifyDefault(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const statusCode = error.statusCode ?? 400;
  void reply.code(statusCode).send({ error: 'Bad Request', code: error.code, message: error.message, statusCode });
}

/** The path of a request target, origin-form or absolute-form. */
function targetPath(target: string): string {
  const path = /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '') : target;
  return path.split(/[?#]/, 1)[0] ?? '';
}

/**
 * A `frameworkErrors` option for `Fastify({ frameworkErrors })`: a framework
 * error (an undecodable path, FST_ERR_BAD_URL) on a path under the base URL
 * of `options` is answered by the engine (404 `malformed` problem with
 * `Replay-Nonce` and the index link); anything else goes to `fallback`
 * (default: Fastify's own 400 JSON answer). Pass the same options as to
 * `acmePlugin`.
 *
 * @example
 * ```ts
 * const acme = { server: engine, baseUrl: 'https://ca.example/acme' };
 * const app = Fastify({ frameworkErrors: acmeFrameworkErrors(acme) });
 * await app.register(acmePlugin, { ...acme, prefix: '/acme' });
 * ```
 */
export function acmeFrameworkErrors(options: AcmeFrameworkErrorsOptions, fallback: FrameworkErrorsHandler = fastifyDefault): FrameworkErrorsHandler {
  const resolved = resolveAdapterOptions(options);
  const basePath = new URL(options.baseUrl).pathname.replace(/\/+$/, '');
  const underBase = (path: string): boolean => path === basePath || path.startsWith(`${basePath}/`);
  return (error, request, reply) => {
    if (!underBase(targetPath(request.raw.url ?? '/'))) {
      fallback(error, request, reply);
      return;
    }
    answerWithEngine(options.server, resolved, request, reply, undefined).catch(() => sendResponse(reply, adapterFailure()));
  };
}
