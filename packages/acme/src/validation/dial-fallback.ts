/**
 * Trying the checked addresses of a target in order: when connecting to
 * one fails (refused, unreachable, timed out before any byte came back),
 * the next is tried; any later failure — a TLS error, a wrong answer — is
 * final. Every attempt is recorded.
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { CertwrightErrorOptions } from '@certwright/core';

/**
 * A failure to establish a TCP connection to one address: the only kind of
 * failure after which the next address is tried.
 */
export class ConnectFailedError extends CertwrightError {
  constructor(detail: string, options?: CertwrightErrorOptions) {
    super('connection', detail, options);
    this.name = 'ConnectFailedError';
  }
}

/** One attempt on one address, for the validation record. */
export interface DialAttempt {
  readonly address: string;
  /** `connected` when the connection was made (whatever happened after), or the connect failure detail. */
  readonly outcome: 'connected' | string;
}

/**
 * Calls `attempt` on each address in turn until one does not fail with a
 * {@link ConnectFailedError}; returns its result with every attempt made.
 * When every address fails to connect, throws the last failure with all
 * attempted addresses named in its detail.
 */
export async function dialInOrder<T>(addresses: readonly string[], attempt: (address: string) => Promise<T>): Promise<{ result: T; attempts: DialAttempt[] }> {
  const attempts: DialAttempt[] = [];
  let last: ConnectFailedError | undefined;
  for (const address of addresses) {
    try {
      const result = await attempt(address);
      attempts.push({ address, outcome: 'connected' });
      return { result, attempts };
    } catch (err) {
      if (!(err instanceof ConnectFailedError)) {
        attempts.push({ address, outcome: 'connected' });
        throw err;
      }
      attempts.push({ address, outcome: err.detail });
      last = err;
    }
  }
  if (last === undefined) throw new CertwrightError('connection', 'No address to connect to');
  if (attempts.length === 1) throw last;
  throw new ConnectFailedError(`Could not connect to any address (${attempts.map((a) => `${a.address}: ${a.outcome}`).join('; ')})`);
}
