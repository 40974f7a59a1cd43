/**
 * Trial division of an RSA modulus by every prime below
 * {@link SMALL_PRIME_BOUND}. A modulus with a small factor is trivially
 * factored; Boulder's goodkey checks the primes below 752, certwright the
 * primes below 1000 (the 168 primes 2…997).
 */

/** Exclusive upper bound of the primes tried against an RSA modulus. */
export const SMALL_PRIME_BOUND = 1000;

function primesBelow(bound: number): readonly bigint[] {
  const composite = new Uint8Array(bound);
  const out: bigint[] = [];
  for (let i = 2; i < bound; i++) {
    if (composite[i] === 1) continue;
    out.push(BigInt(i));
    for (let j = i * i; j < bound; j += i) composite[j] = 1;
  }
  return out;
}

/** The primes below {@link SMALL_PRIME_BOUND}, ascending. */
export const SMALL_PRIMES: readonly bigint[] = primesBelow(SMALL_PRIME_BOUND);

/** The smallest prime below {@link SMALL_PRIME_BOUND} dividing `n` (other than `n` itself), or `undefined`. */
export function smallPrimeFactor(n: bigint): bigint | undefined {
  return SMALL_PRIMES.find((p) => n !== p && n % p === 0n);
}
