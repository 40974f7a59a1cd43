import { readFileSync } from 'node:fs';
import { checkPrimeSync, createPrivateKey, createPublicKey, generatePrimeSync } from 'node:crypto';
import { isqrt } from '../../src/keys/fermat.js';

/** Reads a file from test/fixtures/keys. */
export function keyFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/keys/${name}`, import.meta.url), 'utf8');
}

/** DER SPKI of a PEM fixture (private or public). */
export function spkiOf(name: string): Uint8Array {
  const pem = keyFixture(name);
  const pub = pem.includes('PUBLIC KEY') ? createPublicKey(pem) : createPublicKey(createPrivateKey(pem));
  return new Uint8Array(pub.export({ format: 'der', type: 'spki' }));
}

/** The smallest prime ≥ start. */
export function nextPrime(start: bigint): bigint {
  let c = start | 1n;
  while (!checkPrimeSync(c, { checks: 20 })) c += 2n;
  return c;
}

const SQRT_HALF_1024 = isqrt(1n << 2047n) + 1n;

/** Two 1024-bit primes only a few thousand apart, with a 2048-bit product. */
export function closePrimes(): [bigint, bigint] {
  for (;;) {
    const p = generatePrimeSync(1024, { bigint: true });
    if (p < SQRT_HALF_1024) continue;
    const q = nextPrime(p + 2n);
    if ((p * q).toString(2).length === 2048) return [p, q];
  }
}

/** Product of the primes 2…167: the smallest M of the Infineon generator (ROCA paper, Table 1). */
export const ROCA_M = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101,
  103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167].reduce((m, r) => m * BigInt(r), 1n);

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
  }
  return result;
}

/**
 * A 1024-bit prime of the ROCA form p = k·M + (65537^a mod M), with p² ≥ 2^2047
 * so that the product of two is a 2048-bit modulus.
 */
export function rocaPrime(a: bigint, kSeed: bigint): bigint {
  const c = modPow(65537n, a, ROCA_M);
  let k = SQRT_HALF_1024 / ROCA_M + kSeed;
  for (;;) {
    const p = k * ROCA_M + c;
    if (checkPrimeSync(p, { checks: 20 })) return p;
    k += 1n;
  }
}
