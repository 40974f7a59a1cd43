/**
 * Strict standard base64 (RFC 4648 §4) as RFC 6962 §4 uses in its JSON:
 * canonical padding, no whitespace, zero padding bits.
 * @module
 */

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes canonical base64, or returns `undefined` for anything else. */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Non-zero padding bits decode but do not re-encode to the same text.
  if (bytes.toString('base64') !== text) return undefined;
  return new Uint8Array(bytes);
}

/** Encodes bytes as standard padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
