/**
 * The Fastify options of the ACME listener: HTTPS with the CA's own
 * certificate, a bound on how long one request may take to arrive, and
 * ACME problem documents (RFC 8555 §6.7) for what Fastify and Node would
 * otherwise answer themselves.
 */
import type { Server } from 'node:https';
import { acmeFrameworkErrors, answerClientError, type AcmeFrameworkErrorsOptions } from '@certwright/acme/fastify';
import type { FastifyHttpsOptions } from 'fastify';

/**
 * How long a client may take to send one whole request (header fields and
 * body, at most the 64 KiB body limit) before it gets a 408 problem and the
 * connection is closed. Fastify's default is no limit, which lets a client
 * hold a connection by sending its body a byte at a time.
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Limits of {@link acmeListenerOptions}; the defaults are what `serve` uses. */
export interface RequestLimits {
  /** See {@link REQUEST_TIMEOUT_MS}. */
  readonly requestTimeoutMs: number;
  /** How often Node looks for requests past the timeout. */
  readonly checkIntervalMs: number;
}

/**
 * Options for `Fastify(...)`: `tls` (PEM key and chain), the time limits,
 * `frameworkErrors` (an undecodable path, under the ACME base path or not,
 * gets the engine's 404 problem)
 * and `clientErrorHandler` (400/431/408 problem documents for requests the
 * HTTP parser refuses or that arrive too slowly).
 */
export function acmeListenerOptions(
  tls: { readonly key: string; readonly cert: string },
  acme: AcmeFrameworkErrorsOptions,
  limits: RequestLimits = { requestTimeoutMs: REQUEST_TIMEOUT_MS, checkIntervalMs: 5_000 },
): FastifyHttpsOptions<Server> {
  return {
    logger: false,
    // Node applies the request timeout to a body still arriving only when it is given as the server is created;
    // Fastify sets its own `requestTimeout` on the server afterwards, so both carry the same value.
    https: { key: tls.key, cert: tls.cert, requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.requestTimeoutMs, connectionsCheckingInterval: limits.checkIntervalMs },
    requestTimeout: limits.requestTimeoutMs,
    // Every path of the listener is the engine's (see `serve`), including those outside the ACME base path.
    frameworkErrors: acmeFrameworkErrors({ ...acme, baseUrl: new URL(acme.baseUrl).origin }),
    clientErrorHandler: answerClientError,
  };
}
