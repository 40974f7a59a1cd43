import { createTestHierarchy } from '@certwright/core/testing';
import { generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  IssuerSet,
  MemoryStore,
  buildCsr,
  createIssuanceEngine,
  cryptoRandom,
  defaultProfiles,
  generateSoftwareSigner,
  systemClock,
} from '@certwright/core';
import type { Clock, Issuer, SctCollector, WriteAheadIssuanceEngine } from '@certwright/core';
import { HASH_ALGORITHM_SHA256, SIGNATURE_ALGORITHM, logIdOf, sctSignedData } from '../src/index.js';
import type { CtLogEntry, SignedCertificateTimestamp } from '../src/index.js';

export interface Hierarchy {
  root: Issuer;
  intermediate: Issuer;
}

let shared: Promise<Hierarchy> | undefined;

/** One P-256 root and intermediate per test file, on the system clock (SCT timestamps are real time). */
export function hierarchy(): Promise<Hierarchy> {
  shared ??= (async () => {
    const { root, intermediate } = await createTestHierarchy({ name: 'CT Test' });
    return { root, intermediate };
  })();
  return shared;
}

/** An issuance engine over a fresh MemoryStore with the shared hierarchy. */
export async function engineWith(ct: SctCollector | undefined, clock: Clock = systemClock()): Promise<{ engine: WriteAheadIssuanceEngine; store: MemoryStore; h: Hierarchy }> {
  const h = await hierarchy();
  const store = new MemoryStore();
  const engine = createIssuanceEngine({ store, issuers: new IssuerSet([h.intermediate]), profiles: defaultProfiles(), clock, random: cryptoRandom(), ...(ct ? { ct } : {}) });
  return { engine, store, h };
}

/** Issues for `names` with a fresh P-256 key. */
export async function issueFor(engine: WriteAheadIssuanceEngine, names: string[]): ReturnType<WriteAheadIssuanceEngine['issue']> {
  const identifiers = names.map((value) => ({ type: 'dns' as const, value }));
  const csrDer = await buildCsr({ signer: await generateSoftwareSigner('P-256'), identifiers });
  return engine.issue(await engine.prepare({ csrDer, identifiers }));
}

/** A log key pair for hand-made SCTs. */
export function logKeyPair(kind: 'ec' | 'rsa' = 'ec'): { privateKey: KeyObject; spki: Uint8Array } {
  const pair = kind === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey: pair.privateKey, spki: new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' })) };
}

/** Signs an SCT for `entry` as a log with `key` would. */
export function makeSct(key: { privateKey: KeyObject; spki: Uint8Array }, entry: CtLogEntry, timestamp: number, extensions = new Uint8Array(0)): SignedCertificateTimestamp {
  const data = sctSignedData({ timestamp, extensions }, entry);
  const signature = new Uint8Array(sign('sha256', data, key.privateKey));
  const algorithm = key.privateKey.asymmetricKeyType === 'rsa' ? SIGNATURE_ALGORITHM.rsa : SIGNATURE_ALGORITHM.ecdsa;
  const ds = { hashAlgorithm: HASH_ALGORITHM_SHA256, signatureAlgorithm: algorithm, signature };
  return { version: 0, logId: logIdOf(key.spki), timestamp, extensions, signature: ds };
}

/** A collector that records the precertificate and returns a fixed list. */
export function capturingCollector(list: () => Uint8Array): SctCollector & { precertificates: Uint8Array[] } {
  const precertificates: Uint8Array[] = [];
  return {
    precertificates,
    async collect(pre) {
      precertificates.push(pre);
      return list();
    },
  };
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
