import { CertwrightError } from '../errors.js';

/**
 * Opaque keyset cursors for paged listings ({@link Page.next}). A cursor
 * carries the sort key of the last item of a page; the next page starts
 * strictly after it. Store implementations share this encoding so that a
 * cursor never reveals more than the key it was built from.
 */

/** The sort key of one item: its parts, most significant first. */
export type CursorKey = readonly (string | number)[];

/** Encodes a sort key as an opaque base64url cursor. */
export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodeCursor} and checks that its parts
 * have the expected types (`'s'` string, `'n'` finite number). A cursor that
 * does not decode, or has another shape, throws `malformed` (cursors reach
 * the store from client-supplied URLs, RFC 8555 §7.1.2.1).
 */
export function decodeCursor(cursor: string, shape: readonly ('s' | 'n')[]): (string | number)[] {
  const invalid = (): CertwrightError => new CertwrightError('malformed', `Invalid page cursor "${cursor.slice(0, 64)}"`);
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== shape.length) throw invalid();
  parsed.forEach((part: unknown, i) => {
    const ok = shape[i] === 's' ? typeof part === 'string' : typeof part === 'number' && Number.isFinite(part);
    if (!ok) throw invalid();
  });
  return parsed as (string | number)[];
}

/** The cursor of an order listing: newest first by creation time, then by id descending. */
export function orderCursor(order: { createdAt: Date; id: string }): string {
  return encodeCursor([order.createdAt.getTime(), order.id]);
}

/** Decodes an {@link orderCursor}: the creation time and id of the last order of the previous page. */
export function decodeOrderCursor(cursor: string): { createdAt: Date; id: string } {
  const [ms, id] = decodeCursor(cursor, ['n', 's']);
  return { createdAt: new Date(ms as number), id: id as string };
}

/** The cursor of a certificate listing by issuer: ascending by serial. */
export function serialCursor(serial: string): string {
  return encodeCursor([serial]);
}

/** Decodes a {@link serialCursor}: the serial of the last certificate of the previous page. */
export function decodeSerialCursor(cursor: string): string {
  return decodeCursor(cursor, ['s'])[0] as string;
}
