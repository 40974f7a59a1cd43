import { base64url, decodeBase64urlStrict } from '@certwright/core';

/**
 * Decodes unpadded base64url (RFC 4648 §5) strictly, as RFC 7515 §2 and
 * RFC 8555 §6.1 require: only `[A-Za-z0-9_-]`, no `=` padding, no whitespace,
 * and the canonical encoding only. Core's decoder, re-exported for the JWS
 * layer; it returns `undefined` when `text` is not strict base64url.
 */
export { decodeBase64urlStrict } from '@certwright/core';

/** True when `text` is strict, canonical, unpadded base64url (see {@link decodeBase64urlStrict}). */
export function isStrictBase64url(text: string): boolean {
  return decodeBase64urlStrict(text) !== undefined;
}

/** Encodes bytes as unpadded base64url (RFC 4648 §5): core's `base64url`. */
export const encodeBase64url: (bytes: Uint8Array) => string = base64url;
