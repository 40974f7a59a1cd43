/**
 * The authorization ids of recent orders, kept in memory. An order's links
 * (`order_authorizations`) are written with the order and never change
 * afterwards, so a cached list can never be stale, whichever process wrote
 * the order: the cache only saves reading them again after an order's
 * status changes (an `UPDATE … RETURNING` gives the order row, not its
 * links). Bounded; the least recently used entries go first.
 */
export class OrderLinksCache {
  readonly #capacity: number;
  readonly #links = new Map<string, readonly string[]>();

  /** Throws `RangeError` unless `capacity` is a positive integer. */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`order links cache size must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
  }

  /** How many orders are cached. */
  get size(): number {
    return this.#links.size;
  }

  /** A copy of the order's authorization ids, if cached. */
  get(orderId: string): string[] | undefined {
    const ids = this.#links.get(orderId);
    if (ids === undefined) return undefined;
    // Map keeps insertion order: re-inserting marks the entry most recently used.
    this.#links.delete(orderId);
    this.#links.set(orderId, ids);
    return [...ids];
  }

  /** Remembers the order's authorization ids (copied). */
  set(orderId: string, authorizationIds: readonly string[]): void {
    this.#links.delete(orderId);
    if (this.#links.size >= this.#capacity) {
      const oldest = this.#links.keys().next();
      if (oldest.done !== true) this.#links.delete(oldest.value);
    }
    this.#links.set(orderId, [...authorizationIds]);
  }
}
