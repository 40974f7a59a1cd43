/**
 * A time limit on a whole validation (every lookup, connection and
 * redirect together), measured by a timer rather than by reading the clock.
 * @module
 */
import { CertwrightError } from '@certwright/core';

/**
 * Resolves or rejects like `work`, unless `ms` milliseconds pass first, in
 * which case it rejects with a `connection` error naming `what`. The timer
 * is cleared either way.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CertwrightError('connection', `${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
