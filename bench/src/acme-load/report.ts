/**
 * Writes the issuance benchmark's report: docs/benchmarks.md (tables, the
 * machine, the profile, the cryptographic floor) and the bar chart
 * docs/benchmarks.svg. Text below the {@link KEEP_MARKER} line of an existing
 * report is kept, so remarks written by hand survive the next run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { barChartSvg } from './chart.js';
import { POLL_INTERVAL_MS } from './client.js';
import type { CryptoFloor, CryptoRates } from './crypto-floor.js';
import type { CellResult } from './load.js';
import type { SelfTime } from './profile.js';

/** Everything below this line of docs/benchmarks.md is kept across runs. */
export const KEEP_MARKER = '<!-- Notes below this line are written by hand; `pnpm bench` keeps them. -->';

/** Medians of the repeats of one target at one concurrency. */
export interface CellSummary {
  target: string;
  concurrency: number;
  /** Median over the runs without a stall; when every run stalled, the median rate up to the stall. */
  issuancesPerSecond: number;
  /** Every run of this cell stalled (the server stopped answering). */
  stalled: boolean;
  /** Runs in which the server stalled, all attempts counted. */
  stalledRuns: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuMsPerIssuance: number;
  clientCpuMsPerIssuance: number;
  requestsPerIssuance: number;
  jwsPerIssuance: number;
  /** Issuances completed in all repeats. */
  issued: number;
  /** Failed issuances of all repeats, by problem type. */
  errors: Record<string, number>;
  runs: CellResult[];
}

/** The whole report. */
export interface IssuanceReport {
  quick: boolean;
  plan: { warmupMs: number; durationMs: number; repeats: number; profileMs: number; cryptoMs: number; pebbleRetries: number };
  machine: { cpus: number; model: string; node: string; loadAtStart: number[]; loadAtEnd: number[] };
  date: string;
  targets: string[];
  /** Pebble cells run again because Pebble stopped answering. */
  pebbleStalls: number;
  skipped: { name: string; reason: string }[];
  cells: CellSummary[];
  profile: { busyMs: number; top: SelfTime[]; byOrigin: SelfTime[]; serverCpuMsPerIssuance: number; issuancesPerSecond: number };
  rates: CryptoRates;
  floor: CryptoFloor;
}

/** The median of `values` (NaN when empty). */
export function median(values: number[]): number {
  const s = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const f = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '—');
const int = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
const loads = (l: number[]): string => l.map((v) => v.toFixed(2)).join(' / ');

/** Renders the markdown (without the kept hand-written part). */
export function renderMarkdown(r: IssuanceReport, svgName: string): string {
  const cell = (target: string, c: number): CellSummary | undefined => r.cells.find((s) => s.target === target && s.concurrency === c);
  const concurrencies = [...new Set(r.cells.map((s) => s.concurrency))];
  const certwrights = r.targets.filter((t) => t !== 'Pebble');
  const hasPebble = r.targets.includes('Pebble');
  const noisy = r.machine.loadAtStart[0]! > r.machine.cpus * 0.25;
  const o: string[] = [];
  o.push('# Benchmarks', '');
  o.push('`pnpm bench [--quick] [names…]` builds everything and runs the benchmarks in one process; every figure is reported next to a peer measured in the same run. The raw results are JSON files in `bench/results/`. This page is written by the `issuance` benchmark (`pnpm bench issuance`); the micro-benchmarks (`engine`, `hsm`, `ocsp`) print their figures and write them to the same JSON.', '');
  o.push(`## This run`, '');
  o.push(`- ${r.date}, ${r.quick ? '**quick run** (`--quick`: one repeat of short cells; indicative only)' : `full run (${r.plan.repeats} repeats per cell)`}: warm-up ${r.plan.warmupMs / 1000} s, measured ${r.plan.durationMs / 1000} s per cell, medians of ${r.plan.repeats} repeat${r.plan.repeats > 1 ? 's' : ''}.`);
  o.push(`- Machine: ${r.machine.cpus} CPUs, ${r.machine.model}, Node ${r.machine.node}. The load generator, the challenge server and the server under test share these CPUs.`);
  o.push(`- Load average (1 / 5 / 15 min) at start: **${loads(r.machine.loadAtStart)}**, at end: ${loads(r.machine.loadAtEnd)}.${noisy ? ' **Other work was running on the machine: the absolute figures are noisy; the ratios of the same run are the meaningful part.**' : ''}`);
  for (const s of r.skipped) o.push(`- Skipped ${s.name}: ${s.reason}`);
  if (r.targets.includes('Pebble')) o.push(`- Pebble stalled (stopped answering, see Method) in ${r.pebbleStalls} cell${r.pebbleStalls === 1 ? '' : 's'} of this run; ${r.pebbleStalls ? 'those cells were run again with a fresh Pebble; a figure marked \\* comes from a cell that stalled in every attempt.' : 'no cell had to be run again.'}`);
  o.push('');

  o.push('## ACME issuances per second', '');
  o.push(`![issuances per second by target and concurrency](${svgName})`, '');
  const head = ['concurrency', ...r.targets.map((t) => `${t} /s`), ...(hasPebble ? certwrights.map((t) => `${t} ÷ Pebble`) : [])];
  o.push(`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`);
  for (const c of concurrencies) {
    const pebble = cell('Pebble', c)?.issuancesPerSecond ?? Number.NaN;
    const shown = (t: string): string => {
      const s = cell(t, c);
      if (s?.stalled && !(s.issuancesPerSecond > 0)) return 'stalled *';
      return `${f(s?.issuancesPerSecond ?? Number.NaN)}${s?.stalled ? ' *' : ''}`;
    };
    const row = [String(c), ...r.targets.map(shown), ...(hasPebble ? certwrights.map((t) => `${f((cell(t, c)?.issuancesPerSecond ?? Number.NaN) / pebble, 2)}×`) : [])];
    o.push(`| ${row.join(' | ')} |`);
  }
  o.push('');
  if (r.cells.some((s) => s.stalled)) o.push('\\* The server stalled (stopped answering) in every attempt of this cell: the figure is the issuances completed before the stall divided by the time up to the last of them, the median over the repeats; the ratio uses it too. See Method.', '');
  o.push('Per cell (medians; runs with a stall left out unless every run stalled): latency of a whole issuance (new order → certificate downloaded), CPU of the server process per issuance (from `/proc/<pid>/stat`), CPU of the load generator per issuance (`process.cpuUsage()`, it shares the machine), HTTP requests per issuance, failed issuances.', '');
  o.push('| target | concurrency | p50 ms | p99 ms | server CPU ms/issuance | client CPU ms/issuance | requests/issuance | issued | runs with a stall | errors (all runs) |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const t of r.targets) {
    for (const c of concurrencies) {
      const s = cell(t, c);
      if (s === undefined) continue;
      const errors = Object.entries(s.errors).map(([k, v]) => `${k.replace('urn:ietf:params:acme:error:', '')} ×${v}`).join(', ') || '0';
      o.push(`| ${t} | ${c} | ${f(s.p50Ms, 0)} | ${f(s.p99Ms, 0)} | ${f(s.serverCpuMsPerIssuance)} | ${f(s.clientCpuMsPerIssuance)} | ${f(s.requestsPerIssuance)} | ${int(s.issued)} | ${s.stalledRuns} | ${errors} |`);
    }
  }
  o.push('');

  o.push('## Where the time goes', '');
  o.push(`A separate certwright (SQLite) server ran under \`node --cpu-prof\` at concurrency 8 for ${r.plan.profileMs / 1000} s (${f(r.profile.issuancesPerSecond)} issuances/s, ${f(r.profile.serverCpuMsPerIssuance)} ms server CPU per issuance with the profiler on). Samples inside the measured window only (start-up left out). The profiler samples the main thread by wall clock: time the event loop spends blocked inside a synchronous call — a write system call of SQLite's log at a commit, or the thread descheduled after handing work to the thread pool or waking another process — counts as that function's self time although it is not CPU. Self time of the ${r.profile.top.length} most expensive functions, as a share of the ${int(r.profile.busyMs)} ms of non-idle samples:`, '');
  o.push('| function (file:line) | self ms | share |', '| --- | --- | --- |');
  for (const t of r.profile.top) o.push(`| \`${t.fn.replace(/\|/g, '\\|')}\` | ${int(t.ms)} | ${f(t.share * 100)} % |`);
  o.push('');
  o.push('The same samples by where the code lives:', '');
  o.push('| origin | self ms | share |', '| --- | --- | --- |');
  for (const t of r.profile.byOrigin.slice(0, 12)) o.push(`| ${t.fn} | ${int(t.ms)} | ${f(t.share * 100)} % |`);
  o.push('');
  o.push('### The floor set by the cryptography', '');
  o.push(`Rates measured in this run with small loops on one thread (node:crypto, P-256): ES256 JWS verification ${int(r.rates.jwsVerify)}/s, P-256 signature ${int(r.rates.p256Sign)}/s, P-256 verification ${int(r.rates.p256Verify)}/s. An issuance as the load generator makes it carries ${f(r.floor.jwsPerIssuance)} JWS-signed requests (measured against certwright; the polls are included), so no server can spend less than:`, '');
  o.push('| part | CPU ms per issuance |', '| --- | --- |');
  o.push(`| ${f(r.floor.jwsPerIssuance)} JWS verifications | ${f(r.floor.jwsMs, 3)} |`);
  o.push(`| CSR self-signature verification | ${f(r.floor.csrVerifyMs, 3)} |`);
  o.push(`| certificate signature (P-256 issuer) | ${f(r.floor.certSignMs, 3)} |`);
  o.push(`| its verification (sign-then-verify) | ${f(r.floor.certVerifyMs, 3)} |`);
  o.push(`| **floor** | **${f(r.floor.totalMs, 3)}** |`);
  o.push('');
  const cpuRows = r.targets.map((t) => {
    const c8 = cell(t, 8) ?? cell(t, concurrencies[0]!);
    return c8 === undefined ? '' : `| ${t} | ${f(c8.serverCpuMsPerIssuance)} | ${f(c8.serverCpuMsPerIssuance / r.floor.totalMs, 0)}× |`;
  });
  o.push('Server CPU per issuance at concurrency 8 next to that floor (a server also spends CPU on TLS, HTTP, JSON, storage and validation, which the floor leaves out):', '');
  o.push('| target | server CPU ms/issuance | ÷ floor |', '| --- | --- | --- |', ...cpuRows.filter(Boolean), '');

  o.push('## Method', '');
  o.push('- **Targets**, all started by the harness and stopped afterwards: certwright\'s standalone CA (`examples/standalone`, `certwright serve`) on SQLite in a temporary data directory (the default: WAL journal, `synchronous=NORMAL` with the log fsynced on the thread pool before any answer that follows a commit, so every acknowledged issuance is durable on disk; see docs/storage.md), the same on PostgreSQL (a fresh database `cw_bench_<random>` on `postgres://postgres@127.0.0.1:5432`, dropped afterwards), and Pebble (`/usr/bin/pebble`, the Debian package) with a configuration written by the harness, `PEBBLE_VA_NOSLEEP=1`, `PEBBLE_WFE_NONCEREJECT=0`, `PEBBLE_AUTHZREUSE=0`, **started afresh for every cell**: its in-memory store scans every authorization on each new order, and Pebble 2.4 (the Debian package) can deadlock under concurrent load (a goroutine dump taken while developing this benchmark: the new-order scan holds the store’s read lock and waits for one authorization’s lock, a new order waits for the store’s write lock, and every other request queues behind it for good). A request unanswered for 5 s fails; a Pebble cell with such failures is run again with a fresh Pebble (twice in a full run, once in a quick one), and when every attempt stalled the attempt with the highest rate before its stall is reported, marked \\* in the tables with its rate up to the stall. A fresh store is Pebble’s best case; certwright keeps one database for the whole run, as a CA would. Pebble keeps everything in memory and writes nothing to disk: it is a test server, not a production CA, so it is a yardstick for protocol overhead, not a like-for-like competitor.');
  o.push('- **Load generator** (`bench/src/acme-load/`), in the harness process: one account per worker (created before the cell, not measured), then complete issuances back to back: new order for one IP identifier (RFC 8738), POST-as-GET of the authorization, the http-01 key authorization placed in an in-process challenge server, challenge POST, authorization polls, finalize with a fresh P-256 CSR (`generateSoftwareSigner` + `buildCsr`), order polls while processing, certificate download. Every identifier is a distinct loopback address (127.x.y.z), so no server can reuse an authorization; both servers really connect to the challenge server for each validation.');
  o.push(`- Polls are every ${POLL_INTERVAL_MS} ms for every target (the client does not wait the \`Retry-After\` the servers suggest), keep-alive HTTPS connections (node:https Agent, trusting only the target's root), ES256 JWS signed with node:crypto directly (\`dsaEncoding: 'ieee-p1363'\`), the nonce of each response reused for the next request.`);
  o.push('- A cell is one target at one concurrency: warm-up, then the measured window; issuances still running when it ends are finished and counted, and the window is the time until the last one ends. Within each repeat the targets take turns at each concurrency, so drifting background load spreads over all of them. Failed issuances are counted by problem type and are not in the rate.');
  o.push(`- The profile and the crypto loops run after the cells. Results: \`bench/results/*.json\` (the \`issuance\` rows carry every repeat in \`details\`).`);
  o.push('');
  return o.join('\n');
}

/** Writes the markdown (keeping the hand-written tail of an existing file) and the chart. */
export function writeReport(r: IssuanceReport, mdPath: string, svgPath: string): void {
  const concurrencies = [...new Set(r.cells.map((s) => s.concurrency))];
  const svg = barChartSvg({
    title: `ACME issuances per second${r.quick ? ' (quick run)' : ''}, load average at start ${r.machine.loadAtStart[0]!.toFixed(2)}`,
    yLabel: 'issuances / s',
    groups: concurrencies.map((c) => `concurrency ${c}`),
    // A cell that stalled before any issuance has no bar.
    series: r.targets.map((t) => ({ name: t, values: concurrencies.map((c) => r.cells.find((s) => s.target === t && s.concurrency === c && s.issuancesPerSecond > 0)?.issuancesPerSecond ?? Number.NaN) })),
  });
  writeFileSync(svgPath, svg);
  const previous = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : '';
  const at = previous.indexOf(KEEP_MARKER);
  const kept = at >= 0 ? previous.slice(at) : `${KEEP_MARKER}\n`;
  writeFileSync(mdPath, `${renderMarkdown(r, basename(svgPath))}\n${kept}`);
}
