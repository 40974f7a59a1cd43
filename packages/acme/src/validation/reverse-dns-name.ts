/**
 * The reverse-mapping name of an IP address (RFC 1035 §3.5 `in-addr.arpa`,
 * RFC 3596 §2.5 `ip6.arpa`), which tls-alpn-01 sends as SNI for an IP
 * identifier (RFC 8738 §6).
 * @module
 */
import { parseIp } from '@certwright/core';

/** `1.2.3.4` → `4.3.2.1.in-addr.arpa`; IPv6 → 32 reversed nibbles + `.ip6.arpa`. */
export function reverseDnsName(ipText: string): string {
  const ip = parseIp(ipText);
  if (ip.version === 4) return `${[...ip.bytes].reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (const byte of ip.bytes) nibbles.push((byte >> 4).toString(16), (byte & 0xf).toString(16));
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}
