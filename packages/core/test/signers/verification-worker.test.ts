import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../../src/logger.js';
import type { SignatureAlgorithm } from '../../src/signer.js';
import { generateSoftwareSigner, type SoftwareKeyType, type SoftwareSigner } from '../../src/signers/software.js';
import {
  createVerificationWorker,
  createVerificationWorkerOn,
  startVerificationThread,
  type VerificationWorker,
} from '../../src/signers/verification-worker.js';

/** A signature with one bit flipped in its last octet. */
function corrupt(signature: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(signature);
  copy[copy.length - 1]! ^= 0x01;
  return copy;
}

describe('verification worker', () => {
  const open: VerificationWorker[] = [];
  let logger = memoryLogger();
  /** A worker closed after the test, whose thread must not have failed unless the test expects it. */
  const track = (w: VerificationWorker): VerificationWorker => {
    open.push(w);
    return w;
  };
  const started = (options: Parameters<typeof createVerificationWorker>[0] = {}): VerificationWorker =>
    track(createVerificationWorker({ ...options, logger }));
  afterEach(async () => {
    await Promise.all(open.splice(0).map((w) => w.close()));
    logger = memoryLogger();
  });
  const failures = () => logger.events.filter((e) => e.event === 'verification_worker.failed');

  const cases: Array<[SoftwareKeyType, SignatureAlgorithm | undefined]> = [
    ['P-256', undefined],
    ['P-384', undefined],
    ['RSA-2048', undefined],
    ['RSA-2048', 'rsassa-pss-sha256'],
    ['Ed25519', undefined],
  ];
  const signers = new Map<string, SoftwareSigner>();
  beforeAll(async () => {
    for (const [type, algorithm] of cases) {
      signers.set(`${type} ${algorithm ?? ''}`, await generateSoftwareSigner(type, algorithm === undefined ? {} : { algorithm }));
    }
  });

  it.each(cases)('verifies %s (%s) signatures on the thread: good ones true, a flipped bit or other data false', async (type, algorithm) => {
    const signer = signers.get(`${type} ${algorithm ?? ''}`)!;
    const worker = started();
    const verifier = worker.verifierFor(signer.publicKeySpki);
    const data = randomBytes(700);
    const signature = await signer.sign(data);
    const answers = [
      verifier.verify(signer.algorithm, data, signature),
      verifier.verify(signer.algorithm, data, corrupt(signature)),
      verifier.verify(signer.algorithm, randomBytes(700), signature),
    ];
    // Handed over, not answered on this thread.
    expect(worker.pending).toBe(3);
    expect(await Promise.all(answers)).toEqual([true, false, false]);
    expect(failures()).toEqual([]);
    expect(verifier.verifySync(signer.algorithm, data, signature)).toBe(true);
    expect(worker.pending).toBe(0);
  });

  it('answers false without a hand-over for an algorithm that does not fit the key, and for a malformed key', async () => {
    const signer = signers.get('P-256 ')!;
    const worker = started();
    const data = randomBytes(100);
    const signature = await signer.sign(data);
    const wrongAlgorithm = worker.verifierFor(signer.publicKeySpki);
    expect(await wrongAlgorithm.verify('sha256WithRSAEncryption', data, signature)).toBe(false);
    const malformed = worker.verifierFor(signer.publicKeySpki.subarray(0, 40));
    expect(await malformed.verify(signer.algorithm, data, signature)).toBe(false);
    expect(worker.pending).toBe(0);
  });

  it('keeps answers in order when far more jobs than slots are in flight, across several keys', async () => {
    const worker = started({ slots: 2 });
    const keys = [signers.get('P-256 ')!, signers.get('Ed25519 ')!, signers.get('RSA-2048 rsassa-pss-sha256')!];
    const verifiers = keys.map((k) => worker.verifierFor(k.publicKeySpki));
    const jobs = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const signer = keys[i % keys.length]!;
        const data = randomBytes(50 + i);
        const signature = await signer.sign(data);
        const valid = i % 4 !== 0;
        return { i, signer, data, signature: valid ? signature : corrupt(signature), valid };
      }),
    );
    const answers = await Promise.all(jobs.map((j) => verifiers[j.i % keys.length]!.verify(j.signer.algorithm, j.data, j.signature)));
    expect(answers).toEqual(jobs.map((j) => j.valid));
    expect(worker.pending).toBe(0);
    expect(failures()).toEqual([]);
  });

  it('stays right when a caller makes a verifier per signature (more keys than the thread keeps)', async () => {
    const keys = [signers.get('P-256 ')!, signers.get('P-384 ')!];
    const worker = started();
    const data = randomBytes(80);
    const signatures = await Promise.all(keys.map((k) => k.sign(data)));
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => {
        const k = i % 2;
        // Every third one is checked against the other key's signature.
        const signature = i % 3 === 0 ? signatures[1 - k]! : signatures[k]!;
        return worker.verifierFor(keys[k]!.publicKeySpki).verify(keys[k]!.algorithm, data, signature);
      }),
    );
    expect(answers).toEqual(Array.from({ length: 300 }, (_, i) => i % 3 !== 0));
    expect(failures()).toEqual([]);
  });

  it('verifies a job too large for a slot on the calling thread, correctly', async () => {
    const signer = signers.get('P-256 ')!;
    const worker = started({ slotBytes: 1024 });
    const verifier = worker.verifierFor(signer.publicKeySpki);
    const big = randomBytes(4000);
    const signature = await signer.sign(big);
    expect(await verifier.verify(signer.algorithm, big, signature)).toBe(true);
    expect(await verifier.verify(signer.algorithm, big, corrupt(signature))).toBe(false);
  });

  it('refuses a ring it cannot lay out', () => {
    expect(() => createVerificationWorker({ slots: 0 })).toThrow(RangeError);
    expect(() => createVerificationWorker({ slotBytes: 100 })).toThrow(RangeError);
  });

  it('when the thread dies under load, answers every job in hand on the calling thread, reports it, and goes on', async () => {
    const signer = signers.get('P-256 ')!;
    let thread: Worker | undefined;
    const worker = track(
      createVerificationWorkerOn({ logger, slots: 4 }, (data) => {
        thread = startVerificationThread(data);
        return thread;
      }),
    );
    const verifier = worker.verifierFor(signer.publicKeySpki);
    const jobs = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const data = randomBytes(64);
        const signature = await signer.sign(data);
        return { data, signature: i % 3 === 0 ? corrupt(signature) : signature, valid: i % 3 !== 0 };
      }),
    );
    const answers = jobs.map((j) => verifier.verify(signer.algorithm, j.data, j.signature));
    // Let the thread answer some, then stop it with most still in hand.
    await Promise.all(answers.slice(0, 20));
    expect(worker.pending).toBeGreaterThan(100);
    await thread!.terminate();
    expect(await Promise.all(answers)).toEqual(jobs.map((j) => j.valid));
    expect(failures()).toMatchObject([{ level: 'error' }]);
    const later = randomBytes(64);
    expect(await verifier.verify(signer.algorithm, later, await signer.sign(later))).toBe(true);
    expect(await verifier.verify(signer.algorithm, later, corrupt(await signer.sign(later)))).toBe(false);
    expect(worker.pending).toBe(0);
  });

  it('when no thread can be started, verifies on the calling thread and reports it once', async () => {
    const signer = signers.get('P-256 ')!;
    const worker = track(
      createVerificationWorkerOn({ logger }, () => {
        throw new Error('ERR_WORKER_INIT_FAILED (simulated)');
      }),
    );
    const verifier = worker.verifierFor(signer.publicKeySpki);
    const data = randomBytes(64);
    const signature = await signer.sign(data);
    const answers = await Promise.all([
      verifier.verify(signer.algorithm, data, signature),
      verifier.verify(signer.algorithm, data, corrupt(signature)),
      verifier.verify(signer.algorithm, data, signature),
    ]);
    expect(answers).toEqual([true, false, true]);
    expect(failures()).toMatchObject([{ level: 'error', error: 'ERR_WORKER_INIT_FAILED (simulated)' }]);
    expect(worker.pending).toBe(0);
  });

  it('close() lets the jobs in hand finish, stops the thread, and verifies on the calling thread afterwards', async () => {
    const signer = signers.get('P-256 ')!;
    let thread: Worker | undefined;
    const worker = createVerificationWorkerOn({}, (data) => {
      thread = startVerificationThread(data);
      return thread;
    });
    const verifier = worker.verifierFor(signer.publicKeySpki);
    const data = randomBytes(64);
    const signature = await signer.sign(data);
    const inHand = Array.from({ length: 20 }, () => verifier.verify(signer.algorithm, data, signature));
    const exited = new Promise<number>((resolve) => thread!.once('exit', resolve));
    await worker.close();
    expect(await Promise.all(inHand)).toEqual(Array.from({ length: 20 }, () => true));
    await exited;
    expect(await verifier.verify(signer.algorithm, data, signature)).toBe(true);
    expect(await verifier.verify(signer.algorithm, data, corrupt(signature))).toBe(false);
    await worker.close();
  });

  it('closing a worker that never started does not start one', async () => {
    let started = 0;
    const worker = createVerificationWorkerOn({}, (data) => {
      started++;
      return startVerificationThread(data);
    });
    await worker.close();
    const signer = signers.get('P-256 ')!;
    const data = randomBytes(64);
    expect(await worker.verifierFor(signer.publicKeySpki).verify(signer.algorithm, data, await signer.sign(data))).toBe(true);
    expect(started).toBe(0);
  });

  it('does not hold the process open once its work is done, even never closed (built package)', async () => {
    const child = fileURLToPath(new URL('./verification-worker-child.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [child], { timeout: 20_000 });
    expect(stdout).toBe('50 verified, 0 pending\n');
  });
});
