import { describe, expect, it } from 'vitest';
import { decodeInteger, decodeOid, encodeOid, encodeTlv, readElement, readSingle, TAG, decodeBitStringBytes } from '../../src/keys/der.js';

describe('strict DER reader', () => {
  it.each(['1.2.840.113549.1.1.11', '2.5.29.17', '1.3.101.112', '2.999.3', '0.9.2342.19200300.100.1.25', '1.2.18446744073709551617'])(
    'round-trips OID %s',
    (oid) => {
      expect(decodeOid(readSingle(encodeOid(oid)))).toBe(oid);
    },
  );

  it('encodes OIDs as X.690 specifies', () => {
    expect(Buffer.from(encodeOid('1.2.840.10045.4.3.2')).toString('hex')).toBe('06082a8648ce3d040302');
  });

  it('rejects non-minimal and truncated OIDs', () => {
    expect(() => decodeOid(readSingle(Uint8Array.of(TAG.OID, 2, 0x80, 0x01)))).toThrow(/non-minimal/);
    expect(() => decodeOid(readSingle(Uint8Array.of(TAG.OID, 1, 0x81)))).toThrow(/truncated/);
    expect(() => decodeOid(readSingle(Uint8Array.of(TAG.OID, 0)))).toThrow(/empty/);
  });

  it('rejects truncated input, long tags and values past their container', () => {
    expect(() => readElement(Uint8Array.of(0x30))).toThrow(/truncated DER header/);
    expect(() => readElement(Uint8Array.of(0x1f, 0x01, 0x00))).toThrow(/multi-byte DER tags/);
    expect(() => readElement(Uint8Array.of(0x04, 0x03, 0x00))).toThrow(/runs past the end/);
    expect(() => readElement(Uint8Array.of(0x04, 0x82, 0x00, 0x90))).toThrow(/non-minimal DER length/);
  });

  it('decodes signed integers and rejects padded ones', () => {
    expect(decodeInteger(readSingle(Uint8Array.of(2, 1, 0x7f)))).toBe(127n);
    expect(decodeInteger(readSingle(Uint8Array.of(2, 2, 0x00, 0x80)))).toBe(128n);
    expect(decodeInteger(readSingle(Uint8Array.of(2, 1, 0xff)))).toBe(-1n);
    expect(() => decodeInteger(readSingle(Uint8Array.of(2, 2, 0xff, 0x80)))).toThrow(/non-minimal/);
    expect(() => decodeInteger(readSingle(Uint8Array.of(2, 0)))).toThrow(/empty/);
  });

  it('requires whole-octet BIT STRINGs where keys and signatures live', () => {
    expect(decodeBitStringBytes(readSingle(Uint8Array.of(3, 2, 0, 0xaa)))).toEqual(Uint8Array.of(0xaa));
    expect(() => decodeBitStringBytes(readSingle(Uint8Array.of(3, 2, 1, 0xaa)))).toThrow(/unused bits/);
  });

  it('encodes long lengths minimally', () => {
    const tlv = encodeTlv(TAG.OCTET_STRING, new Uint8Array(300));
    expect(Array.from(tlv.subarray(0, 4))).toEqual([0x04, 0x82, 0x01, 0x2c]);
    expect(readSingle(tlv).value.length).toBe(300);
  });
});
