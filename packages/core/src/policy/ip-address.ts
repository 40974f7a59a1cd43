/**
 * Strict parsing and canonical formatting of IP addresses, for ACME `ip`
 * identifiers (RFC 8738) and for address checks elsewhere (connection
 * policies). Only the plain textual forms are accepted: an IPv4 dotted quad
 * (RFC 791 style, four decimal octets) and an IPv6 address in the forms of
 * RFC 4291 §2.2. Zone identifiers (RFC 6874) and brackets are refused.
 * @module
 */
import { CertwrightError } from '../errors.js';

/** An IP address as its raw bytes: 4 for IPv4, 16 for IPv6. */
export interface IpAddress {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
}

/** The outcome of parsing an IP address: the address, or why it is not one. */
export type IpParseResult = { ok: true; address: IpAddress } | { ok: false; reason: string };

const DECIMAL_OCTET = /^[0-9]{1,3}$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4Bytes(text: string): Uint8Array | string {
  const parts = text.split('.');
  if (parts.length !== 4) return 'an IPv4 address must have exactly four dot-separated decimal octets';
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!DECIMAL_OCTET.test(part)) return `IPv4 octet "${part}" is not a decimal number of 1 to 3 digits`;
    if (part.length > 1 && part.startsWith('0')) {
      return `IPv4 octet "${part}" has a leading zero, which is ambiguous (octal or decimal)`;
    }
    const value = Number(part);
    if (value > 255) return `IPv4 octet "${part}" is greater than 255`;
    bytes[i] = value;
  }
  return bytes;
}

function parseGroups(text: string, allowTrailingIpv4: boolean): number[] | string {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (allowTrailingIpv4 && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4Bytes(part);
      if (typeof v4 === 'string') return `embedded IPv4 address: ${v4}`;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      continue;
    }
    if (!HEX_GROUP.test(part)) return `IPv6 group "${part}" is not 1 to 4 hexadecimal digits`;
    groups.push(parseInt(part, 16));
  }
  return groups;
}

function parseIpv6Bytes(text: string): Uint8Array | string {
  if (text.includes('%')) return 'an IPv6 zone identifier (the part after "%") is not allowed';
  if (text.startsWith('[') || text.endsWith(']')) return 'an IPv6 address must be written without brackets';
  const halves = text.split('::');
  if (halves.length > 2) return '"::" may appear at most once in an IPv6 address';
  let groups: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0]!, false);
    if (typeof head === 'string') return head;
    const tail = parseGroups(halves[1]!, true);
    if (typeof tail === 'string') return tail;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return 'an IPv6 address with "::" must leave at least one group out';
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    const all = parseGroups(text, true);
    if (typeof all === 'string') return all;
    if (all.length !== 8) return 'an IPv6 address without "::" must have exactly eight groups';
    groups = all;
  }
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/**
 * Parses an IP address strictly and explains a refusal. IPv4 must be a
 * dotted quad without leading zeros (`010.0.0.1` could be read as octal);
 * IPv6 follows RFC 4291 §2.2 (with an optional trailing dotted quad), without
 * zone identifiers or brackets.
 */
export function parseIpDetailed(text: string): IpParseResult {
  if (typeof text !== 'string' || text === '') return { ok: false, reason: 'an IP address may not be empty' };
  if (text.length > 64) return { ok: false, reason: 'too long to be an IP address' };
  const result = text.includes(':') ? parseIpv6Bytes(text) : parseIpv4Bytes(text);
  if (typeof result === 'string') return { ok: false, reason: result };
  return { ok: true, address: { version: result.length === 4 ? 4 : 6, bytes: result } };
}

/**
 * Parses an IP address (see {@link parseIpDetailed} for the accepted
 * forms). Throws a `malformed` {@link CertwrightError} naming the text and
 * the reason.
 */
export function parseIp(text: string): IpAddress {
  const result = parseIpDetailed(text);
  if (!result.ok) throw new CertwrightError('malformed', `${JSON.stringify(text)} is not an IP address: ${result.reason}`);
  return result.address;
}

/** Parses an IP address (see {@link parseIpDetailed}), or returns `undefined`. */
export function tryParseIp(text: string): IpAddress | undefined {
  const result = parseIpDetailed(text);
  return result.ok ? result.address : undefined;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** True when `ip` is an IPv4-mapped IPv6 address, `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2). */
export function isIpv4Mapped(ip: IpAddress): boolean {
  return ip.version === 6 && MAPPED_PREFIX.every((b, i) => ip.bytes[i] === b);
}

/**
 * The address a packet to `ip` actually reaches: the IPv4 address inside an
 * IPv4-mapped IPv6 address, or `ip` itself.
 */
export function unmapIp(ip: IpAddress): IpAddress {
  return isIpv4Mapped(ip) ? { version: 4, bytes: ip.bytes.slice(12) } : ip;
}

/**
 * The canonical text of an address: dotted decimal for IPv4; for IPv6 the
 * RFC 5952 §4 form (lowercase, no leading zeros, the longest run of two or
 * more zero groups — the first on a tie — shortened to `::`), with the
 * IPv4-mapped form written `::ffff:a.b.c.d` (RFC 5952 §5).
 */
export function formatIp(ip: IpAddress): string {
  const b = ip.bytes;
  if (ip.version === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (isIpv4Mapped(ip)) return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
