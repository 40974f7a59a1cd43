const BASE64URL_ALPHABET = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes unpadded base64url (RFC 4648 §5) strictly, as RFC 7515 §2 and
 * RFC 8555 §6.1 require: only `[A-Za-z0-9_-]`, no `=` padding, no whitespace,
 * and the canonical encoding only (a string whose unused trailing bits are
 * not zero is rejected, so every byte string has exactly one encoding).
 *
 * @returns the decoded bytes, or `undefined` when `text` is not strict base64url.
 */
export function decodeBase64urlStrict(text: string): Uint8Array | undefined {
  if (!BASE64URL_ALPHABET.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** True when `text` is strict, canonical, unpadded base64url (see {@link decodeBase64urlStrict}). */
export function isStrictBase64url(text: string): boolean {
  return decodeBase64urlStrict(text) !== undefined;
}

/** Encodes bytes as unpadded base64url (RFC 4648 §5). */
export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
