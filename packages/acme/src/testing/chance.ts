/**
 * Biased coin flips from an injected {@link Random}.
 * @module
 */
import type { Random } from '@certwright/core';

/** Throws `RangeError` unless `probability` is a number in [0, 1]; `name` is the option it came from. */
export function checkProbability(name: string, probability: number): number {
  if (!Number.isFinite(probability) || probability < 0 || probability > 1) throw new RangeError(`${name} must be a number from 0 to 1, got ${probability}`);
  return probability;
}

/** True with the given probability, drawn from 32 random bits (0 is never true, 1 always is). */
export function chance(random: Random, probability: number): boolean {
  const bytes = random.bytes(4);
  const draw = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  return draw < probability * 2 ** 32;
}
