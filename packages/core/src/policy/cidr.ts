/**
 * CIDR ranges (RFC 4632 for IPv4, RFC 4291 §2.3 for IPv6) and membership
 * tests, shared by the identifier policy (which IP identifiers may be
 * certified) and connection policies (which addresses may be dialled).
 *
 * IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are compared as the IPv4
 * address they carry, and an IPv6 range inside `::ffff:0:0/96` as the IPv4
 * range it denotes, so `10.0.0.0/8` contains `::ffff:10.1.2.3` and
 * `::ffff:10.0.0.0/104` contains `10.1.2.3`. Other IPv6 ranges (even
 * `::/0`) never contain an IPv4 address.
 * @module
 */
import { formatIp, parseIpDetailed, unmapIp } from './ip-address.js';
import type { IpAddress } from './ip-address.js';

/** A network: its first address and the number of leading bits that are fixed. */
export interface Cidr {
  readonly version: 4 | 6;
  /** The network address, with every bit past the prefix zero. */
  readonly network: Uint8Array;
  /** 0–32 for IPv4, 0–128 for IPv6. */
  readonly prefixLength: number;
}

/**
 * Parses `address/prefix` (such as `10.0.0.0/8` or `fd00::/8`); a bare
 * address is a single-address range (`/32` or `/128`). Throws a
 * `RangeError` naming the text for anything else, including a range with
 * bits set past the prefix (`10.0.0.1/8`), which is nearly always a typo.
 * CIDR text is operator configuration, so its errors are not client errors.
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const parsed = parseIpDetailed(addressText);
  if (!parsed.ok) throw new RangeError(`Invalid CIDR range ${JSON.stringify(text)}: ${parsed.reason}`);
  const { version, bytes } = parsed.address;
  const maxPrefix = version === 4 ? 32 : 128;
  let prefixLength = maxPrefix;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > maxPrefix) {
      throw new RangeError(`Invalid CIDR range ${JSON.stringify(text)}: the prefix length must be 0 to ${maxPrefix}`);
    }
    prefixLength = Number(prefixText);
  }
  const network = maskBytes(bytes, prefixLength);
  if (!network.every((b, i) => b === bytes[i])) {
    const suggestion = formatCidr({ version, network, prefixLength });
    throw new RangeError(`Invalid CIDR range ${JSON.stringify(text)}: host bits are set past the prefix (did you mean ${suggestion}?)`);
  }
  return { version, network, prefixLength };
}

/** The canonical text of a range, such as `10.0.0.0/8` or `fd00::/8`. */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp({ version: cidr.version, bytes: cidr.network })}/${cidr.prefixLength}`;
}

/**
 * The network mask of a prefix as bytes: `prefixLength` leading one bits in
 * `byteLength` octets (4 for IPv4, 16 for IPv6), as name constraints carry it
 * after the address (RFC 5280 §4.2.1.10).
 */
export function prefixMask(byteLength: number, prefixLength: number): Uint8Array {
  const out = new Uint8Array(byteLength);
  for (let i = 0; i < byteLength; i++) {
    const bits = Math.min(8, Math.max(0, prefixLength - 8 * i));
    out[i] = (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

function maskBytes(bytes: Uint8Array, prefixLength: number): Uint8Array {
  const mask = prefixMask(bytes.length, prefixLength);
  return bytes.map((b, i) => b & mask[i]!);
}

const MAPPED_PREFIX_LENGTH = 96;

/** The range in the terms it is compared in: IPv6 ranges inside `::ffff:0:0/96` as IPv4. */
function effectiveCidr(cidr: Cidr): Cidr {
  if (cidr.version !== 6 || cidr.prefixLength < MAPPED_PREFIX_LENGTH) return cidr;
  const asAddress = unmapIp({ version: 6, bytes: cidr.network });
  if (asAddress.version !== 4) return cidr;
  return { version: 4, network: asAddress.bytes, prefixLength: cidr.prefixLength - MAPPED_PREFIX_LENGTH };
}

/**
 * True when `ip` lies in `cidr`, with IPv4-mapped IPv6 addresses and ranges
 * compared as IPv4 (see the module notes).
 */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  const range = effectiveCidr(cidr);
  const address = unmapIp(ip);
  if (range.version !== address.version) return false;
  const masked = maskBytes(address.bytes, range.prefixLength);
  return masked.every((b, i) => b === range.network[i]);
}

/** True when any of `cidrs` contains `ip` (see {@link cidrContains}). */
export function anyCidrContains(cidrs: readonly Cidr[], ip: IpAddress): boolean {
  return cidrs.some((c) => cidrContains(c, ip));
}
