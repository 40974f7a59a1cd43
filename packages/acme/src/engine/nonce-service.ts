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

/**
 * Creates the nonce service over a {@link NonceStore}. Nonces are random
 * values with no structure: they cannot be forged because only stored ones
 * redeem, and several server instances share them through the store.
 */
export function createNonceService(store: NonceStore, clock: Clock, random: Random, lifetimeMs: number): NonceService {
  return {
    async issue() {
      const value = base64url(random.bytes(NONCE_BYTES));
      await store.issueNonce(value, addMs(clock.now(), lifetimeMs));
      return value;
    },
    redeem: (nonce) => store.redeemNonce(nonce, clock.now()),
  };
}
