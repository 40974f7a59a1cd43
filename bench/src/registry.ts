import { engineBenchmark } from './engine.js';
import type { Benchmark } from './harness.js';
import { hsmBenchmark } from './hsm.js';
import { issuanceBenchmark } from './issuance.js';
import { ocspBenchmark } from './ocsp.js';

/** Every benchmark `pnpm bench` runs, in order. */
export const benchmarks: Benchmark[] = [engineBenchmark, hsmBenchmark, ocspBenchmark, issuanceBenchmark];
