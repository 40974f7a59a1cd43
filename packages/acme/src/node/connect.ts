/**
 * The answer to a CONNECT request (RFC 9110 §9.3.6). Node hands CONNECT to
 * the server's `connect` listeners instead of its request listener, and
 * closes the connection without a word when there is none.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { adapterFailure, closingResponseBytes } from './adapter-responses.js';
import { externalUrl } from './external-url.js';
import { resolveAdapterOptions } from './options.js';
import type { AcmeRequestHandler, AdapterOptions } from './options.js';

/**
 * A `connect` listener for node:http and node:https servers
 * (`server.on('connect', createConnectListener(engine, options))`, or on
 * a Fastify app's `server`): the engine answers the CONNECT request as it
 * answers any method its resources do not allow (a 405 `malformed`
 * problem document with `Allow` and a nonce, or 404 for a target that is
 * no ACME resource), then the connection is closed. An engine failure
 * becomes the 500 problem document.
 */
export function createConnectListener(server: AcmeRequestHandler, options: AdapterOptions): (req: IncomingMessage, socket: Duplex) => void {
  const resolved = resolveAdapterOptions(options);
  return (req, socket) => {
    socket.on('error', () => socket.destroy());
    const remoteAddress = req.socket.remoteAddress;
    const answer = async (): Promise<Buffer> => {
      const response = await server.handle({
        method: req.method ?? 'CONNECT',
        url: externalUrl(resolved, { target: req.url ?? '/', headers: req.headers, remoteAddress }),
        headers: req.headers,
        body: undefined,
        ...(remoteAddress === undefined ? {} : { remoteAddress }),
      });
      return closingResponseBytes(response);
    };
    answer()
      .catch(() => closingResponseBytes(adapterFailure()))
      .then((bytes) => {
        if (socket.writable) socket.end(bytes);
        else socket.destroy();
      }, () => socket.destroy());
  };
}
