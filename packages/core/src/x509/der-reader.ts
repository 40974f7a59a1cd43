/**
 * A minimal, strict DER reader (ITU-T X.690 §8, §10): it walks TLVs by
 * offset without building an object graph, so lints and checks stay cheap.
 * Indefinite lengths, non-minimal lengths, high tag numbers and truncated
 * values are rejected with {@link DerError}.
 */

/**
 * A malformed or non-DER encoding, with the offset where it was found when
 * the fault sits at a known byte; callers turn it into a client error.
 */
export class DerError extends Error {
  /** Byte offset of the faulty element within the buffer, when known. */
  readonly offset: number | undefined;
  constructor(message: string, offset?: number) {
    super(offset === undefined ? message : `${message} at offset ${offset}`);
    this.name = 'DerError';
    this.offset = offset;
  }
}

/** One decoded TLV: its tag and where its parts sit in `bytes`. */
export interface Tlv {
  /** The whole buffer the element was read from. */
  readonly bytes: Uint8Array;
  /** The identifier octet. */
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly valueStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

/** Reads the TLV starting at `offset`, not reading past `limit` (defaults to the buffer's end). */
export function readTlv(bytes: Uint8Array, offset = 0, limit = bytes.length): Tlv {
  if (offset >= limit) throw new DerError('unexpected end of data', offset);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported', offset);
  if (offset + 1 >= limit) throw new DerError('missing length', offset);
  const first = bytes[offset + 1]!;
  let length: number;
  let valueStart: number;
  if (first < 0x80) {
    length = first;
    valueStart = offset + 2;
  } else {
    const n = first & 0x7f;
    if (n === 0) throw new DerError('indefinite length is not DER', offset);
    if (n > 4) throw new DerError('length too large', offset);
    if (offset + 2 + n > limit) throw new DerError('truncated length', offset);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[offset + 2 + i]!;
    if (length < 0x80 || bytes[offset + 2] === 0) throw new DerError('non-minimal length', offset);
    valueStart = offset + 2 + n;
  }
  const end = valueStart + length;
  if (end > limit) throw new DerError('value runs past the end of its container', offset);
  return { bytes, tag, start: offset, valueStart, end };
}

/** Reads exactly one TLV spanning all of `bytes`; trailing data is an error. */
export function readSingle(bytes: Uint8Array): Tlv {
  const t = readTlv(bytes, 0);
  const extra = bytes.length - t.end;
  if (extra !== 0) throw new DerError(`trailing data: ${extra} byte${extra === 1 ? '' : 's'} after the DER value`, t.end);
  return t;
}

/** The children of a constructed TLV, in order; each must fit inside the parent. */
export function children(parent: Tlv): Tlv[] {
  if ((parent.tag & 0x20) === 0) throw new DerError('not a constructed value', parent.start);
  const out: Tlv[] = [];
  let offset = parent.valueStart;
  while (offset < parent.end) {
    const c = readTlv(parent.bytes, offset, parent.end);
    out.push(c);
    offset = c.end;
  }
  return out;
}

/** The content octets of a TLV (a view, not a copy). */
export function valueOf(t: Tlv): Uint8Array {
  return t.bytes.subarray(t.valueStart, t.end);
}

/** The whole encoding of a TLV, tag and length included (a view, not a copy). */
export function encodingOf(t: Tlv): Uint8Array {
  return t.bytes.subarray(t.start, t.end);
}

/** Throws unless `t` is present and has tag `tag`; `what` names the field in the error. */
export function expectTag(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (t === undefined) throw new DerError(`missing ${what}`);
  if (t.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${t.tag.toString(16)}`, t.start);
  return t;
}

/** Decodes an OBJECT IDENTIFIER TLV to its dotted form (arcs of any size). */
export function readOid(t: Tlv): string {
  expectTag(t, 0x06, 'OBJECT IDENTIFIER');
  const v = t.bytes;
  if (t.end === t.valueStart) throw new DerError('empty OBJECT IDENTIFIER', t.start);
  let out = '';
  let acc = 0;
  let big: bigint | undefined;
  let fresh = true;
  for (let i = t.valueStart; i < t.end; i++) {
    const b = v[i]!;
    if (fresh && b === 0x80) throw new DerError('non-minimal OID arc', t.start);
    fresh = false;
    if (big === undefined && acc < 0x100000000000) acc = acc * 128 + (b & 0x7f);
    else big = ((big ?? BigInt(acc)) << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      if (out === '') {
        // The first subidentifier packs the first two arcs (X.690 §8.19.4).
        if (big !== undefined) out = `2.${big - 80n}`;
        else out = acc < 40 ? `0.${acc}` : acc < 80 ? `1.${acc - 40}` : `2.${acc - 80}`;
      } else {
        out += `.${big ?? acc}`;
      }
      acc = 0;
      big = undefined;
      fresh = true;
    }
  }
  if (!fresh) throw new DerError('truncated OID arc', t.start);
  return out;
}

/** Decodes a BOOLEAN, strictly (DER: 0x00 or 0xFF). */
export function readBoolean(t: Tlv): boolean {
  expectTag(t, 0x01, 'BOOLEAN');
  const b = t.bytes[t.valueStart];
  if (t.end - t.valueStart !== 1 || (b !== 0 && b !== 0xff)) throw new DerError('BOOLEAN is not DER', t.start);
  return b === 0xff;
}

/** Content octets of an INTEGER, checked for minimal encoding (X.690 §8.3.2). */
export function readIntegerBytes(t: Tlv): Uint8Array {
  expectTag(t, 0x02, 'INTEGER');
  const v = valueOf(t);
  if (v.length === 0) throw new DerError('empty INTEGER', t.start);
  if (v.length > 1 && ((v[0] === 0 && (v[1]! & 0x80) === 0) || (v[0] === 0xff && (v[1]! & 0x80) !== 0))) {
    throw new DerError('non-minimal INTEGER', t.start);
  }
  return v;
}

/** Decodes an INTEGER to a bigint (two's complement). */
export function readInteger(t: Tlv): bigint {
  const v = readIntegerBytes(t);
  let n = 0n;
  for (const b of v) n = (n << 8n) | BigInt(b);
  if (v[0]! & 0x80) n -= 1n << BigInt(v.length * 8);
  return n;
}

/** Decodes a BIT STRING: the unused-bit count and the bit bytes. */
export function readBitString(t: Tlv): { unusedBits: number; bytes: Uint8Array } {
  expectTag(t, 0x03, 'BIT STRING');
  const v = valueOf(t);
  if (v.length === 0) throw new DerError('empty BIT STRING', t.start);
  const unusedBits = v[0]!;
  if (unusedBits > 7 || (v.length === 1 && unusedBits !== 0)) throw new DerError('bad BIT STRING padding', t.start);
  const bytes = v.subarray(1);
  if (unusedBits > 0 && (bytes[bytes.length - 1]! & ((1 << unusedBits) - 1)) !== 0) {
    throw new DerError('BIT STRING padding bits are not zero', t.start);
  }
  return { unusedBits, bytes };
}

/**
 * The bytes of a BIT STRING that must hold whole octets (keys and signatures,
 * RFC 5280 §4.1.1.3, §4.1.2.7): a non-zero unused-bits count is an error.
 */
export function readBitStringOctets(t: Tlv): Uint8Array {
  const { unusedBits, bytes } = readBitString(t);
  if (unusedBits !== 0) throw new DerError('BIT STRING with unused bits where whole octets are required', t.start);
  return bytes;
}

/** Whether bit `n` (0 = most significant bit of the first octet) is set in a named-bit BIT STRING. */
export function bitIsSet(bits: { bytes: Uint8Array }, n: number): boolean {
  const byte = bits.bytes[n >> 3];
  return byte !== undefined && (byte & (0x80 >> (n & 7))) !== 0;
}

const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes a string type (UTF8String, PrintableString, IA5String…) as text. */
export function readString(t: Tlv): string {
  return textDecoder.decode(valueOf(t));
}

function digits(v: Uint8Array, from: number, count: number, t: Tlv): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = v[i]! - 0x30;
    if (c < 0 || c > 9) throw new DerError('bad digit in time', t.start);
    n = n * 10 + c;
  }
  return n;
}

/** Days in `month` (1–12) of `year` in the proleptic Gregorian calendar, as `Date` counts them. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Decodes an X.509 `Time` in the forms RFC 5280 §4.1.2.5 allows: UTCTime
 * `YYMMDDHHMMSSZ` (years 1950–2049) and GeneralizedTime `YYYYMMDDHHMMSSZ`.
 */
export function readTime(t: Tlv): Date {
  // Digits are read in place from the buffer (no view is allocated).
  const v = t.bytes;
  const length = t.end - t.valueStart;
  let year: number;
  let rest: number;
  if (t.tag === 0x17) {
    if (length !== 13) throw new DerError('UTCTime must be YYMMDDHHMMSSZ', t.start);
    const yy = digits(v, t.valueStart, 2, t);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = t.valueStart + 2;
  } else if (t.tag === 0x18) {
    if (length !== 15) throw new DerError('GeneralizedTime must be YYYYMMDDHHMMSSZ', t.start);
    year = digits(v, t.valueStart, 4, t);
    rest = t.valueStart + 4;
  } else {
    throw new DerError('expected UTCTime or GeneralizedTime', t.start);
  }
  if (v[t.end - 1] !== 0x5a) throw new DerError('time must end in Z', t.start);
  const month = digits(v, rest, 2, t);
  const day = digits(v, rest + 2, 2, t);
  const hour = digits(v, rest + 4, 2, t);
  const minute = digits(v, rest + 6, 2, t);
  const second = digits(v, rest + 8, 2, t);
  // Years below 100 are rejected too: Date.UTC would read them as 19xx.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw new DerError('time out of range', t.start);
  }
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second));
}
