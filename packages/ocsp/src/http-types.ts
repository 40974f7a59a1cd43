/**
 * The request and response shapes of the OCSP/CRL handler: structurally
 * the same as the ACME engine's, so the same node, Express and Fastify
 * adapters drive either.
 */

/** Header map as adapters deliver it: lower- or mixed-case names, repeated headers as arrays. */
export type OcspHeaders = Record<string, string | string[] | undefined>;

/** One HTTP request. */
export interface OcspHttpRequest {
  /** HTTP method (case-insensitive). */
  method: string;
  /** The request URL: absolute (`http://ocsp.example/MEMw…`) or just the path and query. */
  url: string;
  headers: OcspHeaders;
  /** Raw body, `undefined` when there is none. */
  body: Uint8Array | undefined;
  remoteAddress?: string;
}

/** One HTTP response; adapters write it verbatim. */
export interface OcspHttpResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Uint8Array | string | undefined;
}

/** The case-insensitive value of header `name` (the first, if repeated). */
export function headerValue(headers: OcspHeaders, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== lower || v === undefined) continue;
    return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}
