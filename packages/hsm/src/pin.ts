/**
 * Where the user PIN comes from. The source is resolved each time a login is
 * needed (start-up and re-login after recovery): an environment variable or
 * callback is read only then, while a PIN given as a string stays in memory
 * for those re-logins. The PIN is never logged or put into an error message.
 */
import { HsmError } from './errors.js';

/**
 * The user PIN: a string, the name of an environment variable
 * (`{ env: 'HSM_PIN' }`), or a callback (a secret manager, a prompt).
 */
export type PinSource = string | { env: string } | (() => Promise<string>);

/** Resolves `source` to the PIN. Throws {@link HsmError} `invalidConfiguration` naming the variable when it is unset or empty. */
export async function resolvePin(source: PinSource, env: Readonly<Record<string, string | undefined>> = process.env): Promise<string> {
  let pin: string;
  if (typeof source === 'string') pin = source;
  else if (typeof source === 'function') pin = await source();
  else {
    const value = env[source.env];
    if (value === undefined || value.length === 0) {
      throw new HsmError('invalidConfiguration', `PKCS#11 PIN environment variable ${source.env} is ${value === undefined ? 'not set' : 'empty'}; set it to the token's user PIN (the one given to softhsm2-util --init-token --pin, or your HSM's)`);
    }
    pin = value;
  }
  if (typeof pin !== 'string' || pin.length === 0) throw new HsmError('invalidConfiguration', 'PKCS#11 PIN source returned an empty PIN');
  return pin;
}
