/**
 * Strict decoding of unpadded base64url (RFC 4648 §5), the encoding of every
 * binary value in JOSE and ACME (RFC 7515 §2, RFC 8555 §6.1): JWK members,
 * JWS parts, the finalize `csr`. Encoding is `base64url` in random.ts.
 */
const BASE64URL_ALPHABET = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes unpadded base64url strictly: only `[A-Za-z0-9_-]`, no `=`
 * padding, no whitespace, and the canonical encoding only (a string whose
 * unused trailing bits are not zero is refused, so every byte string has
 * exactly one encoding). The empty string decodes to zero bytes.
 *
 * @returns the decoded bytes, or `undefined` when `text` is not strict base64url.
 */
export function decodeBase64urlStrict(text: string): Uint8Array | undefined {
  if (!BASE64URL_ALPHABET.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
