/**
 * The node:http adapter: a `(req, res)` listener for `http.createServer`
 * and `https.createServer` that hands every request to the engine.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { payloadTooLarge } from './adapter-responses.js';
import { externalUrl } from './external-url.js';
import { resolveAdapterOptions } from './options.js';
import type { AcmeRequestHandler, AdapterOptions } from './options.js';
import { readBody } from './read-body.js';
import { failNodeResponse, writeNodeResponse } from './write-response.js';

/** A node:http request listener. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Creates a request listener serving `server` (the whole URL space: mount
 * it as the server's only listener, or call it for the paths under the
 * engine's base URL). The body is read up to `bodyLimit` bytes (413
 * problem beyond); the URL is rebuilt from the configured origin (see
 * {@link AdapterOptions}); any failure of the adapter becomes a 500 problem
 * document, so no request is left hanging and no error escapes.
 *
 * @example
 * ```ts
 * const acme = createAcmeServer({ baseUrl: 'https://ca.example/acme', ... });
 * https.createServer(tlsOptions, createNodeHandler(acme, { baseUrl: 'https://ca.example/acme' })).listen(443);
 * ```
 */
export function createNodeHandler(server: AcmeRequestHandler, options: AdapterOptions): NodeHandler {
  const resolved = resolveAdapterOptions(options);

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = externalUrl(resolved, { target: req.url ?? '/', headers: req.headers, remoteAddress: req.socket.remoteAddress });
    const read = await readBody(req, resolved.bodyLimit);
    if (read.kind === 'tooLarge') {
      writeNodeResponse(res, await payloadTooLarge(server, resolved.newNonceUrl, resolved.bodyLimit));
      return;
    }
    const response = await server.handle({
      method: req.method ?? 'GET',
      url,
      headers: req.headers,
      body: read.body,
      ...(req.socket.remoteAddress === undefined ? {} : { remoteAddress: req.socket.remoteAddress }),
    });
    writeNodeResponse(res, response);
  }

  return (req, res) => {
    serve(req, res).catch(() => failNodeResponse(res));
  };
}
