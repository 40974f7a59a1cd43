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
  /** How the figure compares with its peer: value ÷ baseline for rates; for a cost (time per operation) baseline ÷ value, so that higher is better either way (the notes say which). */
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

/**
 * CPU time per operation, in microseconds: runs `op` exactly `count` times,
 * `concurrency` at a time, and divides the CPU the whole process used
 * meanwhile (`process.cpuUsage()`: user and system, every thread, the
 * thread pool included). On a shared virtual machine whose speed drifts
 * this is steadier than a rate: time the host takes the CPU away is not
 * counted.
 */
export async function measureCpuPerOp(op: () => Promise<unknown>, options: { count: number; concurrency?: number }): Promise<number> {
  let left = options.count;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: options.concurrency ?? 1 }, async () => {
      while (left-- > 0) await op();
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / options.count;
}
