/**
 * The loop of the verification worker thread (see verification-worker.ts).
 * It runs as the source text of {@link verificationWorkerLoop}, so the
 * function must use nothing but its parameters: no imports, no module
 * constants (internal: not re-exported).
 *
 * The shared memory is a ring of job slots behind a control block of Int32
 * counters. The main thread fills the slot at `submitted % slotCount` and
 * then increments `submitted`; this thread verifies slots in order, writes
 * each result into its slot and then increments `completed`. Either side
 * sleeps only after announcing it (the `*Sleeping`/`*Waiting` flags) and
 * re-checking the counter, so no wake-up is lost and none is sent when
 * nobody waits.
 */
import type * as Crypto from 'node:crypto';
import type * as WorkerThreads from 'node:worker_threads';

/** Where each field lives: control-block indexes (Int32) and slot header indexes (Int32, from the slot's start). */
export interface VerificationRingLayout {
  slotCount: number;
  slotBytes: number;
  /** Bytes before the first slot. */
  controlBytes: number;
  /** Bytes of each slot's header; the SPKI, data and signature follow it. */
  headerBytes: number;
  control: { submitted: number; completed: number; workerSleeping: number; mainWaiting: number; shutdown: number };
  slot: {
    keyId: number;
    spkiLength: number;
    dataLength: number;
    signatureLength: number;
    /** 0: none (Ed25519), 1: sha256, 2: sha384, 3: sha512. */
    hash: number;
    /** 0: the key type's default, else a node:crypto padding constant (RSASSA-PSS). */
    padding: number;
    /** The PSS salt length, or -1. */
    saltLength: number;
    /** 1: ECDSA signatures are DER `Ecdsa-Sig-Value`. */
    dsaDer: number;
    /** Written by the worker: 1 valid, 0 invalid. */
    result: number;
  };
}

/** What the worker receives as `workerData`. */
export interface VerificationWorkerData {
  buffer: SharedArrayBuffer;
  layout: VerificationRingLayout;
  /** Milliseconds of busy-waiting before sleeping on an empty ring: a short gap between jobs then costs no futex wake-up. */
  spinMs: number;
}

/**
 * Verifies ring slots until the main thread sets `shutdown`. Keys are
 * imported from the slot's SPKI on first sight of a key id and kept (up to
 * 256; then the cache starts again).
 */
export function verificationWorkerLoop(threads: typeof WorkerThreads, crypto: typeof Crypto): void {
  const { buffer, layout, spinMs } = threads.workerData as VerificationWorkerData;
  const control = new Int32Array(buffer, 0, layout.controlBytes >> 2);
  const bytes = new Uint8Array(buffer);
  const c = layout.control;
  const f = layout.slot;
  const hashes = [null, 'sha256', 'sha384', 'sha512'];
  const keys = new Map<number, Crypto.KeyObject | null>();
  const keyFor = (id: number, spki: Uint8Array): Crypto.KeyObject | null => {
    let key = keys.get(id);
    if (key === undefined) {
      try {
        key = crypto.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      } catch {
        key = null;
      }
      // Callers hold one verifier per key; a caller making one per signature must not grow this without end.
      if (keys.size >= 256) keys.clear();
      keys.set(id, key);
    }
    return key;
  };
  const headers = Array.from(
    { length: layout.slotCount },
    (_, i) => new Int32Array(buffer, layout.controlBytes + i * layout.slotBytes, layout.headerBytes >> 2),
  );
  let completed = Atomics.load(control, c.completed);
  for (;;) {
    if (Atomics.load(control, c.shutdown) === 1) return;
    if (Atomics.load(control, c.submitted) === completed) {
      const spinUntil = performance.now() + spinMs;
      while (Atomics.load(control, c.submitted) === completed && performance.now() < spinUntil);
      if (Atomics.load(control, c.submitted) === completed) {
        Atomics.store(control, c.workerSleeping, 1);
        Atomics.wait(control, c.submitted, completed);
        Atomics.store(control, c.workerSleeping, 0);
      }
      continue;
    }
    const slot = completed % layout.slotCount;
    const header = headers[slot]!;
    const spkiStart = layout.controlBytes + slot * layout.slotBytes + layout.headerBytes;
    const dataStart = spkiStart + header[f.spkiLength]!;
    const signatureStart = dataStart + header[f.dataLength]!;
    const key = keyFor(header[f.keyId]!, bytes.subarray(spkiStart, dataStart));
    let valid = false;
    if (key !== null) {
      const input: Crypto.VerifyKeyObjectInput = { key };
      if (header[f.dsaDer] === 1) input.dsaEncoding = 'der';
      if (header[f.padding] !== 0) input.padding = header[f.padding]!;
      if (header[f.saltLength]! >= 0) input.saltLength = header[f.saltLength]!;
      try {
        valid = crypto.verify(
          hashes[header[f.hash]!] ?? null,
          bytes.subarray(dataStart, signatureStart),
          input,
          bytes.subarray(signatureStart, signatureStart + header[f.signatureLength]!),
        );
      } catch {
        valid = false;
      }
    }
    header[f.result] = valid ? 1 : 0;
    completed++;
    Atomics.store(control, c.completed, completed);
    if (Atomics.load(control, c.mainWaiting) === 1) {
      Atomics.store(control, c.mainWaiting, 0);
      Atomics.notify(control, c.completed);
    }
  }
}
