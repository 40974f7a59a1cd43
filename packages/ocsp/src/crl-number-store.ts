/**
 * cRLNumber allocation (RFC 5280 §5.2.3: "monotonically increasing sequence
 * number for a given CRL scope and CRL issuer"). One counter per issuer and
 * shard; a number handed out is never handed out again, even after a
 * restart (for the persistent implementations).
 */

/** The scope of a counter: one issuer's CRL shard. */
export interface CrlScope {
  issuerId: string;
  shard: number;
}

/** Allocates strictly increasing CRL numbers per scope. */
export interface CrlNumberStore {
  /** The next number for `scope` (the first is 1); persisted before it is returned. */
  next(scope: CrlScope): Promise<bigint>;
  /** The last number handed out for `scope`, or 0 when none was. */
  current(scope: CrlScope): Promise<bigint>;
}

/** The key of a scope in maps and files: `<issuerId>/<shard>`. */
export function crlScopeKey(scope: CrlScope): string {
  return `${scope.issuerId}/${scope.shard}`;
}

/** A {@link CrlNumberStore} in process memory: numbers restart after a restart, so use it for tests only. */
export class MemoryCrlNumberStore implements CrlNumberStore {
  readonly #numbers = new Map<string, bigint>();

  /** @inheritdoc */
  async next(scope: CrlScope): Promise<bigint> {
    const key = crlScopeKey(scope);
    const n = (this.#numbers.get(key) ?? 0n) + 1n;
    this.#numbers.set(key, n);
    return n;
  }

  /** @inheritdoc */
  async current(scope: CrlScope): Promise<bigint> {
    return this.#numbers.get(crlScopeKey(scope)) ?? 0n;
  }
}
