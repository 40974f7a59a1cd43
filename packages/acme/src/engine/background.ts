import type { Logger } from '@certwright/core';

/** Work that runs after a response is sent (validations, issuance), tracked so it can be awaited. */
export interface BackgroundTasks {
  /** Starts `task` now; its failure is logged, never thrown to the request. The promise settles (never rejects) when the task has. */
  run(name: string, task: () => Promise<void>): Promise<void>;
  /** Resolves when every task started so far (and any they start) has settled. */
  drain(): Promise<void>;
  /** How many tasks are running. */
  readonly size: number;
}

/** Creates a tracker of background tasks that logs failures through `logger`. */
export function createBackgroundTasks(logger: Logger): BackgroundTasks {
  const running = new Set<Promise<void>>();
  return {
    run(name, task) {
      const promise: Promise<void> = Promise.resolve()
        .then(task)
        .catch((err: unknown) => {
          // The cause says why a store call failed ("retry later" alone would not: the database is down, and how).
          const cause = err instanceof Error && err.cause instanceof Error ? { cause: err.cause.message } : {};
          logger({ level: 'error', event: 'acme.background.failed', task: name, error: err instanceof Error ? err.message : String(err), ...cause });
        })
        .finally(() => {
          running.delete(promise);
        });
      running.add(promise);
      return promise;
    },
    async drain() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    get size() {
      return running.size;
    },
  };
}
