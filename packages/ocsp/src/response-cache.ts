/**
 * Where pre-signed OCSP responses are kept. One response per serial and
 * CertID hash algorithm; the responder decides freshness from the
 * response's own thisUpdate/nextUpdate.
 */
import type { CertIdHash } from './ocsp-request.js';
import type { SignedOcspResponse } from './response-signer.js';

/** A store of signed responses (in memory, or a shared cache such as Redis behind this interface). */
export interface OcspResponseCache {
  /** The cached response for `serial` with CertID hash `hashAlgorithm`, if any. */
  get(serial: string, hashAlgorithm: CertIdHash): Promise<SignedOcspResponse | undefined>;
  /** Stores (replaces) a response. Responses that echo a nonce are never passed here. */
  put(response: SignedOcspResponse): Promise<void>;
  /** Forgets every response for `serial` (after a revocation). */
  delete(serial: string): Promise<void>;
}

/**
 * An {@link OcspResponseCache} in process memory. Entries are kept in the
 * order they were last signed; each `put` drops, from the least recently
 * signed end, the responses whose nextUpdate lies before the new response's
 * thisUpdate — they can no longer be served (RFC 5019 §4), and a
 * certificate that expired or left the store is never signed again — so
 * the cache holds about one response per live certificate and hash.
 */
export class MemoryOcspResponseCache implements OcspResponseCache {
  readonly #entries = new Map<string, SignedOcspResponse>();

  /** Number of cached responses. */
  get size(): number {
    return this.#entries.size;
  }

  /** @inheritdoc */
  async get(serial: string, hashAlgorithm: CertIdHash): Promise<SignedOcspResponse | undefined> {
    return this.#entries.get(`${hashAlgorithm}:${serial}`);
  }

  /** @inheritdoc */
  async put(response: SignedOcspResponse): Promise<void> {
    const key = `${response.hashAlgorithm}:${response.serial}`;
    // Re-inserting moves the entry to the back: the front holds the least recently signed.
    this.#entries.delete(key);
    this.#entries.set(key, response);
    this.#dropExpired(response.thisUpdate.getTime());
  }

  /** Drops front entries that expired before `beforeMs`; stops at the first that has not (amortized constant work per put). */
  #dropExpired(beforeMs: number): void {
    for (const [key, cached] of this.#entries) {
      if (cached.nextUpdate.getTime() > beforeMs) return;
      this.#entries.delete(key);
    }
  }

  /** @inheritdoc */
  async delete(serial: string): Promise<void> {
    this.#entries.delete(`sha1:${serial}`);
    this.#entries.delete(`sha256:${serial}`);
  }
}
