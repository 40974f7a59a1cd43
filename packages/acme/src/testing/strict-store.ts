/**
 * Store decorators that make a test CA less predictable, so that ACME
 * client authors can exercise their retry paths without an engine change:
 * the engine only sees a store whose nonce redemption and authorization
 * reuse sometimes say no.
 * @module
 */
import type { Random } from '@certwright/core';
import type { AcmeStore } from '../engine/options.js';
import { chance, checkProbability } from './chance.js';

/**
 * A view of `store` in which the methods of `overrides` replace the
 * store's own; every other member is the store's, bound to it (so classes
 * with private fields keep working).
 */
export function overrideStore<S extends object>(store: S, overrides: Partial<S>): S {
  return new Proxy(store, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return (overrides as Record<string | symbol, unknown>)[prop];
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Refuses a share `rate` of otherwise valid nonces: the nonce is redeemed
 * (used up) in `store` as usual, and then reported as unknown with
 * probability `rate`, so the engine answers `badNonce` (RFC 8555 §6.5)
 * with a fresh `Replay-Nonce` that a correct client retries with.
 * Throws `RangeError` unless `rate` is in [0, 1].
 */
export function withNonceRejection<S extends AcmeStore>(store: S, rate: number, random: Random): S {
  checkProbability('strict.rejectNonceRate', rate);
  return overrideStore(store, {
    async redeemNonce(value: string, now: Date): Promise<boolean> {
      const redeemed = await store.redeemNonce(value, now);
      return redeemed && !chance(random, rate);
    },
  } as Partial<S>);
}

/**
 * Makes authorization reuse a coin flip: each lookup of a reusable valid
 * authorization finds none with probability 1/2, so a new order sometimes
 * comes with already valid authorizations and sometimes with pending ones
 * (RFC 8555 §7.4 allows both). Use it with reuse enabled in the engine.
 */
export function withRandomAuthorizationReuse<S extends AcmeStore>(store: S, random: Random): S {
  return overrideStore(store, {
    findReusableAuthorization: (...args: Parameters<AcmeStore['findReusableAuthorization']>) => (chance(random, 0.5) ? store.findReusableAuthorization(...args) : Promise.resolve(undefined)),
  } as Partial<S>);
}
