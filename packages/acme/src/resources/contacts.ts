import { CertwrightError } from '@certwright/core';

/** Most contacts on one account. */
export const MAX_CONTACTS = 10;
/** Longest contact URL accepted. */
export const MAX_CONTACT_LENGTH = 320;

const LOCAL = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$/;
const DOMAIN = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

/**
 * Checks account contacts (RFC 8555 §7.3): an array of at most
 * {@link MAX_CONTACTS} `mailto:` URLs, each with exactly one address and no
 * header fields (`?`). Other schemes → `unsupportedContact`; anything else
 * wrong → `invalidContact`, naming the contact. Returns them with the
 * scheme lowercased.
 */
export function checkContacts(value: unknown): string[] {
  if (!Array.isArray(value)) throw new CertwrightError('invalidContact', "'contact' must be an array of mailto: URLs");
  if (value.length > MAX_CONTACTS) throw new CertwrightError('invalidContact', `At most ${MAX_CONTACTS} contacts are allowed, got ${value.length}`);
  return value.map((item: unknown) => {
    if (typeof item !== 'string') throw new CertwrightError('invalidContact', 'Every contact must be a string URL');
    const shown = JSON.stringify(item.slice(0, 80));
    if (item.length > MAX_CONTACT_LENGTH) throw new CertwrightError('invalidContact', `Contact ${shown}… is longer than ${MAX_CONTACT_LENGTH} characters`);
    const colon = item.indexOf(':');
    const scheme = colon < 0 ? '' : item.slice(0, colon).toLowerCase();
    if (scheme !== 'mailto') throw new CertwrightError('unsupportedContact', `Contact ${shown} is not a mailto: URL; only mailto: contacts are supported`);
    const address = item.slice(colon + 1);
    if (address.includes('?')) throw new CertwrightError('invalidContact', `Contact ${shown} has header fields (hfields); only a plain address is allowed`);
    if (address.includes(',')) throw new CertwrightError('invalidContact', `Contact ${shown} has more than one address; use one contact per address`);
    const at = address.lastIndexOf('@');
    const local = address.slice(0, at);
    const domain = address.slice(at + 1);
    if (at <= 0 || !LOCAL.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..') || !DOMAIN.test(domain)) {
      throw new CertwrightError('invalidContact', `Contact ${shown} is not a valid email address`);
    }
    return `mailto:${address}`;
  });
}
