import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchResult } from './harness.js';
import { benchmarks } from './registry.js';

/** Runs every registered benchmark (or those named on the command line) and writes the results. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const only = args.filter((a) => !a.startsWith('--'));
  const selected: Benchmark[] = only.length ? benchmarks.filter((b) => only.includes(b.name)) : benchmarks;
  const loadAtStart = loadavg();
  const tmpDir = mkdtempSync(join(tmpdir(), 'certwright-bench-'));
  const results: BenchResult[] = [];
  for (const bench of selected) {
    process.stdout.write(`\n# ${bench.name}\n`);
    const out = await bench.run({ quick, tmpDir });
    for (const r of out) {
      const base = r.baseline ? `  (vs ${r.baseline.name}: ${fmt(r.baseline.value)} ${r.baseline.unit}${r.ratio !== undefined ? `, ratio ${r.ratio.toFixed(3)}` : ''})` : '';
      process.stdout.write(`${r.group} | ${r.name}: ${fmt(r.value)} ${r.unit}${base}${r.notes ? `  — ${r.notes}` : ''}\n`);
    }
    results.push(...out);
  }
  const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg() };
  mkdirSync('bench/results', { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join('bench/results', `${quick ? 'quick-' : ''}${stamp}.json`);
  writeFileSync(file, JSON.stringify({ machine, quick, results }, null, 2) + '\n');
  process.stdout.write(`\nresults written to ${file}\n`);
}

function fmt(v: number): string {
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2);
}

await main();
