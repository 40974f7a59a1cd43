/**
 * OCSP and CRL benchmarks.
 *
 * - Pre-signed OCSP responses per second from the certwright handler served
 *   by node:http on loopback, next to OpenSSL's own responder
 *   (`openssl ocsp -port`, with an index.txt for the same certificates and
 *   the same issuer key) in the same run. One load generator for both: Node
 *   http with a keep-alive agent, 16 requests in flight, POST requests
 *   rotating over the same certificates. OpenSSL's responder answers
 *   HTTP/1.0 and closes each connection, so its figure includes a TCP
 *   connect per request; it also signs every response on demand.
 * - CRL generation (encode + sign, P-256 issuer) for 10,000 and 1,000,000
 *   revoked entries (the latter only without `--quick`). The entries are
 *   built directly rather than read from the store (a million records in
 *   MemoryStore would measure the store); the 10,000 case is also measured
 *   through the publisher, which reads them from MemoryStore.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  IssuerSet,
  MemoryStore,
  buildCsr,
  createIntermediateCa,
  createIssuanceEngine,
  createRootCa,
  cryptoRandom,
  der,
  defineProfile,
  generateSoftwareSigner,
  systemClock,
  toPem,
  type Issuer,
  type RevocationReason,
} from '@certwright/core';
import { MemoryCrlNumberStore, certIdDer, createCrlPublisher, createOcspResponder, signCrl, type CrlEntry, type OcspResponder } from '@certwright/ocsp';
import { measureRate, type Benchmark, type BenchResult } from './harness.js';

const CONCURRENCY = 16;
const LEAVES = 50;

function ocspRequest(issuer: Issuer, serialHex: string): Uint8Array {
  const h = issuer.hashes.sha1;
  return der.encodeDer(der.sequence(der.sequence(der.sequence(der.sequence(certIdDer({ hashAlgorithm: 'sha1', issuerNameHash: h.nameHash, issuerKeyHash: h.keyHash, serialHex }))))));
}

/** POSTs one OCSP request; resolves when the whole response has arrived, rejects unless it is HTTP 200. */
function post(agent: Agent, port: number, body: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-type': 'application/ocsp-request', 'content-length': body.length } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function serveHandler(responder: OcspResponder): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void responder
        .handle({ method: req.method ?? 'GET', url: `http://127.0.0.1${req.url ?? '/'}`, headers: req.headers, body: new Uint8Array(Buffer.concat(chunks)) })
        .then((r) => {
          res.writeHead(r.status, r.headers);
          res.end(r.body === undefined ? undefined : typeof r.body === 'string' ? r.body : Buffer.from(r.body));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** openssl ca index.txt time format: YYMMDDHHMMSSZ. */
function indexTime(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
}

/** Starts `openssl ocsp -port` and resolves once it says it is listening (a probe connection would wedge it). */
async function startOpensslResponder(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn('openssl', ['ocsp', '-port', String(port), '-index', 'index.txt', '-CA', 'inter.pem', '-rsigner', 'inter.pem', '-rkey', 'inter.key', '-nmin', '60'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`openssl ocsp responder did not start: ${seen}`)), 10_000);
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString();
      if (seen.includes('waiting for OCSP client connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`openssl ocsp exited with ${code}: ${seen}`)));
  });
  return child;
}

async function crlGeneration(issuer: Issuer, count: number): Promise<number> {
  const base = Date.UTC(2026, 0, 1);
  const reasons: RevocationReason[] = [0, 1, 4, 5];
  function* entries(): Generator<CrlEntry> {
    for (let i = 0; i < count; i++) {
      yield { serial: `7f${(i + 1).toString(16).padStart(30, '0')}`, revokedAt: new Date(base + i * 1000), reason: reasons[i % reasons.length]! };
    }
  }
  const start = performance.now();
  await signCrl({ thisUpdate: new Date(base + count * 1000), nextUpdate: new Date(base + count * 1000 + 7 * 86400e3), number: 1n, distributionPointUrl: 'http://crl.example.test/bench/0.crl', entries: entries() }, issuer);
  return performance.now() - start;
}

/** See the module comment. */
export const ocspBenchmark: Benchmark = {
  name: 'ocsp',
  async run({ quick, tmpDir }): Promise<BenchResult[]> {
    const clock = systemClock();
    const random = cryptoRandom();
    const root = await createRootCa({ subject: [{ type: 'CN', value: 'Bench Root' }], keyType: 'P-256', validitySeconds: 3650 * 86400, clock, random });
    const interKey = await generateSoftwareSigner('P-256');
    const issuer = await createIntermediateCa({ root, subject: [{ type: 'CN', value: 'Bench Issuing CA' }], signer: interKey, validitySeconds: 365 * 86400, clock, random });
    const store = new MemoryStore();
    const profile = defineProfile({
      name: 'bench',
      validitySeconds: 90 * 86400,
      backdateSeconds: 3600,
      keyUsage: 'auto',
      extKeyUsages: ['serverAuth'],
      commonName: 'firstSan',
      includeSki: false,
      ocspUrl: 'http://127.0.0.1/',
      policies: [],
      mustStaple: false,
      allowedKeyTypes: ['P-256'],
    });
    const engine = createIssuanceEngine({ store, issuers: new IssuerSet([issuer]), profiles: [profile], clock, random });
    const leafKey = await generateSoftwareSigner('P-256');
    const index: string[] = [];
    const requests: Uint8Array[] = [];
    for (let i = 0; i < LEAVES; i++) {
      const identifiers = [{ type: 'dns' as const, value: `host${i}.bench.test` }];
      const issued = await engine.issue(await engine.prepare({ csrDer: await buildCsr({ signer: leafKey, identifiers }), identifiers }));
      requests.push(ocspRequest(issuer, issued.serial));
      index.push(['V', indexTime(issued.notAfter), '', issued.serial.toUpperCase(), 'unknown', `/CN=host${i}.bench.test`].join('\t'));
    }
    writeFileSync(join(tmpDir, 'index.txt'), index.join('\n') + '\n');
    writeFileSync(join(tmpDir, 'inter.pem'), toPem(issuer.certificate, 'CERTIFICATE'));
    writeFileSync(join(tmpDir, 'inter.key'), interKey.exportPrivateKeyPem());

    const responder = await createOcspResponder({ store, issuers: new IssuerSet([issuer]), clock });
    const presigned = await responder.refresh();
    const server = await serveHandler(responder);
    const ourPort = (server.address() as AddressInfo).port;
    const opensslPort = await freePort();
    const openssl = await startOpensslResponder(tmpDir, opensslPort);

    const durationMs = quick ? 1500 : 5000;
    const warmupMs = quick ? 300 : 1000;
    const load = async (port: number): Promise<number> => {
      const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      let n = 0;
      try {
        return await measureRate(() => post(agent, port, requests[n++ % requests.length]!), { durationMs, warmupMs, concurrency: CONCURRENCY });
      } finally {
        agent.destroy();
      }
    };
    let ours: number;
    let theirs: number;
    try {
      ours = await load(ourPort);
      theirs = await load(opensslPort);
    } finally {
      openssl.kill();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await responder.close();
    }

    const results: BenchResult[] = [
      {
        group: 'ocsp',
        name: 'pre-signed OCSP responses over HTTP (certwright handler, node:http)',
        value: ours,
        unit: 'req/s',
        baseline: { name: 'openssl ocsp -port (same certificates and key)', value: theirs, unit: 'req/s' },
        ratio: ours / theirs,
        notes: `${CONCURRENCY} in flight, keep-alive Node client for both, ${LEAVES} certificates (${presigned.signed} pre-signed); openssl closes each connection and signs per request`,
      },
    ];

    const tenK = await crlGeneration(issuer, 10_000);
    results.push({ group: 'ocsp', name: 'CRL generation, 10,000 entries (encode + sign)', value: tenK, unit: 'ms', notes: 'entries built directly' });

    const crlStore = new MemoryStore();
    const notAfter = new Date(clock.now().getTime() + 30 * 86400e3);
    for (let i = 0; i < 10_000; i++) {
      const serial = `7e${(i + 1).toString(16).padStart(30, '0')}`;
      await crlStore.reserveSerial({ serial, issuerId: issuer.id, identifiers: [], crlShard: 0, createdAt: clock.now() });
      await crlStore.recordPlanned(serial, { plannedTbs: Uint8Array.of(0x30, 0), notBefore: clock.now(), notAfter, updatedAt: clock.now() });
      await crlStore.revoke(serial, 1, clock.now());
    }
    const publisher = createCrlPublisher({ store: crlStore, issuers: new IssuerSet([issuer]), clock, crlNumbers: new MemoryCrlNumberStore(), shardCount: 1 });
    const t0 = performance.now();
    const viaStore = await publisher.generate(issuer.id, 0);
    results.push({ group: 'ocsp', name: 'CRL generation, 10,000 entries through the publisher (MemoryStore)', value: performance.now() - t0, unit: 'ms', notes: `${viaStore.der.length} bytes` });

    if (!quick) {
      const million = await crlGeneration(issuer, 1_000_000);
      results.push({ group: 'ocsp', name: 'CRL generation, 1,000,000 entries (encode + sign)', value: million, unit: 'ms', notes: 'entries built directly (not through the store)' });
    }
    return results;
  },
};
