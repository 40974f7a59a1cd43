/**
 * IP address text ↔ bytes, for iPAddress GeneralNames (RFC 5280 §4.2.1.6:
 * four octets for IPv4, sixteen for IPv6) and name-constraint ranges
 * (§4.2.1.10: address followed by mask).
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The network-order bytes of an IPv4 or IPv6 address in text form; throws on anything else. */
export function ipToBytes(text: string): Uint8Array {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  if (!isIPv6(text)) throw new RangeError(`not an IP address: ${text}`);
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) throw new RangeError(`IP address with a zone is not allowed: ${text}`);
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    tail = s.slice(lastColon + 1).split('.').map(Number);
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const [headText, restText] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const head = parse(headText);
  const rest = restText === undefined ? [] : parse(restText);
  const groups = restText === undefined ? head : [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (tail.length === 4) out.set(tail, 12);
  return out;
}

/** The text form of a 4- or 16-octet address (IPv6 in RFC 5952 canonical form). */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length !== 16) throw new RangeError(`an IP address has 4 or 16 octets, not ${bytes.length}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/**
 * A CIDR range (`10.0.0.0/8`, `fd00::/8`) as name-constraint bytes: the
 * address followed by the mask (RFC 5280 §4.2.1.10). Host bits must be zero.
 */
export function cidrToBytes(cidr: string): Uint8Array {
  const slash = cidr.indexOf('/');
  if (slash < 0) throw new RangeError(`not a CIDR range: ${cidr}`);
  const addr = ipToBytes(cidr.slice(0, slash));
  const prefixText = cidr.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^[0-9]+$/.test(prefixText) || prefix > addr.length * 8) throw new RangeError(`bad prefix length in ${cidr}`);
  const mask = new Uint8Array(addr.length);
  for (let i = 0; i < addr.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    mask[i] = (0xff00 >> bits) & 0xff;
    if ((addr[i]! & ~mask[i]!) !== 0) throw new RangeError(`host bits set in ${cidr}`);
  }
  const out = new Uint8Array(addr.length * 2);
  out.set(addr);
  out.set(mask, addr.length);
  return out;
}
