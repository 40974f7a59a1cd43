/**
 * A small DER encoder (ITU-T X.690 §8, §10) that writes bytes directly.
 *
 * Values are built as a light tree of {@link DerNode}s over byte chunks: each
 * node knows its encoded size, so {@link encodeDer} allocates the output once
 * and copies every leaf chunk exactly once, however deep the nesting.
 * Precomputed `Uint8Array` chunks (an issuer Name, an AlgorithmIdentifier, a
 * static extension) are spliced in as-is.
 */

/** A DER value: either encoded bytes, or a constructed/primitive node to be written. */
export type Der = Uint8Array | DerNode;

/** A TLV whose content is the concatenation of `children`; not yet serialized. */
export interface DerNode {
  /** The identifier octet (tags below 31 only, which is all X.509 needs). */
  readonly tag: number;
  /** The content octets, in order. */
  readonly children: readonly Der[];
  /** Total length of the content octets. */
  readonly contentLength: number;
  /** Total encoded size: identifier + length octets + content. */
  readonly size: number;
}

/** Universal tag numbers used by X.509 (X.680 §8.4), with the constructed bit where it applies. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Number of octets the DER length field of `length` takes (X.690 §8.1.3, §10.1). */
export function lengthOfLength(length: number): number {
  if (length < 0x80) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  if (length < 0x1000000) return 4;
  return 5;
}

/** Writes a DER length at `offset` and returns the offset after it. */
export function writeLength(out: Uint8Array, offset: number, length: number): number {
  if (length < 0x80) {
    out[offset] = length;
    return offset + 1;
  }
  const n = lengthOfLength(length) - 1;
  out[offset] = 0x80 | n;
  for (let i = n; i >= 1; i--) {
    out[offset + i] = length & 0xff;
    length = Math.floor(length / 256);
  }
  return offset + n + 1;
}

function sizeOf(d: Der): number {
  return d instanceof Uint8Array ? d.length : d.size;
}

/** A TLV node with tag `tag` whose content is `children` concatenated (nothing is copied yet). */
export function tlv(tag: number, ...children: Der[]): DerNode {
  let contentLength = 0;
  for (const c of children) contentLength += sizeOf(c);
  return { tag, children, contentLength, size: 1 + lengthOfLength(contentLength) + contentLength };
}

function writeDer(out: Uint8Array, offset: number, d: Der): number {
  if (d instanceof Uint8Array) {
    out.set(d, offset);
    return offset + d.length;
  }
  out[offset] = d.tag;
  offset = writeLength(out, offset + 1, d.contentLength);
  for (const c of d.children) offset = writeDer(out, offset, c);
  return offset;
}

/** Serializes a value to bytes in one allocation. A `Uint8Array` is returned unchanged. */
export function encodeDer(d: Der): Uint8Array {
  if (d instanceof Uint8Array) return d;
  const out = new Uint8Array(d.size);
  writeDer(out, 0, d);
  return out;
}

/** Concatenates values without a surrounding tag (e.g. the content of a SEQUENCE assembled in pieces). */
export function concatDer(...parts: Der[]): Uint8Array {
  let size = 0;
  for (const p of parts) size += sizeOf(p);
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) offset = writeDer(out, offset, p);
  return out;
}

/** SEQUENCE (X.690 §8.9). */
export function sequence(...children: Der[]): DerNode {
  return tlv(Tag.SEQUENCE, ...children);
}

/**
 * SET OF (X.690 §11.6): DER requires the encodings sorted as octet strings,
 * so the elements are serialized and sorted here.
 */
export function setOf(...children: Der[]): DerNode {
  const encoded = children.map(encodeDer);
  encoded.sort(compareBytes);
  return tlv(Tag.SET, ...encoded);
}

/** Lexicographic comparison of byte strings (shorter prefix first, as X.690 §11.6 pads with zeros). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** True when `a` and `b` hold the same bytes (DER encodings compare equal exactly when their values do). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

/** Context-specific, constructed, EXPLICIT tag `[n]` around `inner` (X.690 §8.14). */
export function explicit(n: number, ...inner: Der[]): DerNode {
  return tlv(0xa0 | n, ...inner);
}

/** Context-specific IMPLICIT tag `[n]` replacing a primitive value's tag; content given as bytes. */
export function implicitPrimitive(n: number, content: Uint8Array): DerNode {
  return tlv(0x80 | n, content);
}

/** Context-specific IMPLICIT tag `[n]` replacing a constructed value's tag (SEQUENCE/SET content given as children). */
export function implicitConstructed(n: number, ...children: Der[]): DerNode {
  return tlv(0xa0 | n, ...children);
}

/** BOOLEAN (X.690 §11.1: TRUE is 0xFF). */
export function boolean(value: boolean): Uint8Array {
  return Uint8Array.of(Tag.BOOLEAN, 1, value ? 0xff : 0x00);
}

/** NULL. */
export const NULL_DER: Uint8Array = Uint8Array.of(Tag.NULL, 0);

/**
 * Minimal two's-complement content octets for a non-negative integer given as
 * big-endian unsigned bytes: leading zeros are stripped and a 0x00 sign
 * octet added when the top bit is set (X.690 §8.3.2).
 */
export function unsignedIntegerContent(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) return Uint8Array.of(0);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const needsSign = (bytes[start]! & 0x80) !== 0;
  if (!needsSign && start === 0) return bytes;
  const out = new Uint8Array(bytes.length - start + (needsSign ? 1 : 0));
  out.set(bytes.subarray(start), needsSign ? 1 : 0);
  return out;
}

/** INTEGER from big-endian unsigned bytes (a serial number, an RSA modulus). */
export function integerFromUnsigned(bytes: Uint8Array): DerNode {
  return tlv(Tag.INTEGER, unsignedIntegerContent(bytes));
}

/** INTEGER from a bigint or safe integer, negative values included (minimal two's complement). */
export function integer(value: bigint | number): DerNode {
  let v = BigInt(value);
  const bytes: number[] = [];
  if (v >= 0n) {
    do {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v > 0n);
    if (bytes[0]! & 0x80) bytes.unshift(0);
  } else {
    do {
      bytes.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v < -1n);
    if (!(bytes[0]! & 0x80)) bytes.unshift(0xff);
  }
  return tlv(Tag.INTEGER, Uint8Array.from(bytes));
}

/** Content octets of an OBJECT IDENTIFIER from its dotted form (X.690 §8.19). */
export function oidContent(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((s) => {
    if (!/^(0|[1-9][0-9]*)$/.test(s)) throw new RangeError(`invalid OID ${dotted}`);
    return BigInt(s);
  });
  if (arcs.length < 2 || arcs[0]! > 2n || (arcs[0]! < 2n && arcs[1]! > 39n)) throw new RangeError(`invalid OID ${dotted}`);
  const out: number[] = [];
  const pushArc = (arc: bigint): void => {
    const chunk: number[] = [Number(arc & 0x7fn)];
    arc >>= 7n;
    while (arc > 0n) {
      chunk.unshift(Number(arc & 0x7fn) | 0x80);
      arc >>= 7n;
    }
    out.push(...chunk);
  };
  pushArc(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) pushArc(arc);
  return Uint8Array.from(out);
}

/** A complete OBJECT IDENTIFIER TLV from its dotted form; precompute it once. */
export function oid(dotted: string): Uint8Array {
  return encodeDer(tlv(Tag.OID, oidContent(dotted)));
}

/** BIT STRING with zero unused bits (X.690 §8.6), the form keys and signatures use. */
export function bitString(bytes: Uint8Array): DerNode {
  return tlv(Tag.BIT_STRING, Uint8Array.of(0), bytes);
}

/**
 * BIT STRING for a named bit list (X.680 §22.7, X.690 §11.2.2): bit 0 is the
 * most significant bit of the first octet; trailing zero bits are removed.
 */
export function namedBits(bits: readonly number[]): Uint8Array {
  if (bits.length === 0) return Uint8Array.of(Tag.BIT_STRING, 1, 0);
  const highest = Math.max(...bits);
  const bytes = new Uint8Array((highest >> 3) + 1);
  for (const b of bits) bytes[b >> 3]! |= 0x80 >> (b & 7);
  const unused = 7 - (highest & 7);
  return encodeDer(tlv(Tag.BIT_STRING, Uint8Array.of(unused), bytes));
}

/** OCTET STRING. */
export function octetString(...content: Der[]): DerNode {
  return tlv(Tag.OCTET_STRING, ...content);
}

const textEncoder = new TextEncoder();

/** UTF8String. */
export function utf8String(text: string): DerNode {
  return tlv(Tag.UTF8_STRING, textEncoder.encode(text));
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** True when `text` fits PrintableString's repertoire (X.680 §41.4). */
export function isPrintable(text: string): boolean {
  return PRINTABLE.test(text);
}

/** PrintableString; throws when `text` is outside its repertoire. */
export function printableString(text: string): DerNode {
  if (!isPrintable(text)) throw new RangeError(`not a PrintableString: ${JSON.stringify(text)}`);
  return tlv(Tag.PRINTABLE_STRING, textEncoder.encode(text));
}

/** IA5String (ASCII); throws on non-ASCII text. */
export function ia5String(text: string): DerNode {
  return tlv(Tag.IA5_STRING, ia5Bytes(text));
}

/** The ASCII bytes of `text`; throws on characters above 0x7F. */
export function ia5Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new RangeError(`not an IA5String: ${JSON.stringify(text)}`);
    out[i] = c;
  }
  return out;
}

function put2(out: Uint8Array, offset: number, v: number): void {
  out[offset] = 0x30 + Math.floor(v / 10);
  out[offset + 1] = 0x30 + (v % 10);
}

function checkDate(date: Date): void {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
}

/** UTCTime `YYMMDDHHMMSSZ` (RFC 5280 §4.1.2.5.1): only for years 1950–2049. */
export function utcTime(date: Date): Uint8Array {
  checkDate(date);
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 2049) throw new RangeError(`UTCTime cannot represent year ${year}`);
  const out = new Uint8Array(15);
  out[0] = Tag.UTC_TIME;
  out[1] = 13;
  put2(out, 2, year % 100);
  put2(out, 4, date.getUTCMonth() + 1);
  put2(out, 6, date.getUTCDate());
  put2(out, 8, date.getUTCHours());
  put2(out, 10, date.getUTCMinutes());
  put2(out, 12, date.getUTCSeconds());
  out[14] = 0x5a;
  return out;
}

/** GeneralizedTime `YYYYMMDDHHMMSSZ` without fractional seconds (RFC 5280 §4.1.2.5.2). */
export function generalizedTime(date: Date): Uint8Array {
  checkDate(date);
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`GeneralizedTime cannot represent year ${year}`);
  const out = new Uint8Array(17);
  out[0] = Tag.GENERALIZED_TIME;
  out[1] = 15;
  put2(out, 2, Math.floor(year / 100));
  put2(out, 4, year % 100);
  put2(out, 6, date.getUTCMonth() + 1);
  put2(out, 8, date.getUTCDate());
  put2(out, 10, date.getUTCHours());
  put2(out, 12, date.getUTCMinutes());
  put2(out, 14, date.getUTCSeconds());
  out[16] = 0x5a;
  return out;
}

/**
 * An X.509 `Time` (RFC 5280 §4.1.2.5): UTCTime through 2049, GeneralizedTime
 * from 2050 on. Sub-second precision is dropped (rounded down).
 */
export function x509Time(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  return year >= 1950 && year <= 2049 ? utcTime(date) : generalizedTime(date);
}
