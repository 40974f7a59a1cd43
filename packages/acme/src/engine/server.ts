/**
 * The framework-agnostic ACME server (RFC 8555): `handle()` takes an
 * {@link AcmeRequest} and returns an {@link AcmeResponse}. Every response
 * carries a fresh `Replay-Nonce` and `Link: <directory>;rel="index"`;
 * errors are problem documents (RFC 7807) built by `toProblem`.
 * @module
 */
import { setMaxListeners } from 'node:events';
import { CertwrightError } from '@certwright/core';
import { createJwsVerifier } from '../jws/index.js';
import { createBackgroundTasks } from './background.js';
import type { EngineContext } from './context.js';
import type { AcmeRequest, AcmeResponse } from './http-types.js';
import { createNonceService } from './nonce-service.js';
import type { AcmeServerOptions } from './options.js';
import { addLink, link, problemResponse, toAcmeResponse } from './responses.js';
import type { ResponseParts } from './responses.js';
import { allowedMethods, dispatch } from './router.js';
import { createAcmeUrls, parseRoute } from './urls.js';
import { DEFAULT_VALIDATION_RECOVERY_LIMIT, VALIDATION_RECORDING_ALLOWANCE_MS, recoverValidations } from './validation-recovery.js';
import type { OrderRecoveryRun } from './recovery.js';
import { recoverInterrupted } from './recovery-run.js';
import type { RecoveryReport } from './recovery-run.js';

/** A running ACME engine. */
export interface AcmeServer {
  /** Answers one request; never throws. */
  handle(req: AcmeRequest): Promise<AcmeResponse>;
  /** Resolves when every background validation and issuance started so far has finished (tests, shutdown). */
  drain(): Promise<void>;
  /** Refuses new requests (503-class `serverInternal`), stops periodic recovery and waits for background work. */
  close(): Promise<void>;
  /**
   * Completes or invalidates one batch of orders left `processing` by a
   * crash, and validates again (in the background) one batch of challenges
   * left `processing` for longer than `recovery.validationProcessingTimeoutMs`
   * (see `AcmeRecoveryOptions`); safe on a database several nodes share.
   * Call at start-up, and again while a report's lists fill a batch.
   * `run.updatedBefore` replaces the processing timeout of orders for this
   * call (see {@link OrderRecoveryRun}).
   */
  recover(run?: OrderRecoveryRun): Promise<RecoveryReport>;
  /**
   * Validates again, in the background, up to `limit` (default 1000)
   * challenges a crash left `processing` (RFC 8555 §7.5.1), failing those
   * whose authorization is no longer pending; resolves with the ids of the
   * validations started. Only for a host that knows no other process is
   * validating from its store — at start-up, before taking requests, on a
   * database it owns alone — since a challenge being validated elsewhere
   * is `processing` as well.
   */
  recoverValidations(options?: { limit?: number }): Promise<string[]>;
  /**
   * Runs {@link AcmeServer.recover} every `intervalMs` until `close()` (or
   * the returned stop function). Runs never overlap; a failed run is logged.
   * Throws `RangeError` for a non-positive interval or when already started.
   */
  startRecovery(options: { intervalMs: number }): () => void;
}

/** Default {@link AcmeServerOptions.ordersPageSize}. */
export const DEFAULT_ORDERS_PAGE_SIZE = 50;
/** Default {@link AcmeServerOptions.validationTimeoutMs}. */
export const DEFAULT_VALIDATION_TIMEOUT_MS = 60_000;

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return value;
}

function checkRecoveryOptions(options: AcmeServerOptions): void {
  const recovery = options.recovery;
  if (recovery === undefined) return;
  if (recovery.processingTimeoutMs !== undefined) positive('recovery.processingTimeoutMs', recovery.processingTimeoutMs);
  const validation = recovery.validationProcessingTimeoutMs;
  if (validation !== undefined && !(positive('recovery.validationProcessingTimeoutMs', validation) > (options.validationTimeoutMs ?? DEFAULT_VALIDATION_TIMEOUT_MS))) {
    throw new RangeError(`recovery.validationProcessingTimeoutMs must exceed validationTimeoutMs, got ${validation}`);
  }
  for (const key of ['batchSize', 'certificateScanLimit'] as const) {
    const value = recovery[key];
    if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) throw new RangeError(`recovery.${key} must be a positive integer, got ${value}`);
  }
}

function buildContext(options: AcmeServerOptions, shutdown: AbortSignal): EngineContext {
  checkRecoveryOptions(options);
  const urls = createAcmeUrls(options.baseUrl);
  const lifetimes = options.lifetimes;
  for (const key of ['order', 'authorization', 'pendingAuthorization', 'nonce'] as const) positive(`lifetimes.${key}`, lifetimes[key]);
  const profiles = new Map((options.profiles ?? []).map((p) => [p.name, p]));
  if (options.defaultProfile !== undefined && !profiles.has(options.defaultProfile)) throw new RangeError(`defaultProfile "${options.defaultProfile}" is not among the offered profiles`);
  const nonces = createNonceService(options.nonceStore ?? options.store, options.clock, options.random, lifetimes.nonce);
  const store = options.store;
  const verifier = createJwsVerifier({
    accountUrlPrefix: urls.accountPrefix,
    lookupAccount: (id) => store.getAccount(id),
    redeemNonce: (nonce) => nonces.redeem(nonce),
    ...(options.allowedAlgorithms === undefined ? {} : { allowedAlgorithms: options.allowedAlgorithms }),
    ...(options.allowEdDsa === undefined ? {} : { allowEdDsa: options.allowEdDsa }),
  });
  return {
    options,
    store,
    urls,
    clock: options.clock,
    logger: options.logger,
    random: options.random,
    verifier,
    nonces,
    background: createBackgroundTasks(options.logger),
    issuance: options.issuance,
    identifierPolicy: options.identifierPolicy,
    validators: options.validators,
    lifetimes,
    profiles,
    defaultProfile: options.defaultProfile,
    ordersPageSize: positive('ordersPageSize', options.ordersPageSize ?? DEFAULT_ORDERS_PAGE_SIZE),
    validationTimeoutMs: positive('validationTimeoutMs', options.validationTimeoutMs ?? DEFAULT_VALIDATION_TIMEOUT_MS),
    validationProcessingTimeoutMs:
      options.recovery?.validationProcessingTimeoutMs ?? (options.validationTimeoutMs ?? DEFAULT_VALIDATION_TIMEOUT_MS) + VALIDATION_RECORDING_ALLOWANCE_MS,
    finalizeWaitMs: nonNegative('finalizeWaitMs', options.finalizeWaitMs ?? 0),
    challengeWaitMs: nonNegative('challengeWaitMs', options.challengeWaitMs ?? 0),
    retryAfterSeconds: positive('retryAfterSeconds', options.retryAfterSeconds ?? 3),
    renewalInfoRetryAfterSeconds: positive('renewalInfoRetryAfterSeconds', options.renewalInfoRetryAfterSeconds ?? 21_600),
    lookupMacKey: options.lookupMacKey ?? (async (keyId) => (await store.getEabKey(keyId))?.hmacKey),
    rateLimiter: options.rateLimiter,
    issuing: new Set(),
    shutdown,
  };
}

async function route(ctx: EngineContext, req: AcmeRequest, method: string, log: Record<string, unknown>): Promise<ResponseParts> {
  const target = parseRoute(ctx.urls, req.url);
  if (target === undefined) throw new CertwrightError('notFound', 'No ACME resource at this URL');
  log['resource'] = target.kind;
  const allowed = allowedMethods(target);
  if (!allowed.includes(method)) throw new CertwrightError('methodNotAllowed', `${method} is not allowed here; use ${allowed.join(' or ')}`, { headers: { Allow: allowed.join(', ') } });
  return dispatch(ctx, target, req, method, log);
}

/**
 * Creates the ACME server from explicitly wired dependencies. Throws
 * `RangeError` on an invalid configuration.
 */
export function createAcmeServer(options: AcmeServerOptions): AcmeServer {
  const shutdown = new AbortController();
  // Every background task waiting for the store listens to it: no leak warning past ten.
  setMaxListeners(0, shutdown.signal);
  const ctx = buildContext(options, shutdown.signal);
  let closed = false;
  let stopRecovery: (() => void) | undefined;

  async function finish(parts: ResponseParts, method: string, resource: unknown): Promise<AcmeResponse> {
    try {
      parts.headers['Replay-Nonce'] = await ctx.nonces.issue();
    } catch (err) {
      ctx.logger({ level: 'error', event: 'acme.nonce.issueFailed', error: err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err) });
      // newNonce exists to hand out a nonce (RFC 8555 §7.2): without one, its 200/204 would be a lie; answer the failure
      // (503 with Retry-After while the database is down). Other responses go out without a nonce.
      if (resource === 'newNonce' && parts.status < 400) parts = problemResponse(err);
    }
    parts.headers['Cache-Control'] ??= 'no-store';
    addLink(parts, link(ctx.urls.directory, 'index'));
    if (method === 'HEAD') parts.body = undefined;
    return toAcmeResponse(parts);
  }

  return {
    async handle(req) {
      const method = req.method.toUpperCase();
      const log: Record<string, unknown> = { method };
      let parts: ResponseParts;
      try {
        if (closed) throw new CertwrightError('serverInternal', 'The server is shutting down');
        parts = await route(ctx, req, method, log);
      } catch (err) {
        parts = problemResponse(err);
        if (!(err instanceof CertwrightError)) ctx.logger({ level: 'error', event: 'acme.request.internalError', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
        // A dependency that is down (503, e.g. the database): the client sees "retry later", the log says why.
        else if (err.code === 'unavailable') ctx.logger({ level: 'error', event: 'acme.request.unavailable', error: err.cause instanceof Error ? err.cause.message : String(err.cause ?? err.detail) });
        log['problem'] = JSON.parse(parts.body as string).type;
      }
      const response = await finish(parts, method, log['resource']);
      // Logged once the response is final: a newNonce without a nonce to give turns into a 503 in finish().
      ctx.logger({ level: response.status >= 500 ? 'error' : 'info', event: 'acme.request', ...log, status: response.status });
      return response;
    },
    drain: () => ctx.background.drain(),
    async close() {
      closed = true;
      shutdown.abort();
      stopRecovery?.();
      await ctx.background.drain();
    },
    recover: (run) => recoverInterrupted(ctx, run),
    recoverValidations: (options) => recoverValidations(ctx, options?.limit ?? DEFAULT_VALIDATION_RECOVERY_LIMIT),
    startRecovery({ intervalMs }) {
      positive('intervalMs', intervalMs);
      if (stopRecovery !== undefined) throw new RangeError('Periodic recovery is already running');
      let running = false;
      const timer = setInterval(() => {
        if (running || closed) return;
        running = true;
        ctx.background.run('recover orders and validations', async () => {
          try {
            const report = await recoverInterrupted(ctx);
            const { restarted, failed } = report.validations;
            if (report.completed.length + report.invalidated.length + restarted.length + failed.length > 0) {
              ctx.logger({
                level: 'info',
                event: 'acme.recovery.run',
                completed: report.completed.length,
                invalidated: report.invalidated.length,
                revalidated: restarted.length,
                validationsFailed: failed.length,
              });
            }
          } finally {
            running = false;
          }
        });
      }, intervalMs);
      timer.unref();
      const stop = (): void => {
        clearInterval(timer);
        if (stopRecovery === stop) stopRecovery = undefined;
      };
      stopRecovery = stop;
      return stop;
    },
  };
}
