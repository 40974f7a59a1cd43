import {
  IssuerSet,
  MemoryStore,
  SoftwareSigner,
  buildCsr,
  createIntermediateCa,
  createIssuanceEngine,
  createRootCa,
  createVerificationWorker,
  cryptoRandom,
  defineProfile,
  generateSoftwareSigner,
  systemClock,
  type Identifier,
  type IssuanceEngineOptions,
  type PreparedIssuance,
} from '@certwright/core';
import { measureCpuPerOp, measureRate, type Benchmark, type BenchResult } from './harness.js';

/** The median of a non-empty list. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `min–max` of a list of ratios, to show how noisy the rounds were. */
function spread(values: readonly number[]): string {
  return `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;
}

const CONCURRENCY = 8;
/** A second, wider concurrency for the verification worker, whose hand-overs batch better with more in flight. */
const WIDE_CONCURRENCY = 32;
/** The target: complete issuances per second of at least this share of the raw single-thread signature rate. */
const TARGET_RATIO = 0.25;

/**
 * Issuance-engine throughput: complete write-ahead issuances (reserve serial,
 * build TBS, lint, store planned, sign, verify, store issued) per second with
 * a P-256 issuer and a full profile (about ten extensions), next to the raw
 * P-256 signature rate of the same issuer key. Storage is the in-memory
 * store, so the figure is the engine's own cost.
 *
 * The machine is shared and its load moves, so the figures are taken in
 * interleaved rounds: each round measures the raw single-thread signature
 * rate before and after the issuance windows, each issuance window is
 * divided by the mean of those two, and the medians over the rounds are
 * reported (with the min–max of the per-round ratios). Every issuance window
 * starts from an empty store. The raw rate with signatures
 * {@link CONCURRENCY} at a time on the thread pool is reported too: it is
 * what the machine's cores give for signatures alone, the like-for-like peer
 * of the concurrent issuance figure. The engine is measured one issuance at
 * a time, {@link CONCURRENCY} at a time with each `softwareSigning` choice,
 * and with a verification worker (`createVerificationWorker`), which keeps
 * signing on the event loop and verifies on a second thread.
 */
export const engineBenchmark: Benchmark = {
  name: 'engine',
  async run({ quick }): Promise<BenchResult[]> {
    const clock = systemClock();
    const random = cryptoRandom();
    const root = await createRootCa({ subject: [{ type: 'CN', value: 'Bench Root' }], keyType: 'P-256', validitySeconds: 3650 * 86400, clock, random });
    const issuer = await createIntermediateCa({ root, subject: [{ type: 'CN', value: 'Bench Issuing CA' }], keyType: 'P-256', validitySeconds: 365 * 86400, clock, random });
    const profile = defineProfile({
      name: 'full',
      validitySeconds: 90 * 86400,
      backdateSeconds: 3600,
      keyUsage: 'auto',
      extKeyUsages: ['serverAuth', 'clientAuth'],
      commonName: 'firstSan',
      includeSki: true,
      ocspUrl: 'http://ocsp.example.test/{issuerId}',
      caIssuersUrl: 'http://ca.example.test/{issuerId}.der',
      crl: { urlTemplate: 'http://crl.example.test/{issuerId}/{shard}.crl', shardCount: 16 },
      policies: ['2.23.140.1.2.1'],
      mustStaple: true,
      allowedKeyTypes: ['P-256', 'P-384', 'RSA-2048'],
    });
    const issuers = new IssuerSet([issuer]);
    const verificationWorker = createVerificationWorker();
    type Mode = IssuanceEngineOptions['softwareSigning'] | 'verification-worker';
    const newEngine = (mode: Mode) =>
      createIssuanceEngine({
        store: new MemoryStore(),
        issuers,
        profiles: [profile],
        clock,
        random,
        ...(mode === 'verification-worker' ? { verificationWorker } : { softwareSigning: mode }),
      });
    const identifiers: Identifier[] = [
      { type: 'dns', value: 'www.example.com' },
      { type: 'dns', value: 'example.com' },
      { type: 'dns', value: 'api.example.com' },
    ];
    const leafKey = await generateSoftwareSigner('P-256');
    const csrDer = await buildCsr({ signer: leafKey, identifiers });
    const engine = newEngine('event-loop');
    const prepared: PreparedIssuance = await engine.prepare({ csrDer, identifiers });
    const sample = (await engine.issue(prepared)).certificateDer;
    const tbsSized = sample.subarray(0, sample.length - 80);
    const signer = issuer.signer;
    if (!(signer instanceof SoftwareSigner)) throw new Error('the bench issuer must hold a software signer');
    const signOnThreadPool = (data: Uint8Array): Promise<Uint8Array> => signer.signOnThreadPool(data);

    const rounds = quick ? 3 : 7;
    const windowMs = quick ? 300 : 800;
    const issuing = (mode: Mode, concurrency: number): Promise<number> => {
      const fresh = newEngine(mode);
      return measureRate(() => fresh.issue(prepared), { durationMs: windowMs, concurrency });
    };
    const rawOnce = (): Promise<number> => measureRate(() => signer.sign(tbsSized), { durationMs: windowMs / 2 });

    // Warm up every path once (JIT, key caches, thread pool).
    await measureRate(() => signer.sign(tbsSized), { durationMs: 200 });
    await measureRate(() => signOnThreadPool(tbsSized), { durationMs: 200, concurrency: CONCURRENCY });
    await issuing('event-loop', CONCURRENCY);
    await issuing('auto', CONCURRENCY);
    await issuing('verification-worker', CONCURRENCY);

    const raw: number[] = [];
    const rawConcurrent: number[] = [];
    const cpu = { raw: [] as number[], issuance: [] as number[], ratio: [] as number[] };
    const sequential = { rate: [] as number[], ratio: [] as number[] };
    const concurrent = { rate: [] as number[], ratio: [] as number[] };
    const concurrentAuto = { rate: [] as number[], ratio: [] as number[] };
    const concurrentWorker = { rate: [] as number[], ratio: [] as number[] };
    const concurrentWorkerWide = { rate: [] as number[], ratio: [] as number[] };
    const workerCpu = { issuance: [] as number[], ratio: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      const before = await rawOnce();
      const seq = await issuing('event-loop', 1);
      const conc = await issuing('event-loop', CONCURRENCY);
      const concAuto = await issuing('auto', CONCURRENCY);
      const concWorker = await issuing('verification-worker', CONCURRENCY);
      const concWorkerWide = await issuing('verification-worker', WIDE_CONCURRENCY);
      rawConcurrent.push(await measureRate(() => signOnThreadPool(tbsSized), { durationMs: windowMs / 2, concurrency: CONCURRENCY }));
      const after = await rawOnce();
      const base = (before + after) / 2;
      const rawCpu = await measureCpuPerOp(() => signer.sign(tbsSized), { count: quick ? 2000 : 5000 });
      const cpuEngine = newEngine('event-loop');
      const issuanceCpu = await measureCpuPerOp(() => cpuEngine.issue(prepared), { count: quick ? 1000 : 3000, concurrency: CONCURRENCY });
      cpu.raw.push(rawCpu);
      cpu.issuance.push(issuanceCpu);
      cpu.ratio.push(rawCpu / issuanceCpu);
      const workerEngine = newEngine('verification-worker');
      const workerIssuanceCpu = await measureCpuPerOp(() => workerEngine.issue(prepared), { count: quick ? 1000 : 3000, concurrency: CONCURRENCY });
      workerCpu.issuance.push(workerIssuanceCpu);
      workerCpu.ratio.push(rawCpu / workerIssuanceCpu);
      raw.push(base);
      for (const [into, value] of [
        [sequential, seq],
        [concurrent, conc],
        [concurrentAuto, concAuto],
        [concurrentWorker, concWorker],
        [concurrentWorkerWide, concWorkerWide],
      ] as const) {
        into.rate.push(value);
        into.ratio.push(value / base);
      }
    }
    await verificationWorker.close();
    const prepareRate = await measureRate(() => engine.prepare({ csrDer, identifiers }), { durationMs: quick ? 500 : 2500, warmupMs: 300 });

    const rawMedian = median(raw);
    const rawSig = { name: 'raw P-256 signatures, one at a time on the event loop (same key)', value: rawMedian, unit: 'ops/s' };
    const meets = (ratio: number): string => (ratio >= TARGET_RATIO ? `meets the ${TARGET_RATIO} target` : `below the ${TARGET_RATIO} target`);
    const issuance = (name: string, figures: { rate: number[]; ratio: number[] }, notes: string): BenchResult => {
      const ratio = median(figures.ratio);
      return {
        group: 'engine',
        name,
        value: median(figures.rate),
        unit: 'ops/s',
        baseline: rawSig,
        ratio,
        notes: `${notes}; median of ${rounds} interleaved rounds, per-round ratio ${spread(figures.ratio)}; ${meets(ratio)}`,
      };
    };
    const rawConcurrentMedian = median(rawConcurrent);
    return [
      { group: 'engine', name: 'raw P-256 signatures, one at a time on the event loop', value: rawMedian, unit: 'ops/s', notes: `median of ${rounds} rounds` },
      {
        group: 'engine',
        name: `raw P-256 signatures, ${CONCURRENCY} at a time on the thread pool`,
        value: rawConcurrentMedian,
        unit: 'ops/s',
        baseline: rawSig,
        ratio: rawConcurrentMedian / rawMedian,
        notes: 'what the machine gives for signatures alone with every core in use: the like-for-like peer of the concurrent issuance figure',
      },
      issuance('leaf certificates, full profile, P-256 issuer', sequential, `${sample.length}-byte certificates, in-memory store, one at a time (signing and verification on the event loop)`),
      issuance(
        `leaf certificates, full profile, P-256 issuer, ${CONCURRENCY} concurrent`,
        concurrent,
        `signing and verification on the event loop; ${(median(concurrent.rate) / rawConcurrentMedian).toFixed(3)} of the concurrent raw signature rate`,
      ),
      issuance(
        `leaf certificates, full profile, P-256 issuer, ${CONCURRENCY} concurrent, softwareSigning auto`,
        concurrentAuto,
        `signing and verification on the thread pool while several issuances are in flight; ${(median(concurrentAuto.rate) / rawConcurrentMedian).toFixed(3)} of the concurrent raw signature rate`,
      ),
      issuance(
        `leaf certificates, full profile, P-256 issuer, ${CONCURRENCY} concurrent, verification worker`,
        concurrentWorker,
        `signing on the event loop, verification on a worker thread fed through shared memory (createVerificationWorker); ${(median(concurrentWorker.rate) / rawConcurrentMedian).toFixed(3)} of the concurrent raw signature rate`,
      ),
      {
        group: 'engine',
        name: `CPU time per leaf certificate, ${CONCURRENCY} concurrent (µs)`,
        value: median(cpu.issuance),
        unit: 'µs',
        baseline: { name: 'CPU time per raw P-256 signature (µs)', value: median(cpu.raw), unit: 'µs' },
        ratio: median(cpu.ratio),
        notes: `process CPU (all threads) per certificate next to per raw signature, the ratio being raw ÷ certificate: the rate ratio with the host's steal and the idle second core taken out; median of ${rounds} rounds, per-round ratio ${spread(cpu.ratio)}; ${meets(median(cpu.ratio))}`,
      },
      issuance(
        `leaf certificates, full profile, P-256 issuer, ${WIDE_CONCURRENCY} concurrent, verification worker`,
        concurrentWorkerWide,
        `as above with ${WIDE_CONCURRENCY} issuances in flight`,
      ),
      {
        group: 'engine',
        name: `CPU time per leaf certificate, ${CONCURRENCY} concurrent, verification worker (µs)`,
        value: median(workerCpu.issuance),
        unit: 'µs',
        baseline: { name: 'CPU time per raw P-256 signature (µs)', value: median(cpu.raw), unit: 'µs' },
        ratio: median(workerCpu.ratio),
        notes: `process CPU (all threads, the worker's waiting included) per certificate next to per raw signature; median of ${rounds} rounds, per-round ratio ${spread(workerCpu.ratio)}`,
      },
      { group: 'engine', name: 'finalize checks (CSR parse + signature + key policy + name match)', value: prepareRate, unit: 'ops/s', baseline: rawSig, ratio: prepareRate / rawMedian },
    ];
  },
};
