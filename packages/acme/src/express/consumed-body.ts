/**
 * What an Express host app's own body parsers may have left on a request,
 * and how the ACME router uses it.
 * @module
 */
import type { IncomingMessage } from 'node:http';

/** How the router obtains the body of one request. */
export type ConsumedBody =
  /** Nobody touched the stream: read it. */
  | { readonly kind: 'unread' }
  /** Bytes are available (a raw parser's Buffer, a text parser's string, or none). */
  | { readonly kind: 'body'; readonly body: Uint8Array | undefined }
  /** A JOSE body was consumed into something its exact bytes cannot be recovered from. */
  | { readonly kind: 'lost'; readonly detail: string };

function isJose(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  return type !== undefined && type.split(';')[0]!.trim().toLowerCase() === 'application/jose+json';
}

function declaresBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Inspects `req.body` and the stream state:
 * - a `Buffer`/`Uint8Array` (e.g. `express.raw()`) is the body;
 * - a string (e.g. `express.text()`) is taken as its UTF-8 bytes, which is
 *   lossless for JWS text;
 * - a parsed object (e.g. `express.json({ type: '*\/*' })`) cannot give back
 *   the signed bytes: `lost` for a JOSE request; for any other media type the
 *   body is irrelevant (the engine answers 415 or ignores it) and is passed
 *   as absent;
 * - no `req.body` and an unread stream: `unread`; an already consumed
 *   stream: absent, or `lost` when a JOSE body was declared.
 */
export function consumedBody(req: IncomingMessage & { body?: unknown }): ConsumedBody {
  const body = req.body;
  if (body instanceof Uint8Array) return { kind: 'body', body: body.length === 0 ? undefined : new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
  if (typeof body === 'string') return { kind: 'body', body: body === '' ? undefined : new Uint8Array(Buffer.from(body, 'utf8')) };
  const lost = { kind: 'lost', detail: 'The application/jose+json request body was consumed by another body parser of the host application before the ACME router' } as const;
  if (body !== undefined && body !== null) return isJose(req) ? lost : { kind: 'body', body: undefined };
  if (req.readableEnded) return isJose(req) && declaresBody(req) ? lost : { kind: 'body', body: undefined };
  return { kind: 'unread' };
}
