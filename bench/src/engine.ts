import {
  IssuerSet,
  MemoryStore,
  buildCsr,
  createIntermediateCa,
  createIssuanceEngine,
  createRootCa,
  cryptoRandom,
  defineProfile,
  generateSoftwareSigner,
  systemClock,
  type Identifier,
} from '@certwright/core';
import { measureRate, type Benchmark, type BenchResult } from './harness.js';

/**
 * Issuance-engine throughput: complete write-ahead issuances (reserve serial,
 * build TBS, lint, store planned, sign, verify, store issued) per second with
 * a P-256 issuer and a full profile (about ten extensions), next to the raw
 * P-256 signature rate of the same issuer key in the same run. Storage is
 * the in-memory store, so the figure is the engine's own cost.
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
    const store = new MemoryStore();
    const engine = createIssuanceEngine({ store, issuers: new IssuerSet([issuer]), profiles: [profile], clock, random });
    const identifiers: Identifier[] = [
      { type: 'dns', value: 'www.example.com' },
      { type: 'dns', value: 'example.com' },
      { type: 'dns', value: 'api.example.com' },
    ];
    const leafKey = await generateSoftwareSigner('P-256');
    const csrDer = await buildCsr({ signer: leafKey, identifiers });
    const prepared = await engine.prepare({ csrDer, identifiers });
    const sample = (await engine.issue(prepared)).certificateDer;
    const tbsSized = sample.subarray(0, sample.length - 80);

    const durationMs = quick ? 1500 : 5000;
    const warmupMs = quick ? 300 : 1000;
    const raw = await measureRate(() => issuer.signer.sign(tbsSized), { durationMs, warmupMs });
    const issued = await measureRate(() => engine.issue(prepared), { durationMs, warmupMs });
    const issuedConcurrent = await measureRate(() => engine.issue(prepared), { durationMs, warmupMs, concurrency: 8 });
    const prepareRate = await measureRate(() => engine.prepare({ csrDer, identifiers }), { durationMs: durationMs / 2, warmupMs });
    const rawSig = { name: 'raw P-256 signatures (same key)', value: raw, unit: 'ops/s' };
    return [
      { group: 'engine', name: 'raw P-256 signatures', value: raw, unit: 'ops/s' },
      {
        group: 'engine',
        name: 'leaf certificates, full profile, P-256 issuer',
        value: issued,
        unit: 'ops/s',
        baseline: rawSig,
        ratio: issued / raw,
        notes: `${sample.length}-byte certificates, in-memory store, one at a time`,
      },
      {
        group: 'engine',
        name: 'leaf certificates, full profile, P-256 issuer, 8 concurrent',
        value: issuedConcurrent,
        unit: 'ops/s',
        baseline: rawSig,
        ratio: issuedConcurrent / raw,
        notes: 'signing on the event loop, verification on the thread pool, overlapping across issuances',
      },
      { group: 'engine', name: 'finalize checks (CSR parse + signature + key policy + name match)', value: prepareRate, unit: 'ops/s', baseline: rawSig, ratio: prepareRate / raw },
    ];
  },
};
