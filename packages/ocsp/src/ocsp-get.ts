/**
 * The request carried in a GET URL (RFC 6960 Appendix A.1, RFC 5019 §5):
 * `<path>/<url-encoding of base64 of DER OCSPRequest>`. Clients and proxies
 * differ in what they escape: `%2F`, `%2B`, `%3D` (any case) are decoded,
 * a raw `+` stays `+` (a path is not form data), a space that a
 * form-decoder made of `+` goes back to `+`, base64url's `-` and `_` are
 * accepted, and missing `=` padding is restored.
 */
import { CertwrightError } from '@certwright/core';

/** Longest encoded request accepted in a GET path (RFC 5019 §5 clients use GET only up to 255 bytes). */
export const MAX_GET_ENCODED_LENGTH = 1024;

function malformed(rule: string): CertwrightError {
  return new CertwrightError('malformed', `OCSP GET: ${rule}`);
}

/** Decodes the encoded part of a GET path (after the responder's base path) to DER. */
export function decodeGetPath(encoded: string): Uint8Array {
  if (encoded.length === 0) throw malformed('no request in the path');
  if (encoded.length > MAX_GET_ENCODED_LENGTH) throw malformed(`encoded request longer than ${MAX_GET_ENCODED_LENGTH} characters`);
  let text: string;
  try {
    text = decodeURIComponent(encoded);
  } catch {
    throw malformed('bad percent-encoding');
  }
  text = text.replaceAll(' ', '+').replaceAll('-', '+').replaceAll('_', '/');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw malformed('not base64');
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) throw malformed('base64 length is impossible');
  if (text.length !== unpadded.length && text.length % 4 !== 0) throw malformed('base64 padding is wrong');
  const bytes = Buffer.from(unpadded, 'base64');
  // Reject non-canonical encodings (stray bits in the last character).
  if (bytes.toString('base64').replace(/=+$/, '') !== unpadded) throw malformed('base64 has non-zero padding bits');
  return new Uint8Array(bytes);
}
