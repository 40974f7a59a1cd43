/**
 * Response builders shared by every resource: JSON bodies, `Location`,
 * `Link` and `Retry-After` headers, and problem documents.
 * @module
 */
import { toProblem } from '@certwright/core';
import type { AcmeResponse } from './http-types.js';

/** A response under construction: resources add headers; the server adds the nonce and index link. */
export interface ResponseParts {
  status: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array | string | undefined;
}

/** Options for {@link jsonResponse}. */
export interface JsonResponseOptions {
  location?: string;
  links?: readonly string[];
  retryAfterSeconds?: number;
}

/** A JSON response (`application/json`). */
export function jsonResponse(status: number, value: unknown, options: JsonResponseOptions = {}): ResponseParts {
  const headers: Record<string, string | string[]> = { 'Content-Type': 'application/json' };
  if (options.location !== undefined) headers['Location'] = options.location;
  if (options.links !== undefined && options.links.length > 0) headers['Link'] = [...options.links];
  if (options.retryAfterSeconds !== undefined) headers['Retry-After'] = String(options.retryAfterSeconds);
  return { status, headers, body: JSON.stringify(value) };
}

/** A `Link` header value `<url>;rel="relation"` (RFC 8288). */
export function link(url: string, relation: string): string {
  return `<${url}>;rel="${relation}"`;
}

/** Adds a `Link` value to a response, keeping the ones already there. */
export function addLink(parts: ResponseParts, value: string): void {
  const existing = parts.headers['Link'];
  parts.headers['Link'] = existing === undefined ? [value] : Array.isArray(existing) ? [...existing, value] : [existing, value];
}

/** A problem document response (`application/problem+json`, RFC 7807) for any thrown value. */
export function problemResponse(err: unknown): ResponseParts {
  const problem = toProblem(err);
  return {
    status: problem.status,
    headers: { ...problem.headers, 'Content-Type': 'application/problem+json' },
    body: JSON.stringify(problem.document),
  };
}

/** Finalizes parts as an {@link AcmeResponse}. */
export function toAcmeResponse(parts: ResponseParts): AcmeResponse {
  return { status: parts.status, headers: parts.headers, body: parts.body };
}
