/**
 * The status listener (plain HTTP): OCSP (RFC 6960, RFC 5019) under
 * `/ocsp/`, CRLs (RFC 5280 §5) under `/crl/`, Prometheus metrics at
 * `/metrics`, liveness at `/healthz` and readiness at `/readyz`.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { createVerifier, type Clock, type Logger } from '@certwright/core';
import type { SqlStore } from '@certwright/core/sql';
import type { Issuer } from '@certwright/core';
import type { OcspResponder } from '@certwright/ocsp';
import type { CaMetrics } from './metrics.js';
import { addRequestLog } from './request-log.js';

/** What the status listener serves. */
export interface StatusAppOptions {
  ocsp: OcspResponder;
  store: SqlStore;
  /** The active issuing CAs, whose keys `/readyz` probes. */
  issuers: readonly Issuer[];
  metrics: CaMetrics;
  logger: Logger;
  clock: Clock;
}

/** One readiness check's outcome. */
export interface ReadinessReport {
  ready: boolean;
  checks: { store: string; issuingKey: string };
}

/**
 * Readiness: the store answers `select 1`, and every active issuing key
 * signs a probe message that verifies with its certificate's key.
 */
export async function checkReadiness(store: SqlStore, issuers: readonly Issuer[], clock: Clock): Promise<ReadinessReport> {
  const checks = { store: 'ok', issuingKey: 'ok' };
  try {
    await sql`select 1`.execute(store.db);
  } catch (err) {
    checks.store = `failed: ${(err as Error).message}`;
  }
  for (const issuer of issuers) {
    try {
      const probe = new TextEncoder().encode(`certwright readiness ${clock.now().toISOString()}`);
      const signature = await issuer.signer.sign(probe);
      if (!(await createVerifier(issuer.spki).verify(issuer.signer.algorithm, probe, signature))) checks.issuingKey = `failed: the signature of ${issuer.id} does not verify with its certificate`;
    } catch (err) {
      checks.issuingKey = `failed: ${issuer.id}: ${(err as Error).message}`;
    }
  }
  return { ready: checks.store === 'ok' && checks.issuingKey === 'ok', checks };
}

function statusRoute(path: string): string {
  if (path.startsWith('/ocsp/')) return 'ocsp';
  if (path.startsWith('/crl/')) return 'crl';
  return ['/metrics', '/healthz', '/readyz'].includes(path) ? path.slice(1) : 'other';
}

/** Builds the status app (not listening yet). */
export function createStatusApp(options: StatusAppOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 4096 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => done(null, body));
  addRequestLog(app, { listener: 'status', logger: options.logger, metrics: options.metrics, route: statusRoute });

  const toResponder = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const body = request.body instanceof Uint8Array && request.body.length > 0 ? new Uint8Array(request.body) : undefined;
    const remoteAddress = request.raw.socket.remoteAddress;
    const response = await options.ocsp.handle({
      method: request.method,
      url: request.raw.url ?? request.url,
      headers: request.headers,
      body,
      ...(remoteAddress === undefined ? {} : { remoteAddress }),
    });
    reply.code(response.status).headers(response.headers);
    return reply.send(typeof response.body === 'string' || response.body === undefined ? response.body : Buffer.from(response.body));
  };
  app.route({ method: ['GET', 'POST'], url: '/ocsp/*', handler: toResponder });
  app.route({ method: 'POST', url: '/ocsp/', handler: toResponder });
  app.get('/crl/*', toResponder);

  app.get('/healthz', async (_request, reply) => reply.type('text/plain; charset=utf-8').send('ok\n'));
  app.get('/readyz', async (_request, reply) => {
    const report = await checkReadiness(options.store, options.issuers, options.clock);
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  app.get('/metrics', async (_request, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(options.metrics.render()));
  return app;
}
