/**
 * Domain parameters of the NIST prime curves (FIPS 186-4 §D.1.2, SEC 2 §2.4)
 * and the point-on-curve test used by the key policy. All three curves have
 * a = −3 and cofactor 1, so every affine point satisfying the curve equation
 * lies in the prime-order group: no separate subgroup check is needed.
 */
import { SPKI_ALGORITHM_OIDS } from '../x509/oids.js';

/** Names of the curves whose parameters certwright knows. */
export type NamedCurve = 'P-256' | 'P-384' | 'P-521';

/** Short-Weierstrass parameters y² = x³ − 3x + b over GF(p). */
export interface CurveParameters {
  /** The curve's OBJECT IDENTIFIER (RFC 5480 §2.1.1.1). */
  oid: string;
  /** Field prime. */
  p: bigint;
  /** Curve coefficient b (a is −3). */
  b: bigint;
  /** Order of the base point. */
  n: bigint;
  /** Byte length of one coordinate. */
  coordinateLength: number;
}

/** Parameters of P-256, P-384 and P-521. */
export const CURVES: Readonly<Record<NamedCurve, CurveParameters>> = {
  'P-256': {
    oid: SPKI_ALGORITHM_OIDS.p256,
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    coordinateLength: 32,
  },
  'P-384': {
    oid: SPKI_ALGORITHM_OIDS.p384,
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    coordinateLength: 48,
  },
  'P-521': {
    oid: SPKI_ALGORITHM_OIDS.p521,
    p: (1n << 521n) - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    coordinateLength: 66,
  },
};

/** The curve name for a namedCurve OID, or `undefined` when unknown. */
export function curveByOid(oid: string): NamedCurve | undefined {
  return (Object.keys(CURVES) as NamedCurve[]).find((name) => CURVES[name].oid === oid);
}

/**
 * True when (x, y) is an affine point on `curve`: both coordinates in
 * [0, p) and y² ≡ x³ − 3x + b (mod p). The point at infinity has no affine
 * coordinates and never passes.
 */
export function isOnCurve(curve: NamedCurve, x: bigint, y: bigint): boolean {
  const { p, b } = CURVES[curve];
  if (x < 0n || y < 0n || x >= p || y >= p) return false;
  const lhs = (y * y) % p;
  const rhs = (((x * x) % p) * x - 3n * x + b) % p;
  return lhs === (rhs + p) % p;
}
