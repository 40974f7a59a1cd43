/**
 * `startTestLog`: an RFC 6962 log in the test process, on a loopback port.
 * It keeps a real Merkle tree (§2.1) of what it accepted, signs SCTs and
 * tree heads with its own P-256 key, and has fault knobs (latency, HTTP 500s,
 * refusal, corrupted SCT signatures) to exercise a submission policy.
 * @module
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { X509Certificate, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { cryptoRandom, decodeTbs, der, EXTENSION_OIDS, splitSigned, systemClock, toPem } from '@certwright/core';
import type { Clock, Random } from '@certwright/core';
import { decodeBase64Strict, encodeBase64 } from '../base64.js';
import type { CtLogConfig } from '../log-list.js';
import { logIdOf } from '../log-key.js';
import { auditPath, leafHash, treeHash } from '../merkle.js';
import { encodeDigitallySigned, HASH_ALGORITHM_SHA256, SCT_VERSION_V1, SIGNATURE_ALGORITHM } from '../sct.js';
import { merkleTreeLeaf, precertEntry, sctSignedData, x509Entry } from '../signed-data.js';
import type { CtLogEntry } from '../signed-data.js';
import { treeHeadSignedData } from '../tree-head.js';

/** Faults the log can be told to show; change them at any time through {@link TestLog.faults}. */
export interface TestLogFaults {
  /** Delay before answering any request, ms. */
  latencyMs?: number;
  /** Share (0..1) of requests answered with HTTP 500. */
  errorRate?: number;
  /** The next `failNext` requests are answered with HTTP 500 (counts down). */
  failNext?: number;
  /** Answer every request with HTTP 400. */
  refuse?: boolean;
  /** Return SCTs whose signature is valid DER but does not verify. */
  badSignature?: boolean;
}

/** Options of {@link startTestLog}; all optional. */
export interface TestLogOptions {
  /** The operator name the log claims (default `Test Operator`). */
  readonly operator?: string;
  /** A short name (default `test-log-<port>`). */
  readonly name?: string;
  /** The P-256 signing key, PEM or KeyObject (default: a fresh one). */
  readonly privateKey?: string | KeyObject;
  /** Accepted roots (DER); when given, a chain must end at or under one of them. Default: any chain. */
  readonly roots?: readonly Uint8Array[];
  /** Time source for SCT and tree head timestamps (default: the system clock). */
  readonly clock?: Clock;
  /** Randomness for `errorRate` (default: the system CSPRNG). */
  readonly random?: Random;
  /** Initial faults. */
  readonly faults?: TestLogFaults;
}

/** One accepted submission. */
export interface TestLogEntry {
  readonly type: CtLogEntry['type'];
  /** The submitted chain, DER; `chain[0]` is the (pre)certificate. */
  readonly chain: readonly Uint8Array[];
  readonly timestamp: number;
  /** The MerkleTreeLeaf (RFC 6962 §3.4) and its leaf hash. */
  readonly leafInput: Uint8Array;
  readonly leafHash: Uint8Array;
}

/** A running test log. */
export interface TestLog {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly name: string;
  readonly operator: string;
  /** The log's public key, PEM (`PUBLIC KEY`) and SPKI DER. */
  readonly publicKeyPem: string;
  readonly publicKeyDer: Uint8Array;
  /** SHA-256 of the SPKI (RFC 6962 §3.2). */
  readonly logId: Uint8Array;
  /** Accepted submissions, in tree order. */
  readonly entries: readonly TestLogEntry[];
  /** The live fault settings (mutate to change behaviour). */
  readonly faults: TestLogFaults;
  /** Requests received so far, by endpoint (`add-pre-chain`, …). */
  readonly requests: Readonly<Record<string, number>>;
  /** This log as a collector configuration entry. */
  config(): CtLogConfig;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

class HttpFailure extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const MAX_BODY = 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > MAX_BODY) throw new HttpFailure(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function hasPoison(der: Uint8Array): boolean {
  return decodeTbs(splitSigned(der).tbs).extensions.some((e) => e.oid === EXTENSION_OIDS.ctPrecertificatePoison);
}

/** Starts a test log on 127.0.0.1 (a free port). */
export async function startTestLog(options: TestLogOptions = {}): Promise<TestLog> {
  const clock = options.clock ?? systemClock();
  const random = options.random ?? cryptoRandom();
  const privateKey = options.privateKey === undefined
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    : typeof options.privateKey === 'string' ? createPrivateKey(options.privateKey) : options.privateKey;
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new RangeError('startTestLog: the log key must be an ECDSA P-256 private key');
  }
  const publicKeyDer = new Uint8Array(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
  const logId = logIdOf(publicKeyDer);
  const roots = (options.roots ?? []).map((r) => new X509Certificate(r));
  const faults: TestLogFaults = { ...options.faults };
  const entries: TestLogEntry[] = [];
  const requests: Record<string, number> = {};
  const closing = new AbortController();

  const signDs = (data: Uint8Array, corrupt = false): Uint8Array => {
    const signed = corrupt ? Uint8Array.from(data, (b, i) => (i === data.length - 1 ? b ^ 0x01 : b)) : data;
    const signature = new Uint8Array(sign('sha256', signed, privateKey));
    return encodeDigitallySigned({ hashAlgorithm: HASH_ALGORITHM_SHA256, signatureAlgorithm: SIGNATURE_ALGORITHM.ecdsa, signature });
  };

  function parseChain(body: string): Uint8Array[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new HttpFailure(400, 'body is not JSON');
    }
    const chain = (parsed as { chain?: unknown } | null)?.chain;
    if (!Array.isArray(chain) || chain.length === 0) throw new HttpFailure(400, 'chain must be a non-empty array');
    return chain.map((c: unknown, i) => {
      const der = typeof c === 'string' ? decodeBase64Strict(c) : undefined;
      if (der === undefined || der.length === 0) throw new HttpFailure(400, `chain[${i}] is not base64`);
      return der;
    });
  }

  /** Loose chain checks: each certificate signed by the next, and the top at or under an accepted root when roots are set. */
  function checkChain(chain: Uint8Array[]): void {
    let certs: X509Certificate[];
    try {
      certs = chain.map((c) => new X509Certificate(c));
    } catch {
      throw new HttpFailure(400, 'chain holds something that is not a certificate');
    }
    for (let i = 0; i + 1 < certs.length; i++) {
      if (!certs[i]!.checkIssued(certs[i + 1]!) || !certs[i]!.verify(certs[i + 1]!.publicKey)) throw new HttpFailure(400, `chain[${i}] is not issued by chain[${i + 1}]`);
    }
    if (roots.length === 0) return;
    const top = certs[certs.length - 1]!;
    const anchored = roots.some((r) => der.compareBytes(new Uint8Array(r.raw), new Uint8Array(top.raw)) === 0 || (top.checkIssued(r) && top.verify(r.publicKey)));
    if (!anchored) throw new HttpFailure(400, 'chain does not lead to an accepted root');
  }

  function addEntry(chain: Uint8Array[], precert: boolean): Record<string, unknown> {
    checkChain(chain);
    let entry: CtLogEntry;
    try {
      if (precert) {
        if (chain.length < 2) throw new HttpFailure(400, 'a precertificate chain needs its issuer');
        entry = precertEntry(chain[0]!, new Uint8Array(new X509Certificate(chain[1]!).publicKey.export({ type: 'spki', format: 'der' })));
      } else {
        if (hasPoison(chain[0]!)) throw new HttpFailure(400, 'add-chain takes certificates, not precertificates');
        entry = x509Entry(chain[0]!);
      }
    } catch (err) {
      if (err instanceof HttpFailure) throw err;
      throw new HttpFailure(400, `not a ${precert ? 'precertificate' : 'certificate'}: ${(err as Error).message}`);
    }
    const timestamp = clock.now().getTime();
    const extensions = new Uint8Array(0);
    const leafInput = merkleTreeLeaf(timestamp, entry, extensions);
    entries.push({ type: entry.type, chain, timestamp, leafInput, leafHash: leafHash(leafInput) });
    return {
      sct_version: SCT_VERSION_V1,
      id: encodeBase64(logId),
      timestamp,
      extensions: '',
      signature: encodeBase64(signDs(sctSignedData({ timestamp, extensions }, entry), faults.badSignature === true)),
    };
  }

  function sth(): Record<string, unknown> {
    const timestamp = clock.now().getTime();
    const rootHash = treeHash(entries.map((e) => e.leafHash));
    return {
      tree_size: entries.length,
      timestamp,
      sha256_root_hash: encodeBase64(rootHash),
      tree_head_signature: encodeBase64(signDs(treeHeadSignedData({ treeSize: entries.length, timestamp, rootHash }))),
    };
  }

  function proofByHash(query: URLSearchParams): Record<string, unknown> {
    const hash = decodeBase64Strict(query.get('hash') ?? '');
    const treeSize = Number(query.get('tree_size'));
    if (hash === undefined || hash.length !== 32) throw new HttpFailure(400, 'hash must be a base64 SHA-256 leaf hash');
    if (!Number.isSafeInteger(treeSize) || treeSize < 1 || treeSize > entries.length) throw new HttpFailure(400, 'tree_size is out of range');
    const hashes = entries.slice(0, treeSize).map((e) => e.leafHash);
    const index = hashes.findIndex((h) => der.compareBytes(h, hash) === 0);
    if (index < 0) throw new HttpFailure(404, 'no such leaf in that tree');
    return { leaf_index: index, audit_path: auditPath(index, hashes).map(encodeBase64) };
  }

  async function route(req: IncomingMessage, url: URL): Promise<Record<string, unknown>> {
    const endpoint = url.pathname.replace(/^\/ct\/v1\//, '');
    const want = (method: string): void => {
      if (req.method !== method) throw new HttpFailure(405, `${endpoint} takes ${method}`);
    };
    switch (endpoint) {
      case 'add-chain':
      case 'add-pre-chain':
        want('POST');
        return addEntry(parseChain(await readBody(req)), endpoint === 'add-pre-chain');
      case 'get-sth':
        want('GET');
        return sth();
      case 'get-roots':
        want('GET');
        return { certificates: roots.map((r) => encodeBase64(new Uint8Array(r.raw))) };
      case 'get-proof-by-hash':
        want('GET');
        return proofByHash(url.searchParams);
      default:
        throw new HttpFailure(404, 'no such endpoint');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://log.invalid');
    const endpoint = url.pathname.replace(/^\/ct\/v1\//, '');
    requests[endpoint] = (requests[endpoint] ?? 0) + 1;
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    try {
      if (faults.latencyMs) await sleep(faults.latencyMs, undefined, { signal: closing.signal });
      if (faults.refuse) throw new HttpFailure(400, 'this log refuses everything');
      if (faults.failNext !== undefined && faults.failNext > 0) {
        faults.failNext--;
        throw new HttpFailure(500, 'forced failure');
      }
      if (faults.errorRate && Buffer.from(random.bytes(4)).readUInt32BE(0) / 2 ** 32 < faults.errorRate) throw new HttpFailure(500, 'random failure');
      send(200, await route(req, url));
    } catch (err) {
      if (res.headersSent || res.destroyed) return;
      if (err instanceof HttpFailure) send(err.status, { success: false, error_message: err.message });
      else send(500, { success: false, error_message: closing.signal.aborted ? 'closing' : 'internal error' });
    }
  }

  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const name = options.name ?? `test-log-${port}`;
  const operator = options.operator ?? 'Test Operator';
  const publicKeyPem = toPem(publicKeyDer, 'PUBLIC KEY');

  return {
    url,
    name,
    operator,
    publicKeyPem,
    publicKeyDer,
    logId,
    entries,
    faults,
    requests,
    config: () => ({ url, publicKey: publicKeyPem, operator, name }),
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
