/**
 * Conversions between the two ECDSA signature encodings: IEEE P1363 / WebCrypto
 * / PKCS#11 `r || s` (fixed width) and the DER `Ecdsa-Sig-Value` that X.509
 * places in a BIT STRING (RFC 5758 §3.2, RFC 3279 §2.2.3).
 */
import { children, DerError, expectTag, readIntegerBytes, readSingle } from '../x509/der-reader.js';
import { encodeDer, integerFromUnsigned, sequence, Tag } from '../x509/der.js';

/**
 * Converts a fixed-width `r || s` signature to DER `Ecdsa-Sig-Value`
 * (`SEQUENCE { r INTEGER, s INTEGER }`).
 */
export function p1363ToDer(signature: Uint8Array): Uint8Array {
  if (signature.length === 0 || signature.length % 2 !== 0) {
    throw new RangeError(`ECDSA r||s signature has odd or zero length ${signature.length}`);
  }
  const half = signature.length / 2;
  return encodeDer(sequence(integerFromUnsigned(signature.subarray(0, half)), integerFromUnsigned(signature.subarray(half))));
}

/**
 * Converts a DER `Ecdsa-Sig-Value` to fixed-width `r || s`, each padded to
 * `componentLength` bytes (32 for P-256, 48 for P-384, 66 for P-521).
 * Throws {@link DerError} on malformed input, negative or oversized values.
 */
export function derToP1363(signature: Uint8Array, componentLength: number): Uint8Array {
  const seq = expectTag(readSingle(signature), Tag.SEQUENCE, 'Ecdsa-Sig-Value');
  const parts = children(seq);
  if (parts.length !== 2) throw new DerError('Ecdsa-Sig-Value must hold exactly r and s', seq.start);
  const out = new Uint8Array(componentLength * 2);
  parts.forEach((part, i) => {
    const value = readIntegerBytes(expectTag(part, Tag.INTEGER, i === 0 ? 'r' : 's'));
    if ((value[0]! & 0x80) !== 0 || value.every((b) => b === 0)) {
      throw new DerError('ECDSA signature component is not positive', part.start);
    }
    // A minimal positive INTEGER has at most one leading zero octet (the sign octet).
    const magnitude = value[0] === 0 ? value.subarray(1) : value;
    if (magnitude.length > componentLength) throw new DerError('ECDSA signature component too large', part.start);
    out.set(magnitude, (i + 1) * componentLength - magnitude.length);
  });
  return out;
}
