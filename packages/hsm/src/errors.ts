/**
 * Errors of the PKCS#11 signer. They are operator-facing (wrong PIN, missing
 * token, missing key, unreachable module) and never reach an ACME client as
 * such: the ACME layer reports any non-`CertwrightError` as `serverInternal`
 * without its message. Messages name the module path, token, key and PKCS#11
 * return code involved, and never contain the PIN.
 */

/** Why an HSM operation failed. */
export type HsmErrorReason =
  /** The PKCS#11 module (shared library) could not be loaded or initialised. */
  | 'moduleLoadFailed'
  /** No initialised token with the configured label or serial is present. */
  | 'tokenNotFound'
  /** C_Login rejected the PIN (CKR_PIN_INCORRECT / CKR_PIN_INVALID / CKR_PIN_LEN_RANGE). */
  | 'pinIncorrect'
  /** The user PIN is locked (CKR_PIN_LOCKED). */
  | 'pinLocked'
  /** No private key (or its public half) with the configured label or id. */
  | 'keyNotFound'
  /** More than one private key matches the configured label or id. */
  | 'keyAmbiguous'
  /** A key or certificate with that label or id already exists. */
  | 'objectExists'
  /** The token lacks the mechanism the algorithm needs, or the key type does not fit it. */
  | 'mechanismUnsupported'
  /** The token's public key differs from the expected SubjectPublicKeyInfo. */
  | 'publicKeyMismatch'
  /** The configuration is incomplete or inconsistent. */
  | 'invalidConfiguration'
  /** A signature was not produced within `signTimeoutMs`. */
  | 'signTimeout'
  /** A PKCS#11 call failed and could not be recovered. */
  | 'pkcs11Failed'
  /** The signer or token handle was closed. */
  | 'closed';

/** An error from the PKCS#11 layer; `reason` says which failure, `returnCode` the PKCS#11 CKR_* name when there is one. */
export class HsmError extends Error {
  /** What went wrong. */
  readonly reason: HsmErrorReason;
  /** The PKCS#11 return value name (e.g. `CKR_PIN_INCORRECT`), when a PKCS#11 call failed. */
  readonly returnCode: string | undefined;

  constructor(reason: HsmErrorReason, message: string, options: { returnCode?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HsmError';
    this.reason = reason;
    this.returnCode = options.returnCode;
  }
}

/** True when `err` is an {@link HsmError}, optionally with the given reason. */
export function isHsmError(err: unknown, reason?: HsmErrorReason): err is HsmError {
  return err instanceof HsmError && (reason === undefined || err.reason === reason);
}

/**
 * The PKCS#11 return value name (`CKR_…`) carried by an error thrown from
 * pkcs11js, or `undefined` when the error did not come from the token.
 */
export function returnCodeOf(err: unknown): string | undefined {
  if (err instanceof HsmError) return err.returnCode;
  if (err instanceof Error && /^CKR_[A-Z0-9_]+$/.test(err.message)) return err.message;
  return undefined;
}

/** A short description of `err` for messages and logs: its CKR_* name, or its message. */
export function describePkcs11Error(err: unknown): string {
  return returnCodeOf(err) ?? (err instanceof Error ? err.message : String(err));
}
