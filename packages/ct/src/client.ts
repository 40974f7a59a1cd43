/**
 * An RFC 6962 §4 log client: `add-chain`, `add-pre-chain`, `get-sth`,
 * `get-roots` and `get-proof-by-hash` over `fetch`, with timeouts through
 * `AbortSignal`, a cap on response size, and every response checked
 * strictly (JSON member types, canonical base64, field lengths, TLS
 * structures without trailing bytes). Failures are {@link CtLogError}s that
 * say whether a retry may help.
 * @module
 */
import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { decodeDigitallySigned, SCT_VERSION_V1 } from './sct.js';
import type { SignedCertificateTimestamp } from './sct.js';
import type { SignedTreeHead } from './tree-head.js';

/** Why a log request failed. */
export type CtLogErrorKind = 'network' | 'timeout' | 'aborted' | 'http' | 'malformed';

/** A failed log request. `retryable`: a network fault, a timeout, HTTP 429 or 5xx. */
export class CtLogError extends Error {
  readonly kind: CtLogErrorKind;
  /** The HTTP status, for `http` errors. */
  readonly status: number | undefined;
  readonly retryable: boolean;
  constructor(kind: CtLogErrorKind, message: string, status?: number) {
    super(message);
    this.name = 'CtLogError';
    this.kind = kind;
    this.status = status;
    this.retryable = kind === 'network' || kind === 'timeout' || (kind === 'http' && status !== undefined && (status === 429 || status >= 500));
  }
}

/** Per-request options. */
export interface CtRequestOptions {
  /** Aborts the request (reported as `aborted`). */
  readonly signal?: AbortSignal;
  /** Aborts the request after this many milliseconds (reported as `timeout`). */
  readonly timeoutMs?: number;
}

/** Options of {@link createCtLogClient}. */
export interface CtLogClientOptions {
  /** The log's base URL (the `/ct/v1/...` paths are appended). */
  readonly url: string;
  /** The fetch implementation (default: the global `fetch`). */
  readonly fetch?: typeof fetch;
  /** Largest response body accepted, in octets (default 4 MiB). */
  readonly maxResponseBytes?: number;
}

/** The SCT a log returned for a submission, decoded (RFC 6962 §4.1). */
export interface AddChainResult {
  readonly sct: SignedCertificateTimestamp;
}

/** An audit path answer (RFC 6962 §4.5). */
export interface ProofByHash {
  readonly leafIndex: number;
  readonly auditPath: readonly Uint8Array[];
}

/** A client for one log. */
export interface CtLogClient {
  /** The base URL, without a trailing slash. */
  readonly url: string;
  /** `add-chain` (RFC 6962 §4.1): `chain[0]` is the certificate, then its issuers toward a root. */
  addChain(chain: readonly Uint8Array[], options?: CtRequestOptions): Promise<AddChainResult>;
  /** `add-pre-chain` (RFC 6962 §4.2): `chain[0]` is the precertificate, then its issuer chain. */
  addPreChain(chain: readonly Uint8Array[], options?: CtRequestOptions): Promise<AddChainResult>;
  /** `get-sth` (RFC 6962 §4.3); the signature is not verified here (see `verifySignedTreeHead`). */
  getSth(options?: CtRequestOptions): Promise<SignedTreeHead>;
  /** `get-roots` (RFC 6962 §4.7): the accepted root certificates, DER. */
  getRoots(options?: CtRequestOptions): Promise<Uint8Array[]>;
  /** `get-proof-by-hash` (RFC 6962 §4.5) for a leaf hash in the tree of `treeSize` entries. */
  getProofByHash(leafHash: Uint8Array, treeSize: number, options?: CtRequestOptions): Promise<ProofByHash>;
}

type Json = Record<string, unknown>;

function malformed(endpoint: string, rule: string): CtLogError {
  return new CtLogError('malformed', `${endpoint}: malformed response: ${rule}`);
}

function bytesField(obj: Json, field: string, endpoint: string, length?: number, allowEmpty = false): Uint8Array {
  return bytesValue(obj[field], field, endpoint, length, allowEmpty);
}

function bytesValue(v: unknown, field: string, endpoint: string, length?: number, allowEmpty = false): Uint8Array {
  if (typeof v !== 'string') throw malformed(endpoint, `${field} must be a base64 string`);
  const bytes = decodeBase64Strict(v);
  if (bytes === undefined) throw malformed(endpoint, `${field} is not canonical base64`);
  if (length !== undefined && bytes.length !== length) throw malformed(endpoint, `${field} must be ${length} octets, got ${bytes.length}`);
  if (!allowEmpty && bytes.length === 0) throw malformed(endpoint, `${field} must not be empty`);
  return bytes;
}

function uintField(obj: Json, field: string, endpoint: string): number {
  const v = obj[field];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed(endpoint, `${field} must be a non-negative integer`);
  return v;
}

function signatureField(obj: Json, field: string, endpoint: string): SignedCertificateTimestamp['signature'] {
  const raw = bytesField(obj, field, endpoint);
  try {
    return decodeDigitallySigned(raw);
  } catch (err) {
    throw malformed(endpoint, `${field}: ${(err as Error).message}`);
  }
}

/** Parses an add-chain / add-pre-chain response (RFC 6962 §4.1). */
function parseSctResponse(obj: Json, endpoint: string): AddChainResult {
  const version = obj['sct_version'];
  if (version !== SCT_VERSION_V1) throw malformed(endpoint, `sct_version must be ${SCT_VERSION_V1}, got ${JSON.stringify(version)}`);
  const logId = bytesField(obj, 'id', endpoint, 32);
  const timestamp = uintField(obj, 'timestamp', endpoint);
  const extensions = bytesField(obj, 'extensions', endpoint, undefined, true);
  if (extensions.length > 0xffff) throw malformed(endpoint, 'extensions are longer than 65535 octets');
  const signature = signatureField(obj, 'signature', endpoint);
  return { sct: { version: SCT_VERSION_V1, logId, timestamp, extensions, signature } };
}

async function readLimited(response: Response, max: number, endpoint: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > max) throw malformed(endpoint, `body of ${declared} octets exceeds the ${max}-octet limit`);
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      await reader.cancel();
      throw malformed(endpoint, `body exceeds the ${max}-octet limit`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Creates a client for the log at `options.url`. */
export function createCtLogClient(options: CtLogClientOptions): CtLogClient {
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const maxBytes = options.maxResponseBytes ?? 4 * 1024 * 1024;

  async function call(endpoint: string, init: { method: 'GET' | 'POST'; query?: Record<string, string>; body?: unknown }, opts: CtRequestOptions): Promise<Json> {
    const url = new URL(`${base}/ct/v1/${endpoint}`);
    for (const [k, v] of Object.entries(init.query ?? {})) url.searchParams.set(k, v);
    const timeout = opts.timeoutMs === undefined ? undefined : AbortSignal.timeout(opts.timeoutMs);
    const signals = [opts.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals);
    const aborted = (): CtLogError | undefined => {
      if (timeout?.aborted) return new CtLogError('timeout', `${endpoint}: no answer within ${opts.timeoutMs} ms`);
      if (opts.signal?.aborted) return new CtLogError('aborted', `${endpoint}: aborted`);
      return undefined;
    };
    let text: string;
    let status: number;
    try {
      const response = await doFetch(url, {
        method: init.method,
        headers: init.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        ...(signal === undefined ? {} : { signal }),
        redirect: 'error',
      });
      status = response.status;
      if (status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw new CtLogError('http', `${endpoint}: HTTP ${status}`, status);
      }
      text = await readLimited(response, maxBytes, endpoint);
    } catch (err) {
      if (err instanceof CtLogError) throw err;
      throw aborted() ?? new CtLogError('network', `${endpoint}: ${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause: Error }).cause.message})` : ''}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw malformed(endpoint, 'body is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw malformed(endpoint, 'body is not a JSON object');
    return parsed as Json;
  }

  function chainBody(chain: readonly Uint8Array[], what: string): { chain: string[] } {
    if (chain.length === 0) throw new RangeError(`${what}: the chain needs at least the certificate`);
    return { chain: chain.map(encodeBase64) };
  }

  return {
    url: base,
    async addChain(chain, opts = {}) {
      return parseSctResponse(await call('add-chain', { method: 'POST', body: chainBody(chain, 'add-chain') }, opts), 'add-chain');
    },
    async addPreChain(chain, opts = {}) {
      return parseSctResponse(await call('add-pre-chain', { method: 'POST', body: chainBody(chain, 'add-pre-chain') }, opts), 'add-pre-chain');
    },
    async getSth(opts = {}) {
      const obj = await call('get-sth', { method: 'GET' }, opts);
      return {
        treeSize: uintField(obj, 'tree_size', 'get-sth'),
        timestamp: uintField(obj, 'timestamp', 'get-sth'),
        rootHash: bytesField(obj, 'sha256_root_hash', 'get-sth', 32),
        signature: signatureField(obj, 'tree_head_signature', 'get-sth'),
      };
    },
    async getRoots(opts = {}) {
      const obj = await call('get-roots', { method: 'GET' }, opts);
      const list = obj['certificates'];
      if (!Array.isArray(list)) throw malformed('get-roots', 'certificates must be an array');
      return list.map((c: unknown, i) => bytesValue(c, `certificates[${i}]`, 'get-roots'));
    },
    async getProofByHash(leafHash, treeSize, opts = {}) {
      if (leafHash.length !== 32) throw new RangeError(`get-proof-by-hash: a leaf hash has 32 octets, got ${leafHash.length}`);
      const obj = await call('get-proof-by-hash', { method: 'GET', query: { hash: encodeBase64(leafHash), tree_size: String(treeSize) } }, opts);
      const leafIndex = uintField(obj, 'leaf_index', 'get-proof-by-hash');
      const path = obj['audit_path'];
      if (!Array.isArray(path)) throw malformed('get-proof-by-hash', 'audit_path must be an array');
      return { leafIndex, auditPath: path.map((p: unknown, i) => bytesValue(p, `audit_path[${i}]`, 'get-proof-by-hash', 32)) };
    },
  };
}
