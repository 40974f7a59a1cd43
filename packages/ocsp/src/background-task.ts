/**
 * A periodic background job with an explicit lifecycle: nothing runs until
 * {@link BackgroundTask.start}, {@link BackgroundTask.stop} waits for the
 * pass in flight, and passes never overlap. Scheduling uses timers (which
 * can be injected); what a pass does with time comes from the caller's Clock.
 */
import type { Logger } from '@certwright/core';

/** Timer functions, injectable for tests. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node's timers, unref'd so a background task never keeps the process alive. */
export const nodeTimers: Timers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** Options for {@link createBackgroundTask}. */
export interface BackgroundTaskOptions {
  /** Names the task in log events. */
  name: string;
  /** Pause between the end of one pass and the start of the next, in milliseconds. */
  intervalMs: number;
  /** One pass. A failure is logged and the next pass runs on schedule. */
  run: () => Promise<unknown>;
  logger?: Logger;
  timers?: Timers;
}

/** A periodic job. */
export interface BackgroundTask {
  /** Runs a first pass now and then every interval; calling it twice has no effect. */
  start(): void;
  /** Cancels the schedule and waits for a pass in flight. */
  stop(): Promise<void>;
  /** Runs one pass now (waiting for one in flight first); rejects if the pass fails. */
  runOnce(): Promise<void>;
  /** Whether the schedule is active. */
  readonly running: boolean;
}

/** Creates a {@link BackgroundTask}. */
export function createBackgroundTask(options: BackgroundTaskOptions): BackgroundTask {
  if (!Number.isFinite(options.intervalMs) || options.intervalMs <= 0) throw new RangeError(`${options.name}: intervalMs must be positive`);
  const timers = options.timers ?? nodeTimers;
  let running = false;
  let handle: unknown;
  let inFlight: Promise<void> = Promise.resolve();

  const pass = (): Promise<void> => {
    const next = inFlight.then(async () => {
      await options.run();
    });
    inFlight = next.catch(() => undefined);
    return next;
  };

  const tick = (): void => {
    handle = undefined;
    void pass()
      .catch((err: unknown) => {
        options.logger?.({ level: 'error', event: `${options.name}.failed`, error: err instanceof Error ? err.message : String(err) });
      })
      .then(() => {
        if (running) handle = timers.setTimeout(tick, options.intervalMs);
      });
  };

  return {
    start() {
      if (running) return;
      running = true;
      tick();
    },
    async stop() {
      running = false;
      if (handle !== undefined) timers.clearTimeout(handle);
      handle = undefined;
      await inFlight;
    },
    runOnce: pass,
    get running() {
      return running;
    },
  };
}
