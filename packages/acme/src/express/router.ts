/**
 * The Express adapter: a Router that hands every request under its mount
 * path to the ACME engine.
 * @module
 */
import express from 'express';
import type { Request, Response, Router } from 'express';
import { payloadTooLarge } from '../node/adapter-responses.js';
import { externalUrl } from '../node/external-url.js';
import { resolveAdapterOptions } from '../node/options.js';
import type { AcmeRequestHandler, AdapterOptions } from '../node/options.js';
import { readBody } from '../node/read-body.js';
import type { BodyResult } from '../node/read-body.js';
import { failNodeResponse, writeNodeResponse } from '../node/write-response.js';
import { consumedBody } from './consumed-body.js';
import type { ConsumedBody } from './consumed-body.js';

/** The body to hand to the engine: read from the stream, or what a host parser left, both held to `limit`. */
function bodyOf(req: Request, consumed: Exclude<ConsumedBody, { kind: 'lost' }>, limit: number): Promise<BodyResult> {
  if (consumed.kind === 'unread') return readBody(req, limit);
  if (consumed.body !== undefined && consumed.body.length > limit) return Promise.resolve({ kind: 'tooLarge' });
  return Promise.resolve({ kind: 'body', body: consumed.body });
}

/**
 * Creates an Express Router for `server`, to mount at the path of the
 * engine's base URL: for `baseUrl: 'https://ca.example/acme'`,
 * `app.use('/acme', createExpressRouter(server, { baseUrl }))`.
 *
 * Host body parsers: the router works with none installed (it reads the raw
 * body itself, up to `bodyLimit`), with `express.json()`/`urlencoded()`
 * (they do not match `application/jose+json`), and with a parser that left
 * a `Buffer` (`express.raw()`) or string (`express.text()`) in `req.body`.
 * A parser that turned an `application/jose+json` body into an object
 * loses the signed bytes: such requests get a 500 `serverInternal` problem
 * naming the misconfiguration. Register the router before such a parser,
 * or limit the parser's `type`.
 *
 * The external URL is the configured origin plus `req.originalUrl`; the
 * response is written verbatim (no ETag, no Express `send` conversions);
 * adapter failures become a 500 problem document and never reach the
 * host's error handlers.
 */
export function createExpressRouter(server: AcmeRequestHandler, options: AdapterOptions): Router {
  const resolved = resolveAdapterOptions(options);
  const router = express.Router();

  async function serve(req: Request, res: Response): Promise<void> {
    const url = externalUrl(resolved, { target: req.originalUrl, headers: req.headers, remoteAddress: req.socket.remoteAddress });
    const consumed = consumedBody(req);
    if (consumed.kind === 'lost') {
      failNodeResponse(res, consumed.detail);
      return;
    }
    const read = await bodyOf(req, consumed, resolved.bodyLimit);
    if (read.kind === 'tooLarge') {
      writeNodeResponse(res, await payloadTooLarge(server, resolved.newNonceUrl, resolved.bodyLimit));
      return;
    }
    const response = await server.handle({
      method: req.method,
      url,
      headers: req.headers,
      body: read.body,
      ...(req.socket.remoteAddress === undefined ? {} : { remoteAddress: req.socket.remoteAddress }),
    });
    writeNodeResponse(res, response);
  }

  router.use((req, res) => {
    serve(req, res).catch(() => failNodeResponse(res));
  });
  return router;
}
