/**
 * Token-bucket arithmetic shared by every rate limiter: pure functions from
 * a bucket's stored state, a rule, a cost and an instant to the new state
 * and the decision. An absent bucket is a full one, so buckets need to be
 * stored only while they are below capacity.
 * @module
 */
import type { BucketState } from '@certwright/core';
import type { RateLimitSetting } from './rules.js';
import { refillPerMs } from './rules.js';

/** A bucket as stored: its tokens at `updatedAtMs` (defined with the `RateLimitStore` role in `@certwright/core`). */
export type { BucketState } from '@certwright/core';

/** Rounding slack for floating-point refill arithmetic. */
const EPSILON = 1e-9;

/** The tokens in a bucket at `nowMs`: refilled since its update, capped at capacity. A clock that went backwards refills nothing. */
export function tokensAt(state: BucketState | undefined, rule: RateLimitSetting, nowMs: number): number {
  if (state === undefined) return rule.count;
  const elapsed = Math.max(0, nowMs - state.updatedAtMs);
  return Math.min(rule.count, state.tokens + elapsed * refillPerMs(rule));
}

/** Milliseconds until a bucket holding `tokens` holds `wanted`. */
export function msUntil(tokens: number, wanted: number, rule: RateLimitSetting): number {
  const missing = wanted - tokens;
  return missing <= EPSILON ? 0 : missing / refillPerMs(rule);
}

/** The outcome of {@link takeTokens}. */
export type TakeOutcome =
  | { readonly allowed: true; readonly next: BucketState }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly resetAfterMs: number };

/**
 * Takes `cost` tokens at `nowMs` if the bucket holds them. Refused: how long
 * until it does (`retryAfterMs`; a cost above capacity waits a full period)
 * and until it is full again (`resetAfterMs`).
 */
export function takeTokens(state: BucketState | undefined, rule: RateLimitSetting, cost: number, nowMs: number): TakeOutcome {
  const tokens = tokensAt(state, rule, nowMs);
  if (tokens + EPSILON >= cost) return { allowed: true, next: { tokens: Math.max(0, tokens - cost), updatedAtMs: nowMs } };
  const retryAfterMs = cost > rule.count ? rule.periodSeconds * 1000 : msUntil(tokens, cost, rule);
  return { allowed: false, retryAfterMs, resetAfterMs: msUntil(tokens, rule.count, rule) };
}

/** Takes `cost` tokens whatever is left, down to zero (events counted after they happened). */
export function spendTokens(state: BucketState | undefined, rule: RateLimitSetting, cost: number, nowMs: number): BucketState {
  return { tokens: Math.max(0, tokensAt(state, rule, nowMs) - cost), updatedAtMs: nowMs };
}

/** Gives back `cost` tokens, up to capacity (a request that took them and then wrote nothing). */
export function refundTokens(state: BucketState | undefined, rule: RateLimitSetting, cost: number, nowMs: number): BucketState {
  return { tokens: Math.min(rule.count, tokensAt(state, rule, nowMs) + cost), updatedAtMs: nowMs };
}

/** The instant a bucket is full again: after it, the stored row carries no information and may be deleted. */
export function fullAtMs(state: BucketState, rule: RateLimitSetting): number {
  return state.updatedAtMs + Math.ceil(msUntil(state.tokens, rule.count, rule));
}
