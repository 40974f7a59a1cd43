/**
 * The Fastify adapter: an encapsulated plugin that hands every request
 * under its prefix to the ACME engine.
 * @module
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AcmeResponse } from '../engine/http-types.js';
import { adapterFailure, bodyBytes, payloadTooLarge } from '../node/adapter-responses.js';
import { externalUrl } from '../node/external-url.js';
import { resolveAdapterOptions } from '../node/options.js';
import type { AcmeRequestHandler, AdapterOptions } from '../node/options.js';

/** Options of {@link acmePlugin}: the engine plus the shared adapter options (`prefix` is Fastify's own register option). */
export interface AcmePluginOptions extends AdapterOptions {
  /** The engine (an `AcmeServer`). */
  readonly server: AcmeRequestHandler;
}

/**
 * Writes the response. Header names and values are checked first (as
 * node's `setHeader` does for the other adapters), so that a response that
 * cannot be written becomes the 500 problem instead of a Fastify error.
 */
function send(reply: FastifyReply, response: AcmeResponse): FastifyReply {
  for (const [name, value] of Object.entries(response.headers)) {
    validateHeaderName(name);
    for (const one of Array.isArray(value) ? value : [value]) validateHeaderValue(name, one);
  }
  const bytes = bodyBytes(response);
  reply.code(response.status);
  for (const [name, value] of Object.entries(response.headers)) reply.header(name, value);
  if (bytes === undefined) return reply.send();
  reply.header('Content-Length', bytes.length);
  return reply.send(bytes);
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
 * engine, which routes, answers 404/405 and issues nonces. A body over the
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

  async function toEngine(request: FastifyRequest, reply: FastifyReply, body: Uint8Array | undefined): Promise<FastifyReply> {
    const remoteAddress = request.raw.socket.remoteAddress;
    const response = await server.handle({
      method: request.method,
      url: externalUrl(resolved, { target: request.raw.url ?? request.url, headers: request.headers, remoteAddress }),
      headers: request.headers,
      body,
      ...(remoteAddress === undefined ? {} : { remoteAddress }),
    });
    return send(reply, response);
  }

  fastify.setErrorHandler(async (error: FastifyError, request, reply) => {
    try {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return send(reply, await payloadTooLarge(server, resolved.newNonceUrl, resolved.bodyLimit));
      if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return await toEngine(request, reply, undefined);
    } catch {
      return send(reply, adapterFailure());
    }
    return send(reply, adapterFailure());
  });

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const body = request.body;
    const bytes = body instanceof Uint8Array && body.length > 0 ? new Uint8Array(body.buffer, body.byteOffset, body.byteLength) : undefined;
    try {
      return await toEngine(request, reply, bytes);
    } catch {
      return send(reply, adapterFailure());
    }
  };
  for (const url of ['/', '/*']) {
    fastify.route({ method: fastify.supportedMethods, url, exposeHeadRoute: false, handler });
  }
}
