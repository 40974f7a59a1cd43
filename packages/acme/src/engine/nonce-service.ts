import { addMs, base64url } from '@certwright/core';
import type { Clock, NonceStore, Random } from '@certwright/core';

/** Issues and redeems anti-replay nonces (RFC 8555 §6.5, §7.2). */
export interface NonceService {
  /** A fresh nonce, stored so that any server instance sharing the store can redeem it once. */
  issue(): Promise<string>;
  /** True exactly once for a stored, unexpired nonce. */
  redeem(nonce: string): Promise<boolean>;
}

/** Bytes of randomness per nonce: 128 bits, base64url-encoded (22 characters). */
export const NONCE_BYTES = 16;

/** Nonces stored per batch when the store can store several in one write. */
export const NONCE_BATCH = 64;

/** A batch is fetched ahead once the pool holds no more than this many. */
const REFILL_BELOW = NONCE_BATCH / 4;

/**
 * Creates the nonce service over a {@link NonceStore}. Nonces are random
 * values with no structure: they cannot be forged because only stored ones
 * redeem, and several server instances share them through the store.
 *
 * When the store offers `issueNonces`, nonces are stored
 * {@link NONCE_BATCH} at a time and handed out from a pool, so a response
 * costs no write of its own (only the redemption of the nonce it carries
 * does); the next batch is stored while the pool still holds a quarter of
 * one. A pooled nonce is handed out only while at least half of its
 * lifetime is left, so every nonce a client gets stays valid for at least
 * `lifetimeMs / 2`; older ones are dropped (the retention purge removes
 * them). Without `issueNonces`, each nonce is stored as it is issued.
 */
export function createNonceService(store: NonceStore, clock: Clock, random: Random, lifetimeMs: number): NonceService {
  const fresh = (): string => base64url(random.bytes(NONCE_BYTES));
  const redeem = (nonce: string): Promise<boolean> => store.redeemNonce(nonce, clock.now());
  const issueNonces = store.issueNonces?.bind(store);
  if (issueNonces === undefined) {
    return {
      async issue() {
        const value = fresh();
        await store.issueNonce(value, addMs(clock.now(), lifetimeMs));
        return value;
      },
      redeem,
    };
  }

  /** Stored nonces not handed out yet, oldest first, with the time each expires. */
  const pool: { value: string; expiresMs: number }[] = [];
  let refilling: Promise<void> | undefined;

  const refill = (): Promise<void> => {
    refilling ??= (async () => {
      const expires = addMs(clock.now(), lifetimeMs);
      const values = Array.from({ length: NONCE_BATCH }, fresh);
      await issueNonces(values, expires);
      for (const value of values) pool.push({ value, expiresMs: expires.getTime() });
    })().finally(() => {
      refilling = undefined;
    });
    return refilling;
  };

  return {
    async issue() {
      for (;;) {
        const nowMs = clock.now().getTime();
        while (pool.length > 0 && pool[0]!.expiresMs - nowMs < lifetimeMs / 2) pool.shift();
        if (pool.length <= REFILL_BELOW) {
          // Ahead of need: a failure surfaces when the pool runs dry and a caller waits for it.
          const next = refill();
          if (pool.length === 0) await next;
          else next.catch(() => undefined);
        }
        const taken = pool.shift();
        if (taken !== undefined) return taken.value;
      }
    },
    redeem,
  };
}
