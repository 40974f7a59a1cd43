/**
 * Runs one cell of the issuance benchmark: `concurrency` workers issuing back
 * to back against one target for a warm-up and then a measured window, and
 * the figures of that window (issuances, latency, errors by problem type,
 * requests, CPU of the server process and of the load generator).
 */
import type { Agent } from 'node:https';
import type { ChallengeServer } from './challenge-server.js';
import { AcmeWorker, IssuanceError, type ClientCounters, type Directory } from './client.js';
import { processCpuSeconds } from './cpu.js';
import { NO_RESPONSE } from './http.js';

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Hands out distinct loopback addresses, so no authorization is ever reusable. */
export class LoopbackAddresses {
  private n = 0;
  /** The next address of 127.1.0.1 … 127.254.255.254. */
  next(): string {
    for (;;) {
      const n = this.n++;
      const [a, b, c] = [1 + ((n >> 16) % 254), (n >> 8) & 255, n & 255];
      if (c !== 0 && c !== 255) return `127.${a}.${b}.${c}`;
    }
  }
}

/** The measured window of one cell. */
export interface CellResult {
  concurrency: number;
  seconds: number;
  issued: number;
  issuancesPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: Record<string, number>;
  requests: number;
  jwsRequests: number;
  serverCpuSeconds: number;
  clientCpuSeconds: number;
  /** Some requests got no answer within the request timeout (the server stopped answering). */
  stalled: boolean;
  /** Seconds from the window's start to the last issuance completed in it (for a stalled server: its rate before the stall). */
  secondsToLastIssuance: number;
  /** The measured window on the monotonic clock (CLOCK_MONOTONIC, microseconds), the clock of V8's CPU profiles. */
  windowUs: [number, number];
}

/** What a cell needs from its target. */
export interface CellTarget {
  agent: Agent;
  directory: Directory;
  serverPid: number;
}

/** Creates `concurrency` workers with their accounts (not measured). */
export async function createWorkers(target: CellTarget, challenges: ChallengeServer, concurrency: number, counters: ClientCounters): Promise<AcmeWorker[]> {
  const workers = Array.from({ length: concurrency }, () => new AcmeWorker(target.agent, target.directory, challenges, counters));
  await Promise.all(workers.map((w) => w.register()));
  return workers;
}

/** Runs the cell: warm-up, then the measured window. */
export async function runCell(input: {
  target: CellTarget;
  challenges: ChallengeServer;
  addresses: LoopbackAddresses;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  ticks: number;
}): Promise<CellResult> {
  const counters: ClientCounters = { requests: 0, jwsRequests: 0 };
  const workers = await createWorkers(input.target, input.challenges, input.concurrency, counters);
  let latencies: number[] = [];
  let errors: Record<string, number> = {};
  let lastIssuedAt: number;
  const loop = async (worker: AcmeWorker, until: number): Promise<void> => {
    while (performance.now() < until) {
      const started = performance.now();
      try {
        await worker.issue(input.addresses.next());
        const now = performance.now();
        latencies.push(now - started);
        lastIssuedAt = now;
      } catch (err) {
        const kind = err instanceof IssuanceError ? err.kind : `transport: ${(err as Error).message.slice(0, 60)}`;
        errors[kind] = (errors[kind] ?? 0) + 1;
      }
    }
  };
  const warmUntil = performance.now() + input.warmupMs;
  await Promise.all(workers.map((w) => loop(w, warmUntil)));

  latencies = [];
  errors = {};
  lastIssuedAt = 0;
  counters.requests = 0;
  counters.jwsRequests = 0;
  const serverBefore = processCpuSeconds(input.target.serverPid, input.ticks);
  const clientBefore = process.cpuUsage();
  const startUs = monotonicUs();
  const start = performance.now();
  await Promise.all(workers.map((w) => loop(w, start + input.durationMs)));
  const seconds = (performance.now() - start) / 1000;
  const endUs = monotonicUs();
  const client = process.cpuUsage(clientBefore);
  const serverCpuSeconds = processCpuSeconds(input.target.serverPid, input.ticks) - serverBefore;
  const sorted = [...latencies].sort((a, b) => a - b);
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  return {
    concurrency: input.concurrency,
    seconds,
    issued: latencies.length,
    issuancesPerSecond: latencies.length / seconds,
    latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: sorted[sorted.length - 1] ?? Number.NaN },
    errors,
    requests: counters.requests,
    jwsRequests: counters.jwsRequests,
    serverCpuSeconds,
    clientCpuSeconds: (client.user + client.system) / 1e6,
    stalled: Object.keys(errors).some((k) => k.includes(NO_RESPONSE)),
    secondsToLastIssuance: lastIssuedAt === 0 ? 0 : (lastIssuedAt - start) / 1000,
    windowUs: [startUs, endUs],
  };
}
