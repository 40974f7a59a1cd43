import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FakeClock,
  IssuerSet,
  MemoryStore,
  buildCsr,
  createIntermediateCa,
  createIssuanceEngine,
  createIssuer,
  createRootCa,
  cryptoRandom,
  defineProfile,
  generateSoftwareSigner,
  toPem,
  type Issuer,
  type IssuedCertificate,
  type Profile,
  type WriteAheadIssuanceEngine,
} from '@certwright/core';
import type { OcspHttpRequest, OcspHttpResponse } from '../src/index.js';

/** The CRL URL template of the test profile. */
export const CRL_TEMPLATE = 'http://127.0.0.1/crl/{issuerId}/{shard}.crl';
export const SHARDS = 4;

/** A profile with OCSP and sharded CRL URLs. */
export function testProfile(): Profile {
  return defineProfile({
    name: 'test',
    validitySeconds: 90 * 86400,
    backdateSeconds: 3600,
    keyUsage: 'auto',
    extKeyUsages: ['serverAuth'],
    commonName: 'firstSan',
    includeSki: false,
    ocspUrl: 'http://127.0.0.1/ocsp/',
    crl: { urlTemplate: CRL_TEMPLATE, shardCount: SHARDS },
    policies: [],
    mustStaple: false,
    allowedKeyTypes: ['P-256', 'RSA-2048'],
  });
}

/** A CA: root, an active intermediate, optionally a retired one, an engine issuing from the active one. */
export interface TestCa {
  clock: FakeClock;
  store: MemoryStore;
  root: Issuer;
  active: Issuer;
  retired: Issuer;
  issuers: IssuerSet;
  engine: WriteAheadIssuanceEngine;
  /** An engine issuing from the retired intermediate (made before it was retired, in key-rollover tests). */
  retiredEngine: WriteAheadIssuanceEngine;
  issue(name?: string, engine?: WriteAheadIssuanceEngine): Promise<IssuedCertificate>;
}

/** Builds a CA whose clock starts at the real time (openssl checks validity against the system clock). */
export async function testCa(): Promise<TestCa> {
  const clock = new FakeClock(new Date());
  const random = cryptoRandom();
  const store = new MemoryStore();
  const root = await createRootCa({ subject: [{ type: 'CN', value: 'OCSP Test Root' }], keyType: 'P-256', validitySeconds: 10 * 365 * 86400, clock, random, id: 'root' });
  const retiredIssuer = await createIntermediateCa({ root, subject: [{ type: 'CN', value: 'OCSP Test CA 1' }], keyType: 'P-256', validitySeconds: 2 * 365 * 86400, clock, random, id: 'ca1' });
  const active = await createIntermediateCa({ root, subject: [{ type: 'CN', value: 'OCSP Test CA 2' }], keyType: 'P-256', validitySeconds: 2 * 365 * 86400, clock, random, id: 'ca2' });
  const retired = createIssuer({ certificate: retiredIssuer.certificate, signer: retiredIssuer.signer, chain: retiredIssuer.chain.slice(1), status: 'retired', id: 'ca1' });
  const issuers = new IssuerSet([active, retired]);
  const profiles = [testProfile()];
  const engine = createIssuanceEngine({ store, issuers, profiles, clock, random });
  const retiredEngine = createIssuanceEngine({ store, issuers: new IssuerSet([retiredIssuer]), profiles, clock, random });
  let n = 0;
  return {
    clock,
    store,
    root,
    active,
    retired,
    issuers,
    engine,
    retiredEngine,
    async issue(name, which = engine) {
      const identifiers = [{ type: 'dns' as const, value: name ?? `host${++n}.example.test` }];
      const csrDer = await buildCsr({ signer: await generateSoftwareSigner('P-256'), identifiers });
      return which.issue(await which.prepare({ csrDer, identifiers }));
    },
  };
}

/** Anything with the handler shape. */
export interface Handler {
  handle(req: OcspHttpRequest): Promise<OcspHttpResponse>;
}

/** Serves `handler` with node:http on 127.0.0.1:0. */
export async function serve(handler: Handler): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 0 ? undefined : new Uint8Array(Buffer.concat(chunks));
      const host = req.headers.host ?? '127.0.0.1';
      void handler.handle({ method: req.method ?? 'GET', url: `http://${host}${req.url ?? '/'}`, headers: req.headers, body }).then((r) => {
        res.writeHead(r.status, r.headers);
        res.end(r.body === undefined ? undefined : typeof r.body === 'string' ? r.body : Buffer.from(r.body));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A temp directory to run openssl in. */
export interface OpensslDir {
  dir: string;
  path(name: string): string;
  writePem(name: string, ders: readonly Uint8Array[], label?: string): string;
  write(name: string, data: Uint8Array | string): string;
  /** Runs openssl asynchronously (the server answering it lives in this process); never rejects. */
  run(args: string[]): Promise<{ ok: boolean; output: string }>;
  cleanup(): void;
}

export function opensslDir(): OpensslDir {
  const dir = mkdtempSync(join(tmpdir(), 'certwright-ocsp-'));
  return {
    dir,
    path: (name) => join(dir, name),
    writePem(name, ders, label = 'CERTIFICATE') {
      const p = join(dir, name);
      writeFileSync(p, ders.map((d) => toPem(d, label)).join(''));
      return p;
    },
    write(name, data) {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    },
    run(args) {
      return new Promise((resolve) => {
        execFile('openssl', args, { cwd: dir, encoding: 'utf8' }, (err, stdout, stderr) => {
          resolve({ ok: err === null, output: `${stdout}${stderr}` });
        });
      });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Puts a record straight into the store (no signing), in `state`, for status and CRL tests. */
export async function addRecord(
  store: MemoryStore,
  options: { serial: string; issuerId: string; notAfter: Date; at: Date; state: 'reserved' | 'planned' | 'precertificate' | 'issued' | 'abandoned'; crlShard?: number },
): Promise<void> {
  const { serial, issuerId, at } = options;
  await store.reserveSerial({ serial, issuerId, identifiers: [{ type: 'dns', value: 'x.example.test' }], crlShard: options.crlShard ?? 0, createdAt: at });
  if (options.state === 'reserved') return;
  if (options.state === 'abandoned') {
    await store.recordAbandoned(serial, at);
    return;
  }
  await store.recordPlanned(serial, { plannedTbs: Uint8Array.of(0x30, 0), notBefore: at, notAfter: options.notAfter, updatedAt: at });
  if (options.state === 'precertificate') await store.recordPrecertificate(serial, Uint8Array.of(0x30, 0), at);
  if (options.state === 'issued') await store.recordIssued(serial, Uint8Array.of(0x30, 0), at);
}
