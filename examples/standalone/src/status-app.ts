/**
 * The status listener (plain HTTP): OCSP (RFC 6960, RFC 5019) under
 * `/ocsp/`, CRLs (RFC 5280 §5) under `/crl/`, Prometheus metrics at
 * `/metrics`, liveness at `/healthz` and readiness at `/readyz`.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { CertwrightError, createVerifier, type Clock, type Logger } from '@certwright/core';
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

/** How long `/readyz` waits for the database's `select 1` (probes often give up after 1–2 s). */
export const READINESS_STORE_TIMEOUT_MS = 2000;

/** `ok`, or `failed: …` naming the driver's error (or the timeout) when the database does not answer. */
async function checkStore(store: SqlStore): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`failed: the database did not answer within ${READINESS_STORE_TIMEOUT_MS} ms`), READINESS_STORE_TIMEOUT_MS);
  });
  const probe = sql`select 1`.execute(store.db).then(
    () => 'ok',
    (err: unknown) => {
      // A 503 from the store says "retry later"; the operator needs the driver's reason.
      const cause = err instanceof CertwrightError && err.code === 'unavailable' && err.cause instanceof Error ? err.cause : err;
      return `failed: ${cause instanceof Error ? cause.message : String(cause)}`;
    },
  );
  try {
    return await Promise.race([probe, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Readiness: the store answers `select 1` within {@link READINESS_STORE_TIMEOUT_MS}, and every active issuing key
 * signs a probe message that verifies with its certificate's key.
 */
export async function checkReadiness(store: SqlStore, issuers: readonly Issuer[], clock: Clock): Promise<ReadinessReport> {
  const checks = { store: 'ok', issuingKey: 'ok' };
  checks.store = await checkStore(store);
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
