import type { Clock, Logger, PurgeResult, RateLimitStore, RetentionStore } from '@certwright/core';

/** Options for {@link runRetentionPass} and {@link scheduleRetention}. */
export interface RetentionOptions {
  store: RetentionStore & Pick<RateLimitStore, 'purgeFullBuckets'>;
  clock: Clock;
  logger: Logger;
  /** Keep expired rows this long after they expired (for audit and debugging). */
  graceMs: number;
  /** Rows of each kind deleted per store call. */
  batchSize: number;
  /** Store calls per pass at most, so one pass never runs unbounded. */
  maxBatchesPerPass: number;
}

/** What one pass removed. */
export interface RetentionReport extends PurgeResult {
  rateLimitBuckets: number;
}

/**
 * One retention pass: expired nonces, orders and authorizations (RFC 8555
 * resources past their `expires` plus the grace period; valid orders with a
 * certificate are kept by the store) and full rate-limit buckets, deleted in
 * bounded batches until a batch comes back short or the pass's budget is
 * spent — the rest waits for the next pass.
 */
export async function runRetentionPass(options: RetentionOptions): Promise<RetentionReport> {
  const { store, clock, graceMs, batchSize, maxBatchesPerPass } = options;
  const before = new Date(clock.now().getTime() - graceMs);
  const total: RetentionReport = { nonces: 0, orders: 0, authorizations: 0, rateLimitBuckets: 0 };
  for (let i = 0; i < maxBatchesPerPass; i++) {
    const r = await store.purgeExpired(before, batchSize);
    total.nonces += r.nonces;
    total.orders += r.orders;
    total.authorizations += r.authorizations;
    if (r.nonces < batchSize && r.orders < batchSize && r.authorizations < batchSize) break;
  }
  for (let i = 0; i < maxBatchesPerPass; i++) {
    const n = await store.purgeFullBuckets(before.getTime(), batchSize);
    total.rateLimitBuckets += n;
    if (n < batchSize) break;
  }
  return total;
}

/**
 * Runs {@link runRetentionPass} every `intervalMs` (never two at once; a
 * failed pass is logged and retried at the next tick). Returns a function
 * that stops it.
 */
export function scheduleRetention(options: RetentionOptions & { intervalMs: number }): () => void {
  let running = false;
  const tick = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const report = await runRetentionPass(options);
      if (report.nonces + report.orders + report.authorizations + report.rateLimitBuckets > 0) {
        options.logger({ level: 'info', event: 'retention.purged', ...report });
      }
    } catch (err) {
      options.logger({ level: 'error', event: 'retention.failed', error: err instanceof Error ? err.message : String(err) });
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
