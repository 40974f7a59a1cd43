/**
 * The only source of time in certwright. Library code never reads the system
 * time directly; it asks the injected {@link Clock}, so tests can move time.
 */
export interface Clock {
  /** The current instant. */
  now(): Date;
}

/** A clock that reads the operating system's wall time. */
export function systemClock(): Clock {
  return { now: () => new Date() };
}

/**
 * A manually driven clock for tests and simulations. It starts at the given
 * instant and moves only when {@link FakeClock.advance} or
 * {@link FakeClock.set} is called.
 */
export class FakeClock implements Clock {
  #ms: number;

  /** @param start the initial instant (a `Date` or an ISO 8601 string). */
  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.#ms = new Date(start).getTime();
    if (Number.isNaN(this.#ms)) throw new RangeError(`FakeClock: invalid start instant ${String(start)}`);
  }

  /** @inheritdoc */
  now(): Date {
    return new Date(this.#ms);
  }

  /** Moves the clock forward (or backward, for a negative value) by `ms` milliseconds. */
  advance(ms: number): void {
    this.#ms += ms;
  }

  /** Sets the clock to an exact instant. */
  set(instant: Date | string): void {
    this.#ms = new Date(instant).getTime();
  }
}

/** Milliseconds in common units, for readable durations. */
export const SECOND = 1000;
/** One minute in milliseconds. */
export const MINUTE = 60 * SECOND;
/** One hour in milliseconds. */
export const HOUR = 60 * MINUTE;
/** One day in milliseconds. */
export const DAY = 24 * HOUR;

/** Returns `date` moved by `ms` milliseconds, as a new `Date`. */
export function addMs(date: Date, ms: number): Date {
  return new Date(date.getTime() + ms);
}
