/**
 * Resolving a validation target once and checking every address against
 * the connection policy. The validators then dial these checked addresses
 * themselves (the IP goes to the socket, the name only into the Host header
 * or SNI), so no second resolution happens between check and connect and
 * DNS rebinding cannot slip an unchecked address in.
 * @module
 */
import { CertwrightError, formatIp, tryParseIp } from '@certwright/core';
import type { IpAddress } from '@certwright/core';
import type { ConnectionPolicy } from './connection-policy.js';
import { DnsLookupError } from './dns-error.js';
import type { DnsResolver } from './dns-resolver.js';

/** The checked addresses of one host, in the order they will be dialled. */
export interface TargetAddresses {
  /** The host name or IP literal as given. */
  readonly host: string;
  /** Every address the host resolved to, canonical text, all allowed by the policy. */
  readonly resolved: readonly string[];
  /** The addresses to dial, in order: the first of the preferred family, then the first of the other. */
  readonly dialOrder: readonly string[];
}

/** Address family preference when a name has both A and AAAA records. */
export type FamilyPreference = 'ipv6-first' | 'ipv4-first';

function parseAnswer(text: string, host: string, type: 'A' | 'AAAA'): IpAddress {
  const ip = tryParseIp(text);
  if (ip === undefined || (type === 'A' ? ip.version !== 4 : ip.version !== 6)) {
    throw new CertwrightError('dns', `DNS problem: the ${type} answer for ${host} is not a valid address`);
  }
  return ip;
}

async function lookupFamily(resolver: DnsResolver, host: string, type: 'A' | 'AAAA'): Promise<{ addresses: IpAddress[]; error?: DnsLookupError }> {
  try {
    const answers = type === 'A' ? await resolver.resolveA(host) : await resolver.resolveAaaa(host);
    return { addresses: answers.map((a) => parseAnswer(a, host, type)) };
  } catch (err) {
    if (err instanceof DnsLookupError) return err.isEmptyAnswer ? { addresses: [] } : { addresses: [], error: err };
    throw err;
  }
}

function refuse(policy: ConnectionPolicy, host: string, addresses: readonly IpAddress[]): void {
  for (const address of addresses) {
    const verdict = policy.checkAddress(address);
    if (!verdict.allowed) {
      const resolvedTo = formatIp(address) === host ? '' : ` (resolved to ${formatIp(address)})`;
      throw new CertwrightError('connection', `The connection policy forbids dialling ${host}${resolvedTo}: ${verdict.reason}`);
    }
  }
}

/**
 * Resolves `host` once (AAAA and A in parallel; an IP literal is used as
 * is), checks every address against `policy` and returns them in dialling
 * order. Throws `dns` when neither family yields an address (naming the
 * failure) and `connection` when any address is refused by the policy
 * (naming the address and the range): a name that mixes allowed and
 * refused addresses is refused as a whole.
 */
export async function resolveTargetAddresses(
  host: string,
  resolver: DnsResolver,
  policy: ConnectionPolicy,
  preference: FamilyPreference = 'ipv6-first',
): Promise<TargetAddresses> {
  const literal = tryParseIp(host);
  if (literal !== undefined) {
    refuse(policy, host, [literal]);
    const text = formatIp(literal);
    return { host, resolved: [text], dialOrder: [text] };
  }
  const [v6, v4] = await Promise.all([lookupFamily(resolver, host, 'AAAA'), lookupFamily(resolver, host, 'A')]);
  if (v6.addresses.length === 0 && v4.addresses.length === 0) {
    const failure = v6.error ?? v4.error;
    if (failure !== undefined) throw failure;
    throw new CertwrightError('dns', `DNS problem: no A or AAAA records found for ${host}`);
  }
  const all = [...v6.addresses, ...v4.addresses];
  refuse(policy, host, all);
  const firsts = preference === 'ipv6-first' ? [v6.addresses[0], v4.addresses[0]] : [v4.addresses[0], v6.addresses[0]];
  return {
    host,
    resolved: all.map(formatIp),
    dialOrder: firsts.filter((a): a is IpAddress => a !== undefined).map(formatIp),
  };
}
