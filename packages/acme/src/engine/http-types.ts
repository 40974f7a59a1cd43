/**
 * Framework-agnostic request and response shapes of the ACME engine. HTTP
 * adapters (node http, Express, Fastify) only convert their own types to and
 * from these; routing, problem documents and nonces live in the engine.
 * @module
 */

/** Header map as adapters deliver it: lower- or mixed-case names, repeated headers as arrays. */
export type AcmeHeaders = Record<string, string | string[] | undefined>;

/**
 * One HTTP request as the engine sees it.
 *
 * `url` is the full external URL as the client sees it (scheme, host, port,
 * path and query), because RFC 8555 §6.4 requires the JWS `url` header to be
 * compared with it exactly.
 */
export interface AcmeRequest {
  /** HTTP method, e.g. `GET`, `HEAD`, `POST` (case-insensitive). */
  method: string;
  /** Full external request URL, e.g. `https://ca.example/acme/new-order`. */
  url: string;
  /** Request headers. */
  headers: AcmeHeaders;
  /** Raw request body, or `undefined` when there is none. */
  body: Uint8Array | undefined;
  /** Client address, for logging and rate limiting. */
  remoteAddress?: string;
}

/** One HTTP response produced by the engine; adapters write it verbatim. */
export interface AcmeResponse {
  /** HTTP status code. */
  status: number;
  /** Response headers; repeated headers (e.g. several `Link`) as arrays. */
  headers: Record<string, string | string[]>;
  /** Response body: bytes, text, or none (HEAD, 204). */
  body: Uint8Array | string | undefined;
}
