import { engineBenchmark } from './engine.js';
import type { Benchmark } from './harness.js';

/** Every benchmark `pnpm bench` runs, in order. */
export const benchmarks: Benchmark[] = [engineBenchmark];
