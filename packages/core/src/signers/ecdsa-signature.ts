/**
 * Conversions between the two ECDSA signature encodings: IEEE P1363 / WebCrypto
 * / PKCS#11 `r || s` (fixed width) and the DER `Ecdsa-Sig-Value` that X.509
 * places in a BIT STRING (RFC 5758 §3.2, RFC 3279 §2.2.3).
 */
import { concatBytes, decodeInteger, DerError, encodeTlv, expectTag, readChildren, readSingle, TAG } from '../keys/der.js';

function unsignedInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  const content = (trimmed[0]! & 0x80) !== 0 ? concatBytes(Uint8Array.of(0), trimmed) : trimmed;
  return encodeTlv(TAG.INTEGER, content);
}

/**
 * Converts a fixed-width `r || s` signature to DER `Ecdsa-Sig-Value`
 * (`SEQUENCE { r INTEGER, s INTEGER }`).
 */
export function p1363ToDer(signature: Uint8Array): Uint8Array {
  if (signature.length === 0 || signature.length % 2 !== 0) {
    throw new RangeError(`ECDSA r||s signature has odd or zero length ${signature.length}`);
  }
  const half = signature.length / 2;
  return encodeTlv(
    TAG.SEQUENCE,
    concatBytes(unsignedInteger(signature.subarray(0, half)), unsignedInteger(signature.subarray(half))),
  );
}

/**
 * Converts a DER `Ecdsa-Sig-Value` to fixed-width `r || s`, each padded to
 * `componentLength` bytes (32 for P-256, 48 for P-384, 66 for P-521).
 * Throws {@link DerError} on malformed input, negative or oversized values.
 */
export function derToP1363(signature: Uint8Array, componentLength: number): Uint8Array {
  const seq = readSingle(signature, TAG.SEQUENCE);
  const parts = readChildren(seq);
  if (parts.length !== 2) throw new DerError('Ecdsa-Sig-Value must hold exactly r and s');
  const out = new Uint8Array(componentLength * 2);
  parts.forEach((part, i) => {
    const value = decodeInteger(expectTag(part, TAG.INTEGER, i === 0 ? 'r' : 's'));
    if (value <= 0n) throw new DerError('ECDSA signature component is not positive');
    const hex = value.toString(16);
    if (hex.length > componentLength * 2) throw new DerError('ECDSA signature component too large');
    out.set(Buffer.from(hex.padStart(componentLength * 2, '0'), 'hex'), i * componentLength);
  });
  return out;
}
