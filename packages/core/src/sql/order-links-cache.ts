import { LruCache } from '../lru-cache.js';

/**
 * The authorization ids of recent orders, kept in memory. An order's links
 * (`order_authorizations`) are written with the order and never change
 * afterwards, so a cached list can never be stale, whichever process wrote
 * the order: the cache only saves reading them again after an order's
 * status changes (an `UPDATE … RETURNING` gives the order row, not its
 * links). Bounded; the least recently used entries go first.
 */
export class OrderLinksCache {
  readonly #links: LruCache<string, readonly string[]>;

  /** Throws `RangeError` unless `capacity` is a positive integer. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`order links cache size must be a positive integer, got ${capacity}`);
    this.#links = new LruCache(capacity);
  }

  /** How many orders are cached. */
  get size(): number {
    return this.#links.size;
  }

  /** A copy of the order's authorization ids, if cached. */
  get(orderId: string): string[] | undefined {
    const ids = this.#links.get(orderId);
    return ids === undefined ? undefined : [...ids];
  }

  /** Remembers the order's authorization ids (copied). */
  set(orderId: string, authorizationIds: readonly string[]): void {
    this.#links.set(orderId, [...authorizationIds]);
  }
}
