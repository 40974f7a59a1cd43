/**
 * Finding a token, logging in, and finding objects on it.
 */
import pkcs11js from 'pkcs11js';
import type { Handle, Template } from 'pkcs11js';
import { HsmError, describePkcs11Error, returnCodeOf } from './errors.js';
import type { Pkcs11 } from './module.js';
import { resolvePin, type PinSource } from './pin.js';

/** Selects a token by its label or its serial number (CK_TOKEN_INFO, trailing blanks ignored). */
export type TokenSelector = { label: string; serial?: undefined } | { serial: string; label?: undefined };

/** Selects a key by its CKA_LABEL or its CKA_ID (hex). */
export type KeySelector = { label: string; id?: undefined } | { id: string; label?: undefined };

/** Describes a token selector for messages: `label "ca"` or `serial 1a2b`. */
export function describeToken(token: TokenSelector): string {
  return token.label !== undefined ? `label "${token.label}"` : `serial ${token.serial}`;
}

/** Describes a key selector for messages: `label "root"` or `id 01ab`. */
export function describeKey(key: KeySelector): string {
  return key.label !== undefined ? `label "${key.label}"` : `id ${key.id}`;
}

/** CK_TOKEN_INFO strings are blank-padded (some bindings pad with NUL); strips either. */
function trimPadding(text: string): string {
  return text.replace(/[ \0]+$/, '');
}

/**
 * The slot holding the initialised token `token` selects. Throws
 * {@link HsmError} `tokenNotFound` listing the tokens that are present.
 */
export function findSlot(pkcs11: Pkcs11, token: TokenSelector): Handle {
  const seen: string[] = [];
  for (const slot of pkcs11.C_GetSlotList(true)) {
    const info = pkcs11.C_GetTokenInfo(slot);
    if ((info.flags & pkcs11js.CKF_TOKEN_INITIALIZED) === 0) continue;
    const label = trimPadding(info.label);
    const serial = trimPadding(info.serialNumber);
    seen.push(`"${label}" (serial ${serial})`);
    if (token.label !== undefined ? label === token.label : serial === token.serial) return slot;
  }
  throw new HsmError(
    'tokenNotFound',
    `no initialised PKCS#11 token with ${describeToken(token)}; tokens present: ${seen.length === 0 ? 'none' : seen.join(', ')}`,
  );
}

/** Opens a read/write session on `slot` (read/write so that key ceremonies and signing share one code path). */
export function openSession(pkcs11: Pkcs11, slot: Handle): Handle {
  return pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
}

/**
 * Logs the normal user in through `session`. Login is per application and
 * token, not per session (PKCS#11 v2.40 §5.6), so CKR_USER_ALREADY_LOGGED_IN
 * counts as success. Throws {@link HsmError} `pinIncorrect` / `pinLocked`
 * naming the token (never the PIN), `pkcs11Failed` otherwise.
 */
export async function login(pkcs11: Pkcs11, session: Handle, pin: PinSource, token: TokenSelector): Promise<void> {
  const value = await resolvePin(pin);
  try {
    pkcs11.C_Login(session, pkcs11js.CKU_USER, value);
  } catch (err) {
    const code = returnCodeOf(err);
    if (code === 'CKR_USER_ALREADY_LOGGED_IN') return;
    if (code === 'CKR_PIN_INCORRECT' || code === 'CKR_PIN_INVALID' || code === 'CKR_PIN_LEN_RANGE') {
      throw new HsmError('pinIncorrect', `PKCS#11 login to token ${describeToken(token)} failed: the user PIN is incorrect (${code})`, { returnCode: code });
    }
    if (code === 'CKR_PIN_LOCKED') {
      throw new HsmError('pinLocked', `PKCS#11 login to token ${describeToken(token)} failed: the user PIN is locked (${code})`, { returnCode: code });
    }
    throw new HsmError('pkcs11Failed', `PKCS#11 login to token ${describeToken(token)} failed with ${describePkcs11Error(err)}`, {
      ...(code === undefined ? {} : { returnCode: code }),
      cause: err,
    });
  }
}

/** Every object matching `template`. */
export function findObjects(pkcs11: Pkcs11, session: Handle, template: Template): Handle[] {
  pkcs11.C_FindObjectsInit(session, template);
  try {
    const out: Handle[] = [];
    for (;;) {
      const batch = pkcs11.C_FindObjects(session, 64);
      out.push(...batch);
      if (batch.length < 64) return out;
    }
  } finally {
    pkcs11.C_FindObjectsFinal(session);
  }
}

/** The template attribute that selects `key` (CKA_LABEL or CKA_ID). */
export function keySelectorAttribute(key: KeySelector): { type: number; value: Buffer | string } {
  if (key.label !== undefined) return { type: pkcs11js.CKA_LABEL, value: key.label };
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(key.id)) throw new HsmError('invalidConfiguration', `PKCS#11 key id "${key.id}" is not even-length hex`);
  return { type: pkcs11js.CKA_ID, value: Buffer.from(key.id, 'hex') };
}

/** Handles of a key's private and public objects. */
export interface KeyHandles {
  privateKey: Handle;
  publicKey: Handle;
  /** CKA_ID of the private key (hex; may be empty). */
  id: string;
  /** CKA_LABEL of the private key. */
  label: string;
}

/**
 * Finds the private key `key` selects and its public key (same CKA_ID, or
 * same label when the id is empty). Throws {@link HsmError} `keyNotFound` or
 * `keyAmbiguous` naming the selector and the token.
 */
export function findKey(pkcs11: Pkcs11, session: Handle, key: KeySelector, token: TokenSelector): KeyHandles {
  const selector = keySelectorAttribute(key);
  const privates = findObjects(pkcs11, session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, selector]);
  if (privates.length === 0) {
    throw new HsmError('keyNotFound', `no private key with ${describeKey(key)} on PKCS#11 token ${describeToken(token)} (or the user is not logged in)`);
  }
  if (privates.length > 1) {
    throw new HsmError('keyAmbiguous', `${privates.length} private keys with ${describeKey(key)} on PKCS#11 token ${describeToken(token)}; select the key by a unique label or id`);
  }
  const privateKey = privates[0]!;
  const [idAttr, labelAttr] = pkcs11.C_GetAttributeValue(session, privateKey, [{ type: pkcs11js.CKA_ID }, { type: pkcs11js.CKA_LABEL }]);
  const id = idAttr?.value ?? Buffer.alloc(0);
  const label = labelAttr?.value.toString('utf8') ?? '';
  const publicTemplate: Template = [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY }];
  publicTemplate.push(id.length > 0 ? { type: pkcs11js.CKA_ID, value: id } : { type: pkcs11js.CKA_LABEL, value: label });
  const publics = findObjects(pkcs11, session, publicTemplate);
  if (publics.length !== 1) {
    throw new HsmError(
      'keyNotFound',
      `private key with ${describeKey(key)} on PKCS#11 token ${describeToken(token)} has ${publics.length} public key objects with its CKA_ID; expected exactly one`,
    );
  }
  return { privateKey, publicKey: publics[0]!, id: id.toString('hex'), label };
}
