/**
 * Recording an outcome that only this process knows (a validation's result,
 * an issued certificate's order) while the store is unavailable: the write
 * is tried again until the database answers, for about ten minutes, instead
 * of leaving a challenge or order `processing` for clients to poll.
 * @module
 */
import { setTimeout as wait } from 'node:timers/promises';
import { isCertwrightError } from '@certwright/core';
import type { EngineContext } from './context.js';

/**
 * Pauses between attempts while the store is unavailable, in ms: about ten
 * minutes in all; then the last error is thrown (and what the write was
 * for is left as a crash would leave it).
 */
export const RECORD_RETRY_DELAYS_MS: readonly number[] = [500, 1000, 2000, 4000, 8000, 15_000, ...Array<number>(38).fill(15_000)];

/**
 * Runs `write` until it succeeds. While it fails with `unavailable` (the
 * store cannot reach its database), it is tried again after each of
 * {@link RECORD_RETRY_DELAYS_MS}, the first failure logged as `event` with
 * `fields`; any other error, or `close()` of the engine, ends the waiting
 * with the error. `write` must be safe to run again after a partial
 * failure (compare-and-set steps, or steps it remembers having done).
 */
export async function untilRecorded(ctx: EngineContext, event: string, fields: Record<string, unknown>, write: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      const delay = RECORD_RETRY_DELAYS_MS[attempt];
      if (!isCertwrightError(err, 'unavailable') || delay === undefined || ctx.shutdown.aborted) throw err;
      if (attempt === 0) ctx.logger({ level: 'warn', event, ...fields, error: err.cause instanceof Error ? err.cause.message : err.detail });
      await wait(delay, undefined, { signal: ctx.shutdown }).catch(() => undefined);
    }
  }
}
