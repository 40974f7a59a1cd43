/**
 * cRLNumber allocation (RFC 5280 §5.2.3: "monotonically increasing sequence
 * number for a given CRL scope and CRL issuer"). One counter per issuer and
 * shard; a number handed out is never handed out again, even after a
 * restart (for the persistent implementations). The interface is core's
 * `CrlNumberStore` role, which `MemoryStore` and the SQL store (schema
 * version 2) also implement; this module adds a standalone in-memory one.
 */
import type { CrlNumberStore, CrlScope } from '@certwright/core';

/** The key of a scope in maps and files: `<issuerId>/<shard>`. */
export function crlScopeKey(scope: CrlScope): string {
  return `${scope.issuerId}/${scope.shard}`;
}

/** A {@link CrlNumberStore} in process memory: numbers restart after a restart, so use it for tests only. */
export class MemoryCrlNumberStore implements CrlNumberStore {
  readonly #numbers = new Map<string, bigint>();

  /** @inheritdoc */
  async nextCrlNumber(scope: CrlScope): Promise<bigint> {
    const key = crlScopeKey(scope);
    const n = (this.#numbers.get(key) ?? 0n) + 1n;
    this.#numbers.set(key, n);
    return n;
  }

  /** @inheritdoc */
  async currentCrlNumber(scope: CrlScope): Promise<bigint> {
    return this.#numbers.get(crlScopeKey(scope)) ?? 0n;
  }
}
