/**
 * Writes an {@link AcmeResponse} to a Node `ServerResponse`.
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { AcmeResponse } from '../engine/http-types.js';
import { adapterFailure, bodyBytes } from './adapter-responses.js';

/** Writes status, headers (repeated ones as arrays), `Content-Length` and body verbatim. */
export function writeNodeResponse(res: ServerResponse, response: AcmeResponse): void {
  const bytes = bodyBytes(response);
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  if (bytes !== undefined) res.setHeader('Content-Length', bytes.length);
  res.end(bytes);
}

/**
 * Answers a request whose handling failed: a 500 problem document when
 * nothing was sent yet, otherwise the connection is cut (a half-written
 * response cannot be repaired).
 */
export function failNodeResponse(res: ServerResponse, detail?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  try {
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    writeNodeResponse(res, adapterFailure(detail));
  } catch {
    res.destroy();
  }
}
