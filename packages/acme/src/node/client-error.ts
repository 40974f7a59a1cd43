/**
 * The answer to a request Node's HTTP parser refused before any adapter
 * saw it: an RFC 7807 problem document instead of Node's bare status line
 * or Fastify's JSON of its own.
 * @module
 */
import type { Duplex } from 'node:stream';
import { closingResponseBytes, problemResponse } from './adapter-responses.js';

/** Status and detail by the parser's error code; anything else is a 400. */
const BY_CODE: Readonly<Record<string, readonly [number, string]>> = {
  HPE_HEADER_OVERFLOW: [431, 'The request line and header fields exceed the size limit of this server'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request was not received completely in time'],
  HPE_HEADERS_TIMEOUT: [408, 'The request header fields were not received completely in time'],
};

/**
 * A `clientError` listener (`server.on('clientError', answerClientError)`
 * for node:http and node:https, or Fastify's `clientErrorHandler` option):
 * a request that is not valid HTTP/1.1 (RFC 9112), whose header fields
 * are too large, or that was not received in time gets a `malformed`
 * problem document (RFC 8555 §6.7; 400, 431 or 408) and the connection is
 * closed. The document carries no `Replay-Nonce`: no ACME request was
 * read. A connection reset, or a socket that can no longer be written,
 * is only destroyed.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] = BY_CODE[err.code ?? ''] ?? [400, 'The request is not a valid HTTP/1.1 request'];
  if (socket.writable) socket.write(closingResponseBytes(problemResponse('malformed', status, detail)));
  socket.destroy();
}
