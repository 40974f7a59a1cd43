/**
 * The only two responses an adapter produces itself, both RFC 7807 problem
 * documents: 413 for a body over the limit and 500 when the adapter itself
 * fails. Everything else comes from the engine.
 * @module
 */
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
  const headers: Record<string, string | string[]> = { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store' };
  const nonce = await server.handle({ method: 'HEAD', url: newNonceUrl, headers: {}, body: undefined });
  if (nonce.status === 200) {
    for (const name of PASSED_ON) {
      const value = nonce.headers[name];
      if (value !== undefined) headers[name] = value;
    }
  }
  const document = { type: ACME_ERROR_NS + 'malformed', detail: `The request body exceeds the limit of ${limit} bytes`, status: 413 };
  return { status: 413, headers, body: JSON.stringify(document) };
}

/**
 * 500 `serverInternal` problem for a failure of the adapter itself (a
 * broken request stream, a host misconfiguration). `detail` must not carry
 * internal information; it defaults to the table's generic text.
 */
export function adapterFailure(detail: string = PROBLEM_TABLE.serverInternal.detail): AcmeResponse {
  const document = { type: ACME_ERROR_NS + 'serverInternal', detail, status: 500 };
  return { status: 500, headers: { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store' }, body: JSON.stringify(document) };
}

/** The body of a response as bytes, or `undefined` when it has none. */
export function bodyBytes(response: AcmeResponse): Buffer | undefined {
  const body = response.body;
  if (body === undefined) return undefined;
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}
