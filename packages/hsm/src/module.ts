/**
 * Loading and initialising a PKCS#11 module (the vendor's shared library).
 *
 * PKCS#11 state is per process: `dlopen` of the same path returns the same
 * library, so a second `C_Initialize` answers CKR_CRYPTOKI_ALREADY_INITIALIZED
 * and a `C_Finalize` ends every session of the process. A
 * {@link Pkcs11Module} therefore remembers whether it initialised the library
 * and only then finalises it; share one module between the signers and token
 * handles of a process (the `module` option) to control that explicitly.
 */
import pkcs11js from 'pkcs11js';
import { HsmError, returnCodeOf } from './errors.js';

/** The pkcs11js binding object. */
export type Pkcs11 = InstanceType<typeof pkcs11js.PKCS11>;

/** A loaded and initialised PKCS#11 module. */
export interface Pkcs11Module {
  /** The shared library path it was loaded from. */
  readonly path: string;
  /** The underlying pkcs11js object, for calls this package does not wrap. */
  readonly pkcs11: Pkcs11;
  /** True when this object ran `C_Initialize` and will run `C_Finalize` on {@link Pkcs11Module.finalize}. */
  readonly ownsInitialization: boolean;
  /** Runs `C_Initialize` again after the library was finalised behind this object's back; a no-op when initialised. */
  reinitialize(): void;
  /** Runs `C_Finalize` if this object initialised the library; idempotent. */
  finalize(): void;
}

function initialize(pkcs11: Pkcs11, path: string): boolean {
  try {
    // CKF_OS_LOCKING_OK: pkcs11js runs async calls on libuv worker threads;
    // without native locking, concurrent signing crashes the process.
    pkcs11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    return true;
  } catch (err) {
    if (returnCodeOf(err) === 'CKR_CRYPTOKI_ALREADY_INITIALIZED') return false;
    throw new HsmError('moduleLoadFailed', `PKCS#11 module ${path}: C_Initialize failed with ${returnCodeOf(err) ?? String(err)}`, {
      ...(returnCodeOf(err) === undefined ? {} : { returnCode: returnCodeOf(err) as string }),
      cause: err,
    });
  }
}

/**
 * Loads the PKCS#11 library at `path` and initialises it with
 * `CKF_OS_LOCKING_OK` (PKCS#11 v2.40 §5.4). Throws {@link HsmError}
 * `moduleLoadFailed` naming the path when the file is missing or is not a
 * PKCS#11 module.
 */
export function loadPkcs11Module(path: string): Pkcs11Module {
  if (path.length === 0) throw new HsmError('invalidConfiguration', 'PKCS#11 modulePath is empty');
  const pkcs11 = new pkcs11js.PKCS11();
  try {
    pkcs11.load(path);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new HsmError('moduleLoadFailed', `PKCS#11 module ${path} could not be loaded: ${why}`, { cause: err });
  }
  let owns = initialize(pkcs11, path);
  let finalized = false;
  return {
    path,
    pkcs11,
    get ownsInitialization() {
      return owns;
    },
    reinitialize() {
      if (initialize(pkcs11, path)) owns = true;
      finalized = false;
    },
    finalize() {
      if (!owns || finalized) return;
      finalized = true;
      try {
        pkcs11.C_Finalize();
      } catch (err) {
        if (returnCodeOf(err) !== 'CKR_CRYPTOKI_NOT_INITIALIZED') throw err;
      }
    },
  };
}
