import type { Random } from '../random.js';

/** Options for {@link createSerialGenerator}. */
export interface SerialOptions {
  /**
   * A fixed first octet (0x01–0x7f) that keeps every serial positive and of
   * constant length, and lets operators tell certwright serials apart from
   * others' (Boulder does the same with its per-instance prefix).
   * Default 0x2c.
   */
  prefix?: number;
  /** Random octets after the prefix; at least 16 (128 bits). Default 16. */
  randomBytes?: number;
}

/** How many serials' random octets {@link createSerialGenerator} draws from the random source at once. */
const SERIALS_PER_DRAW = 64;

/** A certificate serial number: its DER INTEGER content octets and lowercase hex. */
export interface Serial {
  bytes: Uint8Array;
  hex: string;
}

/**
 * Creates a generator of certificate serial numbers: one prefix octet followed
 * by at least 128 random bits from the CSPRNG. Serials are positive, at most
 * 20 octets (RFC 5280 §4.1.2.2) and carry more than the 64 bits of entropy the
 * CA/Browser Forum Baseline Requirements (§7.1) ask for. Uniqueness is not
 * assumed: the store's reservation enforces it. The random octets are drawn
 * from `random` in blocks for several serials and used in order, so with a
 * given random stream the serials are reproducible.
 */
export function createSerialGenerator(random: Random, options: SerialOptions = {}): () => Serial {
  const prefix = options.prefix ?? 0x2c;
  const randomBytes = options.randomBytes ?? 16;
  if (!Number.isInteger(prefix) || prefix < 0x01 || prefix > 0x7f) {
    throw new RangeError('serial prefix must be an integer from 0x01 to 0x7f (keeps serials positive and minimal)');
  }
  if (!Number.isInteger(randomBytes) || randomBytes < 16 || randomBytes > 19) {
    throw new RangeError('serial randomBytes must be 16 to 19 (at least 128 bits; at most 20 octets in all)');
  }
  // Random octets are drawn for SERIALS_PER_DRAW serials at a time: one call into the CSPRNG costs
  // several microseconds, whatever its length. The serials use them in order.
  let pool: Uint8Array = new Uint8Array(0);
  let used = 0;
  return () => {
    if (used + randomBytes > pool.length) {
      pool = random.bytes(randomBytes * SERIALS_PER_DRAW);
      used = 0;
    }
    const bytes = new Uint8Array(1 + randomBytes);
    bytes[0] = prefix;
    bytes.set(pool.subarray(used, used + randomBytes), 1);
    used += randomBytes;
    return { bytes, hex: serialToHex(bytes) };
  };
}

/** Lowercase hex of a serial's content octets. */
export function serialToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Parses a serial given in hex (with or without colons, any case) as an
 * unsigned number into its canonical form: the minimal DER INTEGER content
 * octets (with a 0x00 sign octet when the first bit is set) and their
 * lowercase hex. Throws `RangeError` for empty, non-hex, zero or over
 * 20-octet input.
 */
export function parseSerialHex(text: string): Serial {
  const clean = text.replace(/:/g, '').toLowerCase();
  if (clean.length === 0 || !/^[0-9a-f]+$/.test(clean)) throw new RangeError(`not a hexadecimal serial: "${text}"`);
  let bytes: Uint8Array = Buffer.from(clean.length % 2 === 1 ? '0' + clean : clean, 'hex');
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1]! & 0x80) === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length === 1 && bytes[0] === 0) throw new RangeError('a serial must be positive');
  // The hex text is an unsigned magnitude: a high first bit needs DER's 0x00 sign octet.
  const content = (bytes[0]! & 0x80) !== 0 ? Uint8Array.from([0, ...bytes]) : Uint8Array.from(bytes);
  if (content.length > 20) throw new RangeError('a serial has at most 20 octets (RFC 5280 §4.1.2.2)');
  return { bytes: content, hex: serialToHex(content) };
}
