/**
 * Reads a request body from a Node stream with a hard size cap: never more
 * than `limit` bytes are buffered.
 * @module
 */
import type { IncomingMessage } from 'node:http';

/** The outcome of {@link readBody}. */
export type BodyResult = { readonly kind: 'body'; readonly body: Uint8Array | undefined } | { readonly kind: 'tooLarge' };

/** Discards the rest of a request without buffering it, so the response can still be read by the client. */
export function discardRest(req: IncomingMessage): void {
  req.removeAllListeners('data');
  req.on('data', () => undefined);
  req.resume();
}

/**
 * Reads the body of `req`: `undefined` when it is empty, `tooLarge` as soon
 * as the declared `Content-Length` or the bytes received exceed `limit`
 * (the rest is then discarded unread). Rejects when the request is aborted
 * or the stream fails.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && /^[0-9]+$/.test(declared) && Number(declared) > limit) {
    discardRest(req);
    return Promise.resolve({ kind: 'tooLarge' });
  }
  return new Promise<BodyResult>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult | Error): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        settle({ kind: 'tooLarge' });
        discardRest(req);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle({ kind: 'body', body: size === 0 ? undefined : new Uint8Array(Buffer.concat(chunks, size)) });
    const onError = (err: Error): void => settle(err);
    const onClose = (): void => {
      if (!req.complete) settle(new Error('the request was aborted before its body was complete'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
