import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@certwright/core';
import { createCtLogClient, encodeSctList, logIdOf } from '../src/index.js';
import type { CtLogError } from '../src/index.js';
import { startTestLog } from '../src/testing/index.js';
import { capturingCollector, engineWith, hex, issueFor } from './helpers.js';

async function statusOf(p: Promise<unknown>): Promise<number> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  return err === undefined ? 200 : ((err as CtLogError).status ?? -1);
}

describe('test log knobs and endpoints', () => {
  it('signs with a given P-256 key, and refuses other key types', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const log = await startTestLog({ privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string });
    try {
      const spki = new Uint8Array(pair.publicKey.export({ type: 'spki', format: 'der' }));
      expect(hex(log.publicKeyDer)).toBe(hex(spki));
      expect(hex(log.logId)).toBe(hex(logIdOf(spki)));
      expect(log.config()).toEqual({ url: log.url, publicKey: log.publicKeyPem, operator: 'Test Operator', name: log.name });
    } finally {
      await log.close();
    }
    await expect(startTestLog({ privateKey: generateKeyPairSync('ed25519').privateKey })).rejects.toThrow(/must be an ECDSA P-256 private key/);
  });

  it('answers a share of requests with HTTP 500 under errorRate (seeded, so reproducible)', async () => {
    const log = await startTestLog({ random: seededRandom(7), faults: { errorRate: 0.5 } });
    try {
      const client = createCtLogClient({ url: log.url });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push(await statusOf(client.getSth()));
      const failures = statuses.filter((s) => s === 500).length;
      expect(failures).toBeGreaterThan(0);
      expect(failures).toBeLessThan(30);
      expect(statuses.every((s) => s === 200 || s === 500)).toBe(true);
      log.faults.errorRate = 1;
      expect(await statusOf(client.getSth())).toBe(500);
      log.faults.errorRate = 0;
      expect(await statusOf(client.getSth())).toBe(200);
    } finally {
      await log.close();
    }
  });

  it('delays answers by latencyMs', async () => {
    const log = await startTestLog({ faults: { latencyMs: 150 } });
    try {
      const started = performance.now();
      await createCtLogClient({ url: log.url }).getSth();
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    } finally {
      await log.close();
    }
  });

  it('answers 404 for unknown endpoints and unknown leaves, 405 for the wrong method, 400 for bad proof parameters', async () => {
    const log = await startTestLog();
    try {
      expect((await fetch(`${log.url}/ct/v1/get-entries?start=0&end=1`)).status).toBe(404);
      expect((await fetch(`${log.url}/ct/v1/add-chain`)).status).toBe(405);
      expect((await fetch(`${log.url}/ct/v1/get-sth`, { method: 'POST' })).status).toBe(405);
      expect((await fetch(`${log.url}/ct/v1/add-chain`, { method: 'POST', body: 'not json' })).status).toBe(400);
      expect((await fetch(`${log.url}/ct/v1/add-chain`, { method: 'POST', body: '{"chain":[]}' })).status).toBe(400);
      const client = createCtLogClient({ url: log.url });
      const collector = capturingCollector(() => encodeSctList([Uint8Array.of(1)]));
      const { engine, h } = await engineWith(collector);
      const issued = await issueFor(engine, ['knobs.example']);
      await client.addChain([issued.certificateDer, ...h.intermediate.chain]);
      expect(await statusOf(client.getProofByHash(new Uint8Array(32), 1))).toBe(404);
      expect(await statusOf(client.getProofByHash(log.entries[0]!.leafHash, 2))).toBe(400);
      expect((await fetch(`${log.url}/ct/v1/get-proof-by-hash?hash=abc&tree_size=1`)).status).toBe(400);
      const proof = await client.getProofByHash(log.entries[0]!.leafHash, 1);
      expect(proof).toEqual({ leafIndex: 0, auditPath: [] });
      expect(log.requests['get-proof-by-hash']).toBe(4);
    } finally {
      await log.close();
    }
  });
});
