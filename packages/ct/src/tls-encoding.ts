/**
 * The TLS presentation language encoding RFC 6962 uses for its structures
 * (RFC 5246 §4): big-endian unsigned integers of fixed width and opaque
 * vectors with a 1-, 2- or 3-octet length prefix. {@link TlsWriter} builds
 * bytes; {@link TlsReader} reads them strictly and throws
 * {@link TlsDecodeError} naming the field that is short or out of bounds.
 * @module
 */

/** A malformed TLS-encoded structure; `message` names the field. */
export class TlsDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsDecodeError';
  }
}

/** Accumulates TLS-encoded fields and returns them as one byte array. */
export class TlsWriter {
  readonly #chunks: Uint8Array[] = [];
  #length = 0;

  /** Appends raw bytes (a fixed-size field such as a 32-octet log id). */
  bytes(value: Uint8Array): this {
    this.#chunks.push(value);
    this.#length += value.length;
    return this;
  }

  /** Appends an unsigned integer of `width` octets (1, 2, 3 or 8). */
  uint(value: number, width: 1 | 2 | 3 | 8): this {
    if (!Number.isSafeInteger(value) || value < 0 || (width < 8 && value >= 2 ** (8 * width))) {
      throw new RangeError(`${value} does not fit in an unsigned ${width}-octet integer`);
    }
    const out = new Uint8Array(width);
    let v = BigInt(value);
    for (let i = width - 1; i >= 0; i--) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return this.bytes(out);
  }

  /** Appends an opaque vector `<min..2^(8*width)-1>`: a `width`-octet length, then the bytes. */
  vector(value: Uint8Array, width: 1 | 2 | 3, min = 0): this {
    if (value.length < min) throw new RangeError(`a vector needs at least ${min} octets, got ${value.length}`);
    this.uint(value.length, width);
    return this.bytes(value);
  }

  /** The bytes written so far, in one array. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const c of this.#chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

/** Reads TLS-encoded fields from a byte array, front to back. */
export class TlsReader {
  #offset = 0;
  constructor(readonly data: Uint8Array) {}

  /** Octets not yet read. */
  get remaining(): number {
    return this.data.length - this.#offset;
  }

  /** Reads `length` raw octets (a view); `what` names the field in errors. */
  bytes(length: number, what: string): Uint8Array {
    if (length > this.remaining) throw new TlsDecodeError(`${what}: needs ${length} octets, only ${this.remaining} left`);
    const out = this.data.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return out;
  }

  /** Reads an unsigned integer of `width` octets; 8-octet values must fit in a safe integer. */
  uint(width: 1 | 2 | 3 | 8, what: string): number {
    const b = this.bytes(width, what);
    let v = 0n;
    for (const x of b) v = (v << 8n) | BigInt(x);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TlsDecodeError(`${what}: ${v} is larger than this implementation handles`);
    return Number(v);
  }

  /** Reads an opaque vector with a `width`-octet length prefix and at least `min` octets. */
  vector(width: 1 | 2 | 3, what: string, min = 0): Uint8Array {
    const length = this.uint(width, `${what} length`);
    if (length < min) throw new TlsDecodeError(`${what}: needs at least ${min} octets, has ${length}`);
    return this.bytes(length, what);
  }

  /** Throws unless every octet has been read. */
  end(what: string): void {
    if (this.remaining !== 0) throw new TlsDecodeError(`${what}: ${this.remaining} trailing octet${this.remaining === 1 ? '' : 's'}`);
  }
}
