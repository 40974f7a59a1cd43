/**
 * Keep-alive HTTPS for the load generator: one agent per target, trusting
 * only that target's root, and a request function that buffers the body.
 */
import { Agent, request } from 'node:https';

/** A buffered HTTP response. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A keep-alive agent that trusts `caPem` (the target's root or its self-signed TLS certificate). */
export function keepAliveAgent(caPem: string, maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, ca: caPem });
}

/** A request without a complete response after this long fails (a stuck server must not stall a cell). */
export const REQUEST_TIMEOUT_MS = 5_000;

/** The start of the message of a request that timed out. */
export const NO_RESPONSE = 'no response within';

/** One request; resolves with the whole response whatever its status. */
export function httpsRequest(agent: Agent, url: string, method: 'GET' | 'HEAD' | 'POST', body?: string): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = body === undefined ? {} : { 'content-type': 'application/jose+json', 'content-length': Buffer.byteLength(body) };
    const req = request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${NO_RESPONSE} ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}
