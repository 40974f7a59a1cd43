/**
 * The submission policy: obtain SCTs for a precertificate from enough logs,
 * fast, and never accept one that does not verify. Implements core's
 * `SctCollector` (the issuance pipeline calls `collect` after storing the
 * precertificate).
 *
 * - Logs are tried in the configured order, started `staggerMs` apart; when
 *   a log fails, the next waiting log starts at once.
 * - Each request has its own timeout; retryable failures (network, timeout,
 *   HTTP 429/5xx) are retried after an exponential back-off.
 * - Every SCT is verified against the log's key over the precertificate
 *   entry (RFC 6962 §3.2, §5.2); a bad SCT is refused and counts as a failure.
 * - Collection stops as soon as `required` SCTs are in hand — from distinct
 *   operators when `distinctOperators` — and outstanding requests are
 *   aborted. When the policy can no longer be met, or `totalTimeoutMs`
 *   passes, it fails with `serverInternal` naming each log's reason.
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CertwrightError, decodeTbs, silentLogger, splitSigned } from '@certwright/core';
import type { Clock, Issuer, Logger, SctCollector } from '@certwright/core';
import { createCtLogClient, CtLogError } from './client.js';
import type { CtLogClient } from './client.js';
import { defineCtLogs, logAcceptsNotAfter } from './log-list.js';
import type { CtLog, CtLogConfig } from './log-list.js';
import { encodeSctList } from './sct.js';
import type { SignedCertificateTimestamp } from './sct.js';
import { precertEntry, x509Entry } from './signed-data.js';
import type { CtLogEntry } from './signed-data.js';
import { verifySct } from './verify-sct.js';

/** Options of {@link createSctCollector}. */
export interface SctCollectorOptions {
  /** The logs, in order of preference. */
  readonly logs: readonly (CtLogConfig | CtLog)[];
  /** How many SCTs the final certificate must carry (at least 1). */
  readonly required: number;
  /** Count at most one SCT per operator (default true). */
  readonly distinctOperators?: boolean;
  /** Delay between starting submissions to successive logs, ms (default 250). */
  readonly staggerMs?: number;
  /** Timeout of one request to one log, ms (default 10 000). */
  readonly perLogTimeoutMs?: number;
  /** Retries of a retryable failure per log (default 2). */
  readonly retries?: number;
  /** Back-off before the first retry, doubled each time, ms (default 500). */
  readonly backoffMs?: number;
  /** Upper bound of one `collect` (and one `submitFinal`), ms (default 30 000). */
  readonly totalTimeoutMs?: number;
  /** Tolerated clock difference for SCT timestamps, ms (default 60 000). */
  readonly maxFutureSkewMs?: number;
  /** Time source for SCT timestamp checks. */
  readonly clock: Clock;
  readonly logger?: Logger;
  /** HTTP transport (default: the global `fetch`). */
  readonly fetch?: typeof fetch;
}

/** The outcome of submitting a final certificate to one log. */
export type FinalSubmission =
  | { readonly log: string; readonly operator: string; readonly ok: true; readonly sct: SignedCertificateTimestamp }
  | { readonly log: string; readonly operator: string; readonly ok: false; readonly reason: string };

/** An {@link SctCollector} with its logs and best-effort final-certificate submission. */
export interface CtSubmitter extends SctCollector {
  /** The validated logs. */
  readonly logs: readonly CtLog[];
  /** Returns the TLS-encoded SCT list for the precertificate, or throws `serverInternal`. */
  collect(precertificateDer: Uint8Array, issuer: Pick<Issuer, 'spki' | 'chain'>): Promise<Uint8Array>;
  /**
   * Submits the final certificate (`add-chain`, RFC 6962 §4.1) to every log
   * that accepts its expiry, in parallel. Best effort: it never throws; the
   * result says, per log, whether a verified SCT came back.
   */
  submitFinal(certificateDer: Uint8Array, issuer: Pick<Issuer, 'chain'>): Promise<FinalSubmission[]>;
}

type Outcome = { ok: true; sct: SignedCertificateTimestamp } | { ok: false; reason: string; aborted: boolean };

/**
 * Resolves after `ms`, or earlier when released: through `queue` (whose
 * first entry a failed submission calls, handing its turn on) or when
 * `signal` aborts. Entries are queued in call order.
 */
function staggerGate(ms: number, queue: (() => void)[], signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(release, ms);
    function release(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', release);
      const at = queue.indexOf(release);
      if (at >= 0) queue.splice(at, 1);
      resolve();
    }
    queue.push(release);
    signal.addEventListener('abort', release);
  });
}

function nonNegative(name: string, value: number | undefined, fallback: number, integer = false): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
    throw new CertwrightError('serverInternal', `createSctCollector: ${name} must be a non-negative ${integer ? 'integer' : 'number'}, got ${String(value)}`);
  }
  return v;
}

/**
 * Creates the SCT collector. The configuration is checked here: each log
 * (see `defineCtLogs`), `required` at least 1 and no more than the logs (or
 * distinct operators) can supply, timings non-negative. Errors are
 * `serverInternal` naming the rule.
 */
export function createSctCollector(options: SctCollectorOptions): CtSubmitter {
  const logs = defineCtLogs(options.logs);
  const distinct = options.distinctOperators ?? true;
  const staggerMs = nonNegative('staggerMs', options.staggerMs, 250);
  const perLogTimeoutMs = nonNegative('perLogTimeoutMs', options.perLogTimeoutMs, 10_000);
  const retries = nonNegative('retries', options.retries, 2, true);
  const backoffMs = nonNegative('backoffMs', options.backoffMs, 500);
  const totalTimeoutMs = nonNegative('totalTimeoutMs', options.totalTimeoutMs, 30_000);
  const maxFutureSkewMs = nonNegative('maxFutureSkewMs', options.maxFutureSkewMs, 60_000);
  const { clock } = options;
  const logger = options.logger ?? silentLogger;
  const required = options.required;
  if (!Number.isInteger(required) || required < 1) throw new CertwrightError('serverInternal', `createSctCollector: required must be an integer of at least 1, got ${String(required)}`);
  const keyOf = (log: CtLog): string => (distinct ? log.operator : log.name);
  const available = new Set(logs.map(keyOf)).size;
  if (required > available) {
    throw new CertwrightError('serverInternal', `createSctCollector: required is ${required} but the logs offer only ${available} distinct ${distinct ? 'operators' : 'logs'}`);
  }
  const clients = new Map<CtLog, CtLogClient>(logs.map((l) => [l, createCtLogClient({ url: l.url, ...(options.fetch ? { fetch: options.fetch } : {}) })]));

  async function submit(
    log: CtLog,
    kind: 'precert' | 'final',
    chain: readonly Uint8Array[],
    entry: CtLogEntry,
    signal: AbortSignal,
    onFailure: (reason: string) => void = () => undefined,
  ): Promise<Outcome> {
    const client = clients.get(log)!;
    let reason = 'not attempted';
    let attempts = 0;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) {
        try {
          await sleep(backoffMs * 2 ** (attempt - 1), undefined, { signal });
        } catch {
          return { ok: false, reason: `${reason} (${attempts} attempt${attempts === 1 ? '' : 's'}, then stopped)`, aborted: true };
        }
      }
      if (signal.aborted) return { ok: false, reason, aborted: true };
      attempts++;
      try {
        const request = { signal, timeoutMs: perLogTimeoutMs };
        const { sct } = kind === 'precert' ? await client.addPreChain(chain, request) : await client.addChain(chain, request);
        const check = verifySct(sct, log.key, entry, { now: clock.now(), maxFutureSkewMs });
        if (!check.ok) {
          logger({ level: 'warn', event: 'ct.sct_rejected', log: log.name, operator: log.operator, kind, reason: check.reason });
          return { ok: false, reason: `SCT rejected: ${check.reason}`, aborted: false };
        }
        return { ok: true, sct };
      } catch (err) {
        if (!(err instanceof CtLogError)) throw err;
        if (err.kind === 'aborted') return { ok: false, reason, aborted: true };
        reason = err.message;
        onFailure(reason);
        logger({ level: 'warn', event: 'ct.submission_failed', log: log.name, operator: log.operator, kind, attempt: attempts, reason });
        if (!err.retryable) break;
      }
    }
    return { ok: false, reason: `${reason} (${attempts} attempt${attempts === 1 ? '' : 's'})`, aborted: false };
  }

  function notAfterOf(certificateDer: Uint8Array): Date {
    return decodeTbs(splitSigned(certificateDer).tbs).notAfter;
  }

  async function collect(precertificateDer: Uint8Array, issuer: Pick<Issuer, 'spki' | 'chain'>): Promise<Uint8Array> {
    const started = performance.now();
    const entry = precertEntry(precertificateDer, issuer.spki);
    const notAfter = notAfterOf(precertificateDer);
    const chain = [precertificateDer, ...issuer.chain];
    const reasons: string[] = [];
    const label = (log: CtLog): string => `log "${log.name}" (${log.operator})`;
    const candidates = logs.filter((log) => {
      if (logAcceptsNotAfter(log, notAfter)) return true;
      reasons.push(`${label(log)}: does not accept certificates expiring at ${notAfter.toISOString()}`);
      return false;
    });
    const controller = new AbortController();
    const accepted: SignedCertificateTimestamp[] = [];
    const covered = new Set<string>();
    const pending = new Set<CtLog>(candidates);
    const waiting: (() => void)[] = [];
    const lastFailure = new Map<CtLog, string>();
    let timedOut = false;

    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const possible = (): number => covered.size + new Set([...pending].map(keyOf).filter((k) => !covered.has(k))).size;
      const finish = (): void => {
        if (settled) return;
        if (covered.size >= required) {
          settled = true;
          clearTimeout(timer);
          controller.abort();
          logger({ level: 'info', event: 'ct.scts_collected', scts: accepted.length, ms: Math.round(performance.now() - started) });
          resolve(encodeSctList(accepted));
          return;
        }
        if (!timedOut && possible() >= required) return;
        settled = true;
        clearTimeout(timer);
        controller.abort();
        for (const log of pending) {
          const last = lastFailure.get(log);
          const why = timedOut ? `no SCT within the total time of ${totalTimeoutMs} ms` : 'abandoned, the policy could no longer be met';
          reasons.push(`${label(log)}: ${why}${last === undefined ? '' : ` (last failure: ${last})`}`);
        }
        const need = `${required} from distinct ${distinct ? 'operators' : 'logs'} needed, ${covered.size} obtained`;
        const detail = `unable to obtain the required SCTs: ${need}${timedOut ? ` within ${totalTimeoutMs} ms` : ''}; ${reasons.join('; ')}`;
        logger({ level: 'error', event: 'ct.policy_failed', detail, ms: Math.round(performance.now() - started) });
        reject(new CertwrightError('serverInternal', detail));
      };
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
        finish();
      }, totalTimeoutMs);
      const startNextEarly = (): void => waiting.shift()?.();

      const run = async (log: CtLog, index: number): Promise<void> => {
        if (index > 0 && staggerMs > 0) await staggerGate(index * staggerMs, waiting, controller.signal);
        if (controller.signal.aborted || covered.has(keyOf(log))) {
          pending.delete(log);
          finish();
          startNextEarly();
          return;
        }
        const outcome = await submit(log, 'precert', chain, entry, controller.signal, (reason) => lastFailure.set(log, reason));
        pending.delete(log);
        if (outcome.ok) {
          if (!covered.has(keyOf(log))) {
            covered.add(keyOf(log));
            accepted.push(outcome.sct);
          }
        } else {
          if (!outcome.aborted || !settled) reasons.push(`${label(log)}: ${outcome.reason}`);
          startNextEarly();
        }
        finish();
      };
      candidates.forEach((log, i) => {
        run(log, i).catch((err: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          controller.abort();
          reject(err instanceof Error ? err : new Error(String(err)));
        });
      });
      finish();
    });
  }

  async function submitFinal(certificateDer: Uint8Array, issuer: Pick<Issuer, 'chain'>): Promise<FinalSubmission[]> {
    let entry: CtLogEntry;
    let notAfter: Date;
    try {
      entry = x509Entry(certificateDer);
      notAfter = notAfterOf(certificateDer);
    } catch (err) {
      return logs.map((log) => ({ log: log.name, operator: log.operator, ok: false, reason: `the certificate cannot be read: ${(err as Error).message}` }));
    }
    const chain = [certificateDer, ...issuer.chain];
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), totalTimeoutMs);
    try {
      return await Promise.all(
        logs.map(async (log): Promise<FinalSubmission> => {
          if (!logAcceptsNotAfter(log, notAfter)) {
            return { log: log.name, operator: log.operator, ok: false, reason: `does not accept certificates expiring at ${notAfter.toISOString()}` };
          }
          try {
            const outcome = await submit(log, 'final', chain, entry, controller.signal);
            return outcome.ok ? { log: log.name, operator: log.operator, ok: true, sct: outcome.sct } : { log: log.name, operator: log.operator, ok: false, reason: outcome.reason };
          } catch (err) {
            return { log: log.name, operator: log.operator, ok: false, reason: (err as Error).message };
          }
        }),
      );
    } finally {
      clearTimeout(timer);
    }
  }

  return { logs, collect, submitFinal };
}
