/**
 * A dedicated worker thread that verifies signatures for the event loop,
 * fed through shared memory. The issuance engine verifies every signature it
 * makes before releasing a certificate; a P-256 verification costs about 2.4
 * signatures, so on one thread the cryptography alone caps the engine well
 * below what a second core allows. libuv's thread pool and `postMessage`
 * both cost about as much CPU per hand-over as the verification itself on
 * the machine of docs/benchmarks.md; a ring of slots in a
 * `SharedArrayBuffer`, with `Atomics` counters and wake-ups only when the
 * other side sleeps, costs a few microseconds.
 *
 * Only public keys and the bytes to check cross to the worker; private keys
 * stay where their signer keeps them.
 */
import { constants, type KeyObject } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { silentLogger, type Logger } from '../logger.js';
import type { SignatureAlgorithm } from '../signer.js';
import { importSpkiPublicKey } from './import-public-key.js';
import { createVerifier, type SignatureVerifier } from './verify.js';
import { verifyInputs } from './verify-inputs.js';
import { verificationWorkerLoop, type VerificationRingLayout, type VerificationWorkerData } from './verification-worker-thread.js';

/** Options for {@link createVerificationWorker}. */
export interface VerificationWorkerOptions {
  /** Jobs the ring holds at once (default 64); more wait in a queue on the event loop. */
  slots?: number;
  /**
   * Bytes per slot (default 16 KiB): the SPKI, the signed data and the
   * signature of one job. A job that does not fit is verified on the event
   * loop instead.
   */
  slotBytes?: number;
  /**
   * Microseconds the worker busy-waits for the next job before it sleeps on
   * an empty ring (default 200). Waking a sleeping thread costs tens of
   * microseconds on a virtual machine; a short spin saves that between the
   * bursts of a busy event loop, at the price of that much CPU once a burst
   * is over.
   */
  spinMicroseconds?: number;
  /** Receives `verification_worker.failed` when the thread dies; its jobs are then verified on the event loop. */
  logger?: Logger;
}

/** A verification thread; see {@link createVerificationWorker}. */
export interface VerificationWorker {
  /**
   * A verifier for the public key `spki` (DER SubjectPublicKeyInfo, RFC 5280
   * §4.1.2.7) whose `verify` runs on the worker thread and `verifySync` on
   * the calling thread. A malformed key, or an algorithm that does not fit
   * it, verifies nothing (`false`), as with `createVerifier`. A job's bytes
   * are copied when the ring has room for it, so leave them unchanged until
   * its promise settles.
   */
  verifierFor(spki: Uint8Array): SignatureVerifier;
  /** Verifications handed over and not yet answered. */
  readonly pending: number;
  /**
   * Lets the jobs in hand finish, then stops the thread. Verifications
   * asked for after `close` run on the calling thread.
   */
  close(): Promise<void>;
}

/** `Atomics.waitAsync` (ES2024, in Node since 16), which the ES2022 library typings lack. */
type WaitAsync = (
  array: Int32Array,
  index: number,
  value: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsync: WaitAsync = (array, index, value) => (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync(array, index, value);

const HASH_CODES: Readonly<Record<string, number>> = { sha256: 1, sha384: 2, sha512: 3 };

const LAYOUT_FIELDS = {
  control: { submitted: 0, completed: 1, workerSleeping: 2, mainWaiting: 3, shutdown: 4 },
  slot: { keyId: 0, spkiLength: 1, dataLength: 2, signatureLength: 3, hash: 4, padding: 5, saltLength: 6, dsaDer: 7, result: 8 },
} as const;

/** One verification handed over (or waiting for a free slot). */
interface Job {
  keyId: number;
  spki: Uint8Array;
  algorithm: SignatureAlgorithm;
  data: Uint8Array;
  signature: Uint8Array;
  /** The slot header's parameters for this key and algorithm. */
  parameters: SlotParameters;
  /** The same check on the calling thread, for when the worker is gone. */
  fallback: SignatureVerifier;
  resolve: (valid: boolean) => void;
}

/** Parameters of one key and algorithm as the slot header carries them. */
interface SlotParameters {
  hash: number;
  padding: number;
  saltLength: number;
  dsaDer: number;
}

function slotParameters(key: KeyObject | undefined, algorithm: SignatureAlgorithm): SlotParameters | undefined {
  const inputs = verifyInputs(key, algorithm);
  if (inputs === undefined) return undefined;
  const input = inputs.input as { dsaEncoding?: string; padding?: number; saltLength?: number };
  return {
    hash: inputs.hash === null ? 0 : (HASH_CODES[inputs.hash] ?? 0),
    padding: input.padding === constants.RSA_PKCS1_PSS_PADDING ? input.padding : 0,
    saltLength: input.saltLength ?? -1,
    dsaDer: input.dsaEncoding === 'der' ? 1 : 0,
  };
}

/**
 * Starts (on first use) a worker thread that verifies signatures handed to
 * it through a shared-memory ring. Give it to `createIssuanceEngine` as
 * `verificationWorker` and concurrent issuances verify their signatures
 * there while the event loop builds, lints, stores and signs the next ones.
 * The thread holds the process open only while it has work; `close()` stops
 * it. If it dies, its unanswered jobs and all later ones are verified on the
 * calling thread, and the logger is told.
 */
export function createVerificationWorker(options: VerificationWorkerOptions = {}): VerificationWorker {
  return createVerificationWorkerOn(options, startVerificationThread);
}

/** Starts the thread that runs {@link verificationWorkerLoop} over `data`. */
export type StartVerificationThread = (data: VerificationWorkerData) => Worker;

/** The default {@link StartVerificationThread}: the loop's source text as an eval'd worker, so it runs from sources and from dist alike. */
export const startVerificationThread: StartVerificationThread = (data) => {
  const source = `Promise.all([import('node:worker_threads'), import('node:crypto')]).then(([threads, crypto]) => (${verificationWorkerLoop.toString()})(threads, crypto))`;
  return new Worker(source, { eval: true, workerData: data, name: 'certwright-verification' });
};

/**
 * {@link createVerificationWorker} with the thread started by `startThread`
 * (internal: tests wrap {@link startVerificationThread} to stop the thread
 * under load).
 */
export function createVerificationWorkerOn(options: VerificationWorkerOptions, startThread: StartVerificationThread): VerificationWorker {
  const slotCount = options.slots ?? 64;
  const slotBytes = options.slotBytes ?? 16 * 1024;
  if (!Number.isInteger(slotCount) || slotCount < 1) throw new RangeError('createVerificationWorker: slots must be a positive integer');
  if (!Number.isInteger(slotBytes) || slotBytes < 1024 || slotBytes % 8 !== 0) {
    throw new RangeError('createVerificationWorker: slotBytes must be a multiple of 8, at least 1024');
  }
  const logger = options.logger ?? silentLogger;
  const layout: VerificationRingLayout = { slotCount, slotBytes, controlBytes: 64, headerBytes: 64, ...LAYOUT_FIELDS };
  const buffer = new SharedArrayBuffer(layout.controlBytes + slotCount * slotBytes);
  const control = new Int32Array(buffer, 0, layout.controlBytes >> 2);
  const bytes = new Uint8Array(buffer);
  const c = layout.control;
  const f = layout.slot;
  /** Each slot's header, viewed once. */
  const headers = Array.from({ length: slotCount }, (_, i) => new Int32Array(buffer, layout.controlBytes + i * slotBytes, layout.headerBytes >> 2));

  let worker: Worker | undefined;
  /** Set when the thread died or was closed: every verification then runs on the calling thread. */
  let stopped = false;
  let closing: Promise<void> | undefined;
  let submitted = 0;
  let collected = 0;
  let waiting = false;
  let nextKeyId = 1;
  const inRing: Job[] = [];
  const queued: Job[] = [];
  let idleResolvers: Array<() => void> = [];

  function start(): Worker {
    const data: VerificationWorkerData = { buffer, layout, spinMs: (options.spinMicroseconds ?? 200) / 1000 };
    const thread = startThread(data);
    thread.unref();
    thread.on('error', (err) => fail(err));
    thread.on('exit', (code) => {
      if (!stopped) fail(new Error(`the verification worker exited with code ${code}`));
    });
    return thread;
  }

  /** The thread is gone: answer everything in hand on this thread and keep doing so. */
  function fail(err: Error): void {
    if (stopped) return;
    stopped = true;
    logger({ level: 'error', event: 'verification_worker.failed', error: err.message, pending: inRing.length + queued.length });
    const orphans = [...inRing, ...queued];
    inRing.length = 0;
    queued.length = 0;
    for (const job of orphans) job.resolve(job.fallback.verifySync(job.algorithm, job.data, job.signature));
    settleIdle();
  }

  function settleIdle(): void {
    if (inRing.length + queued.length > 0) return;
    worker?.unref();
    const resolvers = idleResolvers;
    idleResolvers = [];
    for (const resolve of resolvers) resolve();
  }

  const fitsSlot = (job: Job): boolean => layout.headerBytes + job.spki.length + job.data.length + job.signature.length <= slotBytes;

  /** Copies `job` (which {@link fitsSlot}) into the next free slot. */
  function place(job: Job): void {
    const parameters = job.parameters;
    const slot = submitted % slotCount;
    const header = headers[slot]!;
    header[f.keyId] = job.keyId;
    header[f.spkiLength] = job.spki.length;
    header[f.dataLength] = job.data.length;
    header[f.signatureLength] = job.signature.length;
    header[f.hash] = parameters.hash;
    header[f.padding] = parameters.padding;
    header[f.saltLength] = parameters.saltLength;
    header[f.dsaDer] = parameters.dsaDer;
    header[f.result] = 0;
    let at = layout.controlBytes + slot * slotBytes + layout.headerBytes;
    bytes.set(job.spki, at);
    at += job.spki.length;
    bytes.set(job.data, at);
    at += job.data.length;
    bytes.set(job.signature, at);
    inRing.push(job);
    submitted++;
    Atomics.store(control, c.submitted, submitted);
    if (Atomics.load(control, c.workerSleeping) === 1) Atomics.notify(control, c.submitted);
  }

  /** Collects every answered slot, refills the ring from the queue and waits again while jobs remain. */
  function collect(): void {
    waiting = false;
    if (stopped) return;
    const completed = Atomics.load(control, c.completed);
    while (collected < completed) {
      const valid = headers[collected % slotCount]![f.result] === 1;
      collected++;
      inRing.shift()!.resolve(valid);
    }
    while (queued.length > 0 && submitted - collected < slotCount) place(queued.shift()!);
    if (inRing.length > 0) awaitCompletion();
    else settleIdle();
  }

  /** Arranges for {@link collect} to run once the worker has answered another slot. */
  function awaitCompletion(): void {
    if (waiting) return;
    waiting = true;
    Atomics.store(control, c.mainWaiting, 1);
    const outcome = waitAsync(control, c.completed, collected);
    if (outcome.async) void outcome.value.then(collect);
    else queueMicrotask(collect);
  }

  function submit(job: Job): void {
    if (stopped || closing !== undefined || !fitsSlot(job)) {
      job.resolve(job.fallback.verifySync(job.algorithm, job.data, job.signature));
      return;
    }
    if (worker === undefined) {
      try {
        worker = start();
      } catch (err) {
        // No thread could be started (resource limits, a policy against eval'd code): verify here from now on.
        fail(err instanceof Error ? err : new Error(String(err)));
        job.resolve(job.fallback.verifySync(job.algorithm, job.data, job.signature));
        return;
      }
    }
    if (inRing.length + queued.length === 0) worker.ref();
    if (queued.length > 0 || submitted - collected >= slotCount) queued.push(job);
    else place(job);
    awaitCompletion();
  }

  return {
    verifierFor(spki) {
      const keyId = nextKeyId++;
      const ownSpki = Uint8Array.from(spki);
      const key = importSpkiPublicKey(ownSpki);
      const fallback = createVerifier(ownSpki);
      // A key signs under one algorithm or few: the slot parameters are worked out once each.
      const parametersByAlgorithm = new Map<SignatureAlgorithm, SlotParameters | undefined>();
      const parametersFor = (algorithm: SignatureAlgorithm): SlotParameters | undefined => {
        if (!parametersByAlgorithm.has(algorithm)) parametersByAlgorithm.set(algorithm, slotParameters(key, algorithm));
        return parametersByAlgorithm.get(algorithm);
      };
      return {
        verify: (algorithm, data, signature) =>
          new Promise<boolean>((resolve) => {
            const parameters = parametersFor(algorithm);
            if (parameters === undefined) resolve(false);
            else submit({ keyId, spki: ownSpki, algorithm, data, signature, parameters, fallback, resolve });
          }),
        verifySync: (algorithm, data, signature) => fallback.verifySync(algorithm, data, signature),
      };
    },
    get pending() {
      return inRing.length + queued.length;
    },
    close() {
      closing ??= (async () => {
        if (inRing.length + queued.length > 0) await new Promise<void>((resolve) => idleResolvers.push(resolve));
        stopped = true;
        if (worker === undefined) return;
        Atomics.store(control, c.shutdown, 1);
        Atomics.notify(control, c.submitted);
        await worker.terminate();
      })();
      return closing;
    },
  };
}
