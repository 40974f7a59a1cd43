import { duplicateKey } from './store-errors.js';
import type { NonceStore } from './types.js';

/** Default {@link MemoryNonceStoreOptions.capacity}. */
export const DEFAULT_MEMORY_NONCE_CAPACITY = 100_000;

/** Options of {@link MemoryNonceStore}. */
export interface MemoryNonceStoreOptions {
  /**
   * The most nonces held at once (default 100,000). When a new nonce would
   * exceed it, the oldest outstanding nonce is dropped: its client gets
   * `badNonce` with a fresh nonce in the same response and retries
   * (RFC 8555 §6.5), so the bound costs one retry, never a failed request.
   */
  readonly capacity?: number;
}

/**
 * Anti-replay nonces (RFC 8555 §7.2) in this process's memory: no database
 * write per request. Suitable when one process serves the ACME API (the
 * standalone CA on SQLite); several instances behind a load balancer must
 * share nonces through the SQL store instead. Nonces do not survive a
 * restart: a client holding one gets `badNonce` and retries with the fresh
 * nonce of that response, which RFC 8555 §6.5 requires clients to do.
 *
 * Nonces are kept in issue order, so with one lifetime for all of them the
 * oldest is also the first to expire: those expired by the latest
 * redemption's time are dropped from the front as new ones are issued.
 */
export class MemoryNonceStore implements NonceStore {
  readonly #capacity: number;
  /** value → expiry in ms since the epoch, in issue order. */
  readonly #nonces = new Map<string, number>();
  /** The latest `now` a redemption passed in: nonces expired by then are dropped as new ones are issued. */
  #latestNowMs = 0;

  /** @throws RangeError for a capacity that is not a positive integer. */
  constructor(options: MemoryNonceStoreOptions = {}) {
    const capacity = options.capacity ?? DEFAULT_MEMORY_NONCE_CAPACITY;
    if (!Number.isSafeInteger(capacity) || capacity <= 0) throw new RangeError(`MemoryNonceStore capacity must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
  }

  /** How many nonces are held (issued, not yet redeemed or dropped). */
  get size(): number {
    return this.#nonces.size;
  }

  /** @inheritdoc Throws `conflict` if the value is already outstanding. */
  async issueNonce(value: string, expires: Date): Promise<void> {
    if (this.#nonces.has(value)) throw duplicateKey('nonce', value);
    this.#dropExpired();
    this.#nonces.set(value, expires.getTime());
    while (this.#nonces.size > this.#capacity) this.#dropOldest();
  }

  /** @inheritdoc An expired nonce is removed too, but does not redeem. */
  async redeemNonce(value: string, now: Date): Promise<boolean> {
    if (now.getTime() > this.#latestNowMs) this.#latestNowMs = now.getTime();
    const expires = this.#nonces.get(value);
    if (expires === undefined) return false;
    this.#nonces.delete(value);
    return expires > now.getTime();
  }

  /** Drops nonces from the front (the oldest) that had expired by the latest redemption time seen. */
  #dropExpired(): void {
    for (const [value, expires] of this.#nonces) {
      if (expires > this.#latestNowMs) return;
      this.#nonces.delete(value);
    }
  }

  #dropOldest(): void {
    const oldest = this.#nonces.keys().next();
    if (!oldest.done) this.#nonces.delete(oldest.value);
  }
}
