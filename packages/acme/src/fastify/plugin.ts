/**
 * The Fastify adapter: an encapsulated plugin that hands every request
 * under its prefix to the ACME engine.
 * @module
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { adapterFailure, payloadTooLarge } from '../node/adapter-responses.js';
import { resolveAdapterOptions } from '../node/options.js';
import type { AcmeRequestHandler, AdapterOptions } from '../node/options.js';
import { answerWithEngine, sendResponse } from './engine-reply.js';

/** Options of {@link acmePlugin}: the engine plus the shared adapter options (`prefix` is Fastify's own register option). */
export interface AcmePluginOptions extends AdapterOptions {
  /** The engine (an `AcmeServer`). */
  readonly server: AcmeRequestHandler;
}

/**
 * Registers the ACME engine under the register `prefix`, e.g.
 * `app.register(acmePlugin, { prefix: '/acme', server, baseUrl: 'https://ca.example/acme' })`.
 *
 * The plugin keeps Fastify's encapsulation (it is not wrapped with
 * fastify-plugin): inside its own context it removes every content-type
 * parser and adds one catch-all parser that keeps the body as a `Buffer`
 * with `bodyLimit`, so the engine sees the exact signed bytes of
 * `application/jose+json` and answers 415 itself for any other type; the
 * host app's parsers (its JSON parsing) are untouched. One wildcard route
 * for every supported method sends every path under the prefix to the
 * engine, which routes, answers 404/405 and issues nonces; so does the
 * plugin's not-found handler, which gets the methods Fastify has no route
 * for (WebDAV's PROPFIND and the like; registered at the root prefix, the
 * plugin leaves a not-found handler the host set before in place, and one
 * set after it is refused by Fastify). A body over the
 * limit gets the same 413 problem as the other adapters; other Fastify
 * errors in this context become a 500 problem document. Fastify reads no
 * body for GET and HEAD (its bodyless methods), so the limit applies to the
 * other methods only.
 */
export async function acmePlugin(fastify: FastifyInstance, options: AcmePluginOptions): Promise<void> {
  const resolved = resolveAdapterOptions(options);
  const server = options.server;

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: resolved.bodyLimit }, (_request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    done(null, body);
  });

  fastify.setErrorHandler(async (error: FastifyError, request, reply) => {
    try {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendResponse(reply, await payloadTooLarge(server, resolved.newNonceUrl, resolved.bodyLimit));
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return await answerWithEngine(server, resolved, request, reply, undefined);
    } catch {
      return sendResponse(reply, adapterFailure());
    }
    return sendResponse(reply, adapterFailure());
  });

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const body = request.body;
    const bytes = body instanceof Uint8Array && body.length > 0 ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : undefined;
    try {
      return await answerWithEngine(server, resolved, request, reply, bytes);
    } catch {
      return sendResponse(reply, adapterFailure());
    }
  };
  for (const url of ['/', '/*']) {
    fastify.route({ method: fastify.supportedMethods, url, exposeHeadRoute: false, handler });
  }
  // A method the HTTP parser accepts but Fastify has no route for (PROPFIND, SEARCH, ...) reaches the
  // not-found handler instead of the routes above: the engine answers it too (405 with Allow, or 404).
  // Under a prefix the handler is the plugin's own; at the root prefix Fastify has one not-found handler
  // for the whole app, and one the host set before registering the plugin is kept.
  try {
    fastify.setNotFoundHandler(handler);
  } catch (err) {
    if (fastify.prefix !== '') throw err;
  }
}
