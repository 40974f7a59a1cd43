/**
 * Fermat's factorization method, run for a bounded number of rounds: it
 * finds n = p·q quickly when p and q are close together, which is what a
 * broken key generator produces (see CVE-2022-26320, the "Fermat attack"
 * on printers' keys). Starting from a = ⌈√n⌉, each round tests whether
 * a² − n is a perfect square b²; if so, n = (a − b)(a + b).
 */

/** ⌊√n⌋ for a non-negative bigint (Newton's method). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError('square root of a negative number');
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** Residues that squares can take modulo 64, as a quick filter before {@link isqrt}. */
const SQUARE_MOD_64: ReadonlySet<bigint> = new Set(Array.from({ length: 64 }, (_, i) => BigInt((i * i) % 64)));

/** The square root of `n` when `n` is a perfect square, else `undefined`. */
function exactSqrt(n: bigint): bigint | undefined {
  if (!SQUARE_MOD_64.has(n & 63n)) return undefined;
  const r = isqrt(n);
  return r * r === n ? r : undefined;
}

/**
 * Tries `rounds` steps of Fermat's method on `n` and returns the factors
 * `[p, q]` (p ≤ q) when found, else `undefined`.
 */
export function fermatFactor(n: bigint, rounds: number): [bigint, bigint] | undefined {
  if (n <= 0n) throw new RangeError('n must be positive');
  let a = isqrt(n);
  if (a * a < n) a += 1n;
  let b2 = a * a - n;
  for (let i = 0; i < rounds; i++) {
    const b = exactSqrt(b2);
    if (b !== undefined) return [a - b, a + b];
    b2 += 2n * a + 1n;
    a += 1n;
  }
  return undefined;
}
