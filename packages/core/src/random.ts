/**
 * A source of cryptographically secure random bytes. Injected so that tests
 * can make serials, tokens and identifiers reproducible.
 */
export interface Random {
  /** Returns `length` fresh random bytes. */
  bytes(length: number): Uint8Array;
}

/** Bytes fetched from the CSPRNG at a time for small requests. */
const POOL_BYTES = 4096;
/** Requests up to this size are served from the pool; larger ones go to the CSPRNG directly. */
const POOLED_MAX = 256;

/**
 * The default CSPRNG: Node's WebCrypto `getRandomValues`. Small requests
 * (nonces, identifiers, serials: 16 to 32 bytes, several per ACME request)
 * are cut from a 4 KB block fetched in one call, which measured about 1 % of
 * the CA's CPU when each request made its own call; every byte is handed out
 * once and wiped from the block when it is.
 */
export function cryptoRandom(): Random {
  const pool = new Uint8Array(POOL_BYTES);
  let used = POOL_BYTES;
  return {
    bytes(length: number): Uint8Array {
      const out = new Uint8Array(length);
      if (length <= POOLED_MAX) {
        if (used + length > POOL_BYTES) {
          globalThis.crypto.getRandomValues(pool);
          used = 0;
        }
        out.set(pool.subarray(used, used + length));
        pool.fill(0, used, used + length);
        used += length;
        return out;
      }
      // getRandomValues fills at most 65,536 bytes per call.
      for (let offset = 0; offset < length; offset += 65536) {
        globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
      }
      return out;
    },
  };
}

/**
 * A deterministic generator (xorshift128+) for tests only: never use it to
 * issue real certificates.
 */
export function seededRandom(seed = 1): Random {
  let s0 = BigInt(seed) | 1n;
  let s1 = (BigInt(seed) * 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn | 1n;
  const mask = 0xffffffffffffffffn;
  const next = (): bigint => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= (x << 23n) & mask;
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return (s1 + y) & mask;
  };
  return {
    bytes(length: number): Uint8Array {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i += 8) {
        let v = next();
        for (let j = 0; j < 8 && i + j < length; j++) {
          out[i + j] = Number(v & 0xffn);
          v >>= 8n;
        }
      }
      return out;
    },
  };
}

/** Encodes bytes as unpadded base64url (RFC 4648 §5), as ACME uses for tokens and ids. */
export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** A random identifier of `byteLength` bytes, base64url-encoded (default 16 bytes = 128 bits). */
export function randomId(random: Random, byteLength = 16): string {
  return base64url(random.bytes(byteLength));
}
