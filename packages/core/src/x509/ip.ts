/**
 * IP addresses as bytes, for iPAddress GeneralNames (RFC 5280 §4.2.1.6:
 * four octets for IPv4, sixteen for IPv6) and name-constraint ranges
 * (§4.2.1.10: address followed by mask). A byte-level adapter: the text is
 * parsed and formatted by the policy's strict parser and RFC 5952 formatter
 * (`policy/ip-address.ts`, `policy/cidr.ts`), so certificates and identifiers
 * agree on every address. Errors are `RangeError`s: these inputs are
 * configuration or already validated identifiers, not client data.
 */
import { formatIp, parseIpDetailed } from '../policy/ip-address.js';
import { parseCidr, prefixMask } from '../policy/cidr.js';

/** The network-order bytes of an IPv4 or IPv6 address in text form; throws a `RangeError` on anything else. */
export function ipToBytes(text: string): Uint8Array {
  const parsed = parseIpDetailed(text);
  if (!parsed.ok) throw new RangeError(`not an IP address: ${text} (${parsed.reason})`);
  return parsed.address.bytes;
}

/** The text form of a 4- or 16-octet address (IPv6 in RFC 5952 canonical form). */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length !== 4 && bytes.length !== 16) throw new RangeError(`an IP address has 4 or 16 octets, not ${bytes.length}`);
  return formatIp({ version: bytes.length === 4 ? 4 : 6, bytes });
}

/**
 * A CIDR range (`10.0.0.0/8`, `fd00::/8`) as name-constraint bytes: the
 * address followed by the mask (RFC 5280 §4.2.1.10). The prefix length is
 * required and host bits must be zero.
 */
export function cidrToBytes(cidr: string): Uint8Array {
  if (!cidr.includes('/')) throw new RangeError(`not a CIDR range: ${cidr}`);
  const { network, prefixLength } = parseCidr(cidr);
  const out = new Uint8Array(network.length * 2);
  out.set(network);
  out.set(prefixMask(network.length, prefixLength), network.length);
  return out;
}
