/**
 * Key policy: which subject public keys the CA certifies (and which account
 * keys it accepts), as data plus typed callbacks. The rules mirror Boulder's
 * goodkey package and the Baseline Requirements §6.1.5–6.1.6.
 */
import type { BlockedKey } from '../domain/entities.js';
import { CertwrightError, type ErrorCode } from '../errors.js';
import { CURVES, isOnCurve, type NamedCurve } from './curves.js';
import { DerError } from '../x509/der-reader.js';
import { fermatFactor } from './fermat.js';
import { hasRocaFingerprint } from './roca.js';
import { SMALL_PRIME_BOUND, smallPrimeFactor } from './small-primes.js';
import { parsePublicKeyInfo, spkiSha256Hex, type PublicKeyInfo } from './spki.js';

/** The key policy, as plain data plus optional callbacks. */
export interface KeyPolicy {
  /** RSA modulus sizes in bits that are accepted exactly (default 2048, 3072, 4096). */
  allowedRsaSizes: readonly number[];
  /** Named curves accepted for ECDSA keys (default P-256, P-384). */
  allowedCurves: readonly NamedCurve[];
  /** Whether Ed25519 keys are accepted (default false: public CAs may not issue for them). */
  allowEd25519: boolean;
  /** Rounds of Fermat factorization tried on every RSA modulus (default 100; 0 disables). */
  fermatRounds: number;
  /** Whether RSA moduli with the ROCA fingerprint are rejected (default true). */
  rejectRoca?: boolean;
  /**
   * Looks up the SHA-256 (lowercase hex) of the SubjectPublicKeyInfo in the
   * blocked-keys table (keys revoked for keyCompromise, RFC 8555 §7.6, or
   * known-compromised keys). A truthy result rejects the key; a
   * {@link BlockedKey}'s reason goes into the detail.
   */
  blockedKeyLookup?: (spkiSha256: string) => Promise<boolean | BlockedKey | undefined>;
  /**
   * An extra rule run after all built-in ones. Throw a `CertwrightError` to
   * reject the key; anything else thrown becomes an internal error.
   */
  extraCheck?: (key: PublicKeyInfo, spki: Uint8Array) => Promise<void>;
}

/** The default policy: RSA 2048/3072/4096, P-256/P-384, no Ed25519, 100 Fermat rounds, ROCA check on. */
export const DEFAULT_KEY_POLICY: Readonly<KeyPolicy> = Object.freeze({
  allowedRsaSizes: Object.freeze([2048, 3072, 4096]),
  allowedCurves: Object.freeze(['P-256', 'P-384'] as NamedCurve[]),
  allowEd25519: false,
  fermatRounds: 100,
  rejectRoca: true,
});

/** The rule a key broke; also named in the error detail. */
export type KeyPolicyRule =
  | 'malformedKey'
  | 'keyAlgorithm'
  | 'rsaKeySize'
  | 'rsaExponent'
  | 'rsaSmallFactor'
  | 'rsaFermat'
  | 'rsaRoca'
  | 'ecCurve'
  | 'ecPointNotOnCurve'
  | 'ed25519NotAllowed'
  | 'blockedKey'
  | 'sameAsAccountKey';

/** Where the key being checked comes from; decides the error code. */
export interface KeyCheckContext {
  /**
   * `'csr'` (default): a key to certify; rejections carry code `badKey`,
   * which the problem table presents as ACME `badCSR` (RFC 8555 §7.4).
   * `'account'`: an account key from a JWS; rejections carry `badPublicKey`
   * (RFC 8555 §6.7).
   */
  purpose?: 'csr' | 'account';
  /**
   * The requesting account's key (DER SPKI). A CSR key equal to it is
   * rejected: an account key must not also be a certificate key.
   */
  accountKeySpki?: Uint8Array;
}

/** A key policy rejection: a `CertwrightError` that also names the rule. */
export class KeyPolicyError extends CertwrightError {
  /** The rule that rejected the key. */
  readonly rule: KeyPolicyRule;

  constructor(code: ErrorCode, rule: KeyPolicyRule, message: string) {
    super(code, `Key rejected by rule ${rule}: ${message}`);
    this.name = 'KeyPolicyError';
    this.rule = rule;
  }
}

function checkRsa(key: Extract<PublicKeyInfo, { kind: 'rsa' }>, policy: KeyPolicy, reject: Reject): void {
  if (!policy.allowedRsaSizes.includes(key.bits)) {
    reject('rsaKeySize', `RSA modulus is ${key.bits} bits; allowed sizes are ${policy.allowedRsaSizes.join(', ')}`);
  }
  if (key.exponent !== 65537n) reject('rsaExponent', `RSA public exponent is ${key.exponent}; only 65537 is allowed`);
  const factor = smallPrimeFactor(key.modulus);
  if (factor !== undefined) {
    reject('rsaSmallFactor', `RSA modulus is divisible by ${factor} (primes below ${SMALL_PRIME_BOUND} are checked)`);
  }
  if (policy.fermatRounds > 0 && fermatFactor(key.modulus, policy.fermatRounds) !== undefined) {
    reject('rsaFermat', `RSA modulus was factored by Fermat's method within ${policy.fermatRounds} rounds (its primes are too close)`);
  }
  if (policy.rejectRoca !== false && hasRocaFingerprint(key.modulus)) {
    reject('rsaRoca', 'RSA modulus has the ROCA fingerprint of a weak Infineon key (CVE-2017-15361)');
  }
}

function checkEc(key: Extract<PublicKeyInfo, { kind: 'ec' }>, policy: KeyPolicy, reject: Reject): void {
  const curve = key.curve;
  if (!(policy.allowedCurves as readonly string[]).includes(curve) || !(curve in CURVES)) {
    reject('ecCurve', `curve ${curve} is not allowed; allowed curves are ${policy.allowedCurves.join(', ')}`);
  }
  if (!isOnCurve(curve as NamedCurve, key.x, key.y)) reject('ecPointNotOnCurve', `the public point is not on ${curve}`);
}

type Reject = (rule: KeyPolicyRule, message: string) => never;

/**
 * Checks a public key (DER SubjectPublicKeyInfo) against `policy` and returns
 * it decoded. Rules, in order:
 * - `malformedKey`: the SPKI is not valid DER or not a well-formed key;
 * - `keyAlgorithm`: not RSA, EC or Ed25519;
 * - RSA: `rsaKeySize` (modulus bit length exactly one of the allowed sizes),
 *   `rsaExponent` (exactly 65537), `rsaSmallFactor` (no prime factor below
 *   1000), `rsaFermat` (not factored by `fermatRounds` rounds of Fermat's
 *   method), `rsaRoca` (no ROCA fingerprint);
 * - EC: `ecCurve` (an allowed named curve), `ecPointNotOnCurve` (coordinates
 *   in range and on the curve; the point at infinity is refused as malformed);
 * - Ed25519: `ed25519NotAllowed` unless `allowEd25519`;
 * - `sameAsAccountKey`: equal (by SPKI SHA-256) to `context.accountKeySpki`;
 * - `blockedKey`: found by `blockedKeyLookup`;
 * - then `extraCheck`.
 * Throws a {@link KeyPolicyError} with code `badKey` (CSR keys) or
 * `badPublicKey` (account keys), see {@link KeyCheckContext.purpose}.
 */
export async function checkPublicKey(spki: Uint8Array, policy: KeyPolicy, context: KeyCheckContext = {}): Promise<PublicKeyInfo> {
  const code: ErrorCode = context.purpose === 'account' ? 'badPublicKey' : 'badKey';
  const reject: Reject = (rule, message) => {
    throw new KeyPolicyError(code, rule, message);
  };
  let key: PublicKeyInfo;
  try {
    key = parsePublicKeyInfo(spki);
  } catch (err) {
    if (err instanceof DerError) reject('malformedKey', `the public key is malformed: ${err.message}`);
    throw err;
  }
  switch (key.kind) {
    case 'rsa':
      checkRsa(key, policy, reject);
      break;
    case 'ec':
      checkEc(key, policy, reject);
      break;
    case 'ed25519':
      if (!policy.allowEd25519) reject('ed25519NotAllowed', 'Ed25519 keys are not allowed');
      break;
    default:
      reject('keyAlgorithm', `key algorithm ${key.algorithm} is not supported`);
  }
  const hash = spkiSha256Hex(spki);
  if (context.accountKeySpki !== undefined && spkiSha256Hex(context.accountKeySpki) === hash) {
    reject('sameAsAccountKey', 'the certificate key must differ from the account key');
  }
  if (policy.blockedKeyLookup !== undefined) {
    const blocked = await policy.blockedKeyLookup(hash);
    if (blocked !== undefined && blocked !== false) {
      const reason = typeof blocked === 'object' && blocked.reason ? ` (${blocked.reason})` : '';
      reject('blockedKey', `the public key is blocked${reason}`);
    }
  }
  if (policy.extraCheck !== undefined) await policy.extraCheck(key, spki);
  return key;
}
