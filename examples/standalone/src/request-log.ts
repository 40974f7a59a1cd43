/**
 * One structured log line and one metrics sample per HTTP request, as
 * Fastify hooks: method, path, status, duration, and on the ACME listener
 * the account and order when the request names them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '@certwright/core';
import type { CaMetrics } from './metrics.js';

/** The ACME resources, by the first path segment under the base URL. */
const ACME_ROUTES = new Set(['directory', 'new-nonce', 'new-account', 'new-order', 'new-authz', 'revoke-cert', 'key-change', 'renewal-info', 'acct', 'order', 'authz', 'chall', 'cert']);

/** The route label of an ACME path below `basePath` (`finalize` for `order/<id>/finalize`, `other` for anything unknown). */
export function acmeRoute(path: string, basePath: string): string {
  if (!path.startsWith(basePath)) return 'other';
  const segments = path.slice(basePath.length).split('/').filter((s) => s !== '');
  const first = segments[0] ?? '';
  if (!ACME_ROUTES.has(first)) return 'other';
  if (first === 'order' && segments[2] === 'finalize') return 'finalize';
  if (first === 'acct' && segments[2] === 'orders') return 'orders';
  return first;
}

/** The account id of a JWS request signed with a `kid` (RFC 8555 §6.2), if any. */
function accountFromJws(body: unknown): string | undefined {
  if (!(body instanceof Uint8Array) || body.length === 0) return undefined;
  try {
    const jws = JSON.parse(Buffer.from(body).toString('utf8')) as { protected?: unknown };
    if (typeof jws.protected !== 'string') return undefined;
    const header = JSON.parse(Buffer.from(jws.protected, 'base64url').toString('utf8')) as { kid?: unknown };
    if (typeof header.kid !== 'string') return undefined;
    const at = header.kid.lastIndexOf('/acct/');
    return at < 0 ? undefined : header.kid.slice(at + 6);
  } catch {
    return undefined;
  }
}

/** The account and order a request concerns, from the JWS `kid` and the path. */
function acmeSubjects(request: FastifyRequest, path: string, basePath: string): Record<string, string> {
  const out: Record<string, string> = {};
  const segments = path.startsWith(basePath) ? path.slice(basePath.length).split('/').filter((s) => s !== '') : [];
  const account = accountFromJws(request.body) ?? (segments[0] === 'acct' ? segments[1] : undefined);
  if (account !== undefined) out['account'] = account;
  if (segments[0] === 'order' && segments[1] !== undefined) out['order'] = segments[1];
  return out;
}

/** Options of {@link addRequestLog}. */
export interface RequestLogOptions {
  /** `acme` or `status`: the `listener` label and log field. */
  listener: 'acme' | 'status';
  logger: Logger;
  metrics: CaMetrics;
  /** The route label of a path. */
  route: (path: string) => string;
  /** The ACME base path, to find account and order ids (ACME listener only). */
  acmeBasePath?: string;
}

/** Adds the `onResponse` hook that logs `http.request` and counts `certwright_http_requests_total`. */
export function addRequestLog(app: FastifyInstance, options: RequestLogOptions): void {
  app.addHook('onResponse', async (request, reply) => {
    const path = (request.raw.url ?? request.url).split('?')[0] ?? '/';
    const route = options.route(path);
    const status = reply.statusCode;
    options.metrics.requests.inc({ listener: options.listener, route, status: String(status) });
    options.logger({
      level: status >= 500 ? 'error' : 'info',
      event: 'http.request',
      listener: options.listener,
      method: request.method,
      path,
      route,
      status,
      ms: Math.round(reply.elapsedTime * 1000) / 1000,
      ...(options.acmeBasePath === undefined ? {} : acmeSubjects(request, path, options.acmeBasePath)),
    });
  });
}
