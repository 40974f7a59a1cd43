/**
 * Hands a Fastify request to the ACME engine and writes the engine's
 * response to the reply: what the plugin's routes, its not-found handler
 * and {@link acmeFrameworkErrors} all do.
 * @module
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AcmeResponse } from '../engine/http-types.js';
import { bodyBytes } from '../node/adapter-responses.js';
import { externalUrl } from '../node/external-url.js';
import type { AcmeRequestHandler, ResolvedAdapterOptions } from '../node/options.js';

/**
 * Writes the response. Header names and values are checked first (as
 * node's `setHeader` does for the other adapters), so that a response that
 * cannot be written throws here (and becomes the 500 problem) instead of
 * failing inside Fastify.
 */
export function sendResponse(reply: FastifyReply, response: AcmeResponse): FastifyReply {
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
 * Lets the engine answer `request` with `body` (the URL rebuilt from the
 * configured origin, RFC 8555 §6.4) and writes its response.
 */
export async function answerWithEngine(server: AcmeRequestHandler, resolved: ResolvedAdapterOptions, request: FastifyRequest, reply: FastifyReply, body: Uint8Array | undefined): Promise<FastifyReply> {
  const remoteAddress = request.raw.socket.remoteAddress;
  const response = await server.handle({
    method: request.method,
    url: externalUrl(resolved, { target: request.raw.url ?? request.url, headers: request.headers, remoteAddress }),
    headers: request.headers,
    body,
    ...(remoteAddress === undefined ? {} : { remoteAddress }),
  });
  return sendResponse(reply, response);
}
