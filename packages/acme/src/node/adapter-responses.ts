/**
 * The responses an adapter produces itself, all RFC 7807 problem documents
 * (413 for a body over the limit, 500 when the adapter itself fails, and
 * the answers to requests the HTTP parser refused); everything else comes
 * from the engine. Also the HTTP/1.1 bytes of a response for a socket that
 * no HTTP server writes to.
 * @module
 */
import { STATUS_CODES, validateHeaderName, validateHeaderValue } from 'node:http';
import { ACME_ERROR_NS, PROBLEM_TABLE } from '@certwright/core';
import type { AcmeResponse } from '../engine/http-types.js';
import type { AcmeRequestHandler } from './options.js';

const PASSED_ON = ['Replay-Nonce', 'Link', 'Cache-Control'] as const;

/**
 * 413 `malformed` problem naming the limit. A fresh nonce and the index
 * link are asked from the engine (a `HEAD` on newNonce) so that the
 * response carries the same headers as every engine error (RFC 8555 §6.5).
 */
export async function payloadTooLarge(server: AcmeRequestHandler, newNonceUrl: string, limit: number): Promise<AcmeResponse> {
  const response = problemResponse('malformed', 413, `The request body exceeds the limit of ${limit} bytes`);
  const nonce = await server.handle({ method: 'HEAD', url: newNonceUrl, headers: {}, body: undefined });
  if (nonce.status === 200) {
    for (const name of PASSED_ON) {
      const value = nonce.headers[name];
      if (value !== undefined) response.headers[name] = value;
    }
  }
  return response;
}

/**
 * 500 `serverInternal` problem for a failure of the adapter itself (a
 * broken request stream, a host misconfiguration). `detail` must not carry
 * internal information; it defaults to the table's generic text.
 */
export function adapterFailure(detail: string = PROBLEM_TABLE.serverInternal.detail): AcmeResponse {
  return problemResponse('serverInternal', 500, detail);
}

/**
 * A problem document of the ACME error `type` (`malformed`, … : RFC 8555
 * §6.7) with `status` and `detail`, not cached, without a nonce.
 */
export function problemResponse(type: string, status: number, detail: string): AcmeResponse {
  const document = { type: ACME_ERROR_NS + type, detail, status };
  return { status, headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store' }, body: JSON.stringify(document) };
}

/** The body of a response as bytes, or `undefined` when it has none. */
export function bodyBytes(response: AcmeResponse): Buffer | undefined {
  const body = response.body;
  if (body === undefined) return undefined;
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * `response` as the bytes of an HTTP/1.1 response (RFC 9112 §4) that closes
 * the connection, for a socket no HTTP server writes to (a refused request,
 * CONNECT). Throws on a header field Node would refuse to write.
 */
export function closingResponseBytes(response: AcmeResponse): Buffer {
  const body = bodyBytes(response) ?? Buffer.alloc(0);
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`];
  for (const [name, value] of Object.entries(response.headers)) {
    validateHeaderName(name);
    for (const one of Array.isArray(value) ? value : [value]) {
      validateHeaderValue(name, one);
      lines.push(`${name}: ${one}`);
    }
  }
  lines.push(`Content-Length: ${body.length}`, 'Connection: close', '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]);
}
