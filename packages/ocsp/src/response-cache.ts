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

/** An {@link OcspResponseCache} in process memory. */
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
    this.#entries.set(`${response.hashAlgorithm}:${response.serial}`, response);
  }

  /** @inheritdoc */
  async delete(serial: string): Promise<void> {
    this.#entries.delete(`sha1:${serial}`);
    this.#entries.delete(`sha256:${serial}`);
  }
}
