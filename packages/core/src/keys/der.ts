/**
 * A minimal, strict DER reader (ITU-T X.690 §10) for the structures this
 * package inspects: SubjectPublicKeyInfo, PKCS#10 requests and
 * AlgorithmIdentifiers. It accepts only definite, minimally encoded lengths
 * and single-byte tags, and reports any violation as a {@link DerError}.
 */

/** A malformed or non-DER encoding; callers turn it into a client error. */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DerError';
  }
}

/** Universal and context tags used by the readers in this package. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** One decoded TLV: its tag byte, its content, and the whole encoding. */
export interface DerElement {
  /** The identifier octet (class, constructed bit and tag number). */
  tag: number;
  /** The content octets (a view into the input). */
  value: Uint8Array;
  /** The complete encoding, header included (a view into the input). */
  raw: Uint8Array;
}

/**
 * Reads one TLV at `offset` and returns it with the offset just past it.
 * High tag numbers (0x1f), indefinite lengths and non-minimal lengths are
 * rejected.
 */
export function readElement(input: Uint8Array, offset = 0): { element: DerElement; next: number } {
  if (offset + 2 > input.length) throw new DerError('truncated DER header');
  const tag = input[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let pos = offset + 1;
  const first = input[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const count = first & 0x7f;
    if (count === 0) throw new DerError('indefinite length is not DER');
    if (count > 4) throw new DerError('DER length too large');
    if (pos + count > input.length) throw new DerError('truncated DER length');
    if (input[pos] === 0) throw new DerError('non-minimal DER length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + input[pos++]!;
    if (length < 0x80) throw new DerError('non-minimal DER length');
  }
  const end = pos + length;
  if (end > input.length) throw new DerError('DER value runs past the end of its container');
  return { element: { tag, value: input.subarray(pos, end), raw: input.subarray(offset, end) }, next: end };
}

/** Decodes exactly one TLV spanning all of `input`: trailing bytes are an error. */
export function readSingle(input: Uint8Array, expectedTag?: number): DerElement {
  const { element, next } = readElement(input, 0);
  if (next !== input.length) throw new DerError(`${input.length - next} trailing bytes after DER value`);
  if (expectedTag !== undefined) expectTag(element, expectedTag);
  return element;
}

/** Splits the content of a constructed element into its children. */
export function readChildren(parent: DerElement | Uint8Array): DerElement[] {
  const content = parent instanceof Uint8Array ? parent : parent.value;
  if (!(parent instanceof Uint8Array) && (parent.tag & 0x20) === 0) {
    throw new DerError(`tag 0x${parent.tag.toString(16)} is not constructed`);
  }
  const out: DerElement[] = [];
  let offset = 0;
  while (offset < content.length) {
    const { element, next } = readElement(content, offset);
    out.push(element);
    offset = next;
  }
  return out;
}

/** Throws unless the element carries `tag`. */
export function expectTag(element: DerElement | undefined, tag: number, what = 'element'): DerElement {
  if (element === undefined) throw new DerError(`missing ${what}`);
  if (element.tag !== tag) {
    throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${element.tag.toString(16)}`);
  }
  return element;
}

/** Decodes an OBJECT IDENTIFIER's content as dotted text (X.690 §8.19). */
export function decodeOid(element: DerElement): string {
  expectTag(element, TAG.OID, 'OBJECT IDENTIFIER');
  const bytes = element.value;
  if (bytes.length === 0) throw new DerError('empty OBJECT IDENTIFIER');
  const arcs: bigint[] = [];
  let acc = 0n;
  let started = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (!started && b === 0x80) throw new DerError('non-minimal OBJECT IDENTIFIER arc');
    started = true;
    acc = (acc << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(acc);
      acc = 0n;
      started = false;
    } else if (i === bytes.length - 1) {
      throw new DerError('truncated OBJECT IDENTIFIER');
    }
  }
  const first = arcs[0]!;
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...arcs.slice(1)].join('.');
}

/** Encodes a dotted OID as a complete DER TLV. */
export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new RangeError(`invalid OID ${oid}`);
  const body: number[] = [];
  const push = (v: bigint): void => {
    const chunk: number[] = [Number(v & 0x7fn)];
    v >>= 7n;
    while (v > 0n) {
      chunk.unshift(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    body.push(...chunk);
  };
  push(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return encodeTlv(TAG.OID, Uint8Array.from(body));
}

/** Encodes a DER TLV from a tag and content. */
export function encodeTlv(tag: number, content: Uint8Array): Uint8Array {
  const len = content.length;
  let header: number[];
  if (len < 0x80) header = [tag, len];
  else {
    const lenBytes: number[] = [];
    for (let v = len; v > 0; v = Math.floor(v / 256)) lenBytes.unshift(v & 0xff);
    header = [tag, 0x80 | lenBytes.length, ...lenBytes];
  }
  const out = new Uint8Array(header.length + len);
  out.set(header, 0);
  out.set(content, header.length);
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Decodes a DER INTEGER as a bigint, rejecting non-minimal encodings
 * (X.690 §8.3.2).
 */
export function decodeInteger(element: DerElement): bigint {
  expectTag(element, TAG.INTEGER, 'INTEGER');
  const b = element.value;
  if (b.length === 0) throw new DerError('empty INTEGER');
  if (b.length > 1 && ((b[0] === 0 && (b[1]! & 0x80) === 0) || (b[0] === 0xff && (b[1]! & 0x80) !== 0))) {
    throw new DerError('non-minimal INTEGER');
  }
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  if ((b[0]! & 0x80) !== 0) v -= 1n << BigInt(b.length * 8);
  return v;
}

/** Returns the bytes of a BIT STRING with no unused bits (keys, signatures). */
export function decodeBitStringBytes(element: DerElement): Uint8Array {
  expectTag(element, TAG.BIT_STRING, 'BIT STRING');
  const b = element.value;
  if (b.length === 0) throw new DerError('empty BIT STRING');
  if (b[0] !== 0) throw new DerError('BIT STRING with unused bits where whole octets are required');
  return b.subarray(1);
}

/** Big-endian unsigned bytes to bigint. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const byte of bytes) v = (v << 8n) | BigInt(byte);
  return v;
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes of a lowercase or uppercase hex string. */
export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
