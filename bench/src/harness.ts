/**
 * The benchmark harness contract. Each benchmark module exports a
 * {@link Benchmark}; `run.ts` runs them in one process, one after another,
 * and writes their results as JSON. Figures are reported next to a peer
 * measured in the same run (a raw signature rate, another server), never as
 * absolute promises.
 */
export interface BenchOptions {
  /** A short smoke run (`pnpm bench --quick`). */
  quick: boolean;
  /** Where a benchmark may put temporary files. */
  tmpDir: string;
}

/** One measured figure. */
export interface BenchResult {
  /** Benchmark group, e.g. `engine`. */
  group: string;
  /** What was measured, e.g. `leaf certificates (P-256 issuer)`. */
  name: string;
  value: number;
  unit: string;
  /** The peer figure of the same run this one is compared with, if any. */
  baseline?: { name: string; value: number; unit: string };
  /** value / baseline.value when both are rates of the same unit. */
  ratio?: number;
  notes?: string;
}

/** A benchmark module. */
export interface Benchmark {
  name: string;
  run(options: BenchOptions): Promise<BenchResult[]>;
}

/**
 * Runs `op` repeatedly, `concurrency` at a time, for `durationMs` of wall time
 * (after `warmupMs`), and returns operations per second.
 */
export async function measureRate(op: () => Promise<unknown>, options: { durationMs: number; warmupMs?: number; concurrency?: number }): Promise<number> {
  const concurrency = options.concurrency ?? 1;
  const loop = async (until: number): Promise<number> => {
    let n = 0;
    while (performance.now() < until) {
      await op();
      n++;
    }
    return n;
  };
  if (options.warmupMs) {
    const until = performance.now() + options.warmupMs;
    await Promise.all(Array.from({ length: concurrency }, () => loop(until)));
  }
  const start = performance.now();
  const until = start + options.durationMs;
  const counts = await Promise.all(Array.from({ length: concurrency }, () => loop(until)));
  const elapsed = (performance.now() - start) / 1000;
  return counts.reduce((a, b) => a + b, 0) / elapsed;
}
