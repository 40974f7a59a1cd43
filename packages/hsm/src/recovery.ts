/**
 * Which PKCS#11 failures the signer recovers from, and how far it resets.
 */
import { returnCodeOf } from './errors.js';

/**
 * How much state a failure invalidates:
 * - `session`: that session is gone (closed behind the pool's back);
 * - `login`: the login, and with it the private key handle (PKCS#11
 *   v2.40 §5.6: logging out invalidates handles of private objects);
 * - `device`: everything — sessions, login, slot, even the library's
 *   initialisation.
 */
export type RecoveryScope = 'session' | 'login' | 'device';

const SCOPES: Readonly<Record<string, RecoveryScope>> = {
  CKR_SESSION_HANDLE_INVALID: 'session',
  CKR_SESSION_CLOSED: 'session',
  CKR_USER_NOT_LOGGED_IN: 'login',
  CKR_KEY_HANDLE_INVALID: 'login',
  CKR_OBJECT_HANDLE_INVALID: 'login',
  CKR_DEVICE_REMOVED: 'device',
  CKR_DEVICE_ERROR: 'device',
  CKR_TOKEN_NOT_PRESENT: 'device',
  CKR_TOKEN_NOT_RECOGNIZED: 'device',
  CKR_CRYPTOKI_NOT_INITIALIZED: 'device',
  CKR_GENERAL_ERROR: 'device',
};

/** The recovery scope for `err`, or `undefined` when retrying cannot help (bad data, wrong mechanism, …). */
export function recoveryScope(err: unknown): RecoveryScope | undefined {
  const code = returnCodeOf(err);
  return code === undefined ? undefined : SCOPES[code];
}
