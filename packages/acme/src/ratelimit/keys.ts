/**
 * The buckets a request counts against: client addresses (IPv6 grouped by
 * /64, as one host usually holds a whole /64), accounts, account and
 * identifier pairs, and registered domains.
 * @module
 */
import { formatIp, registrableDomain, tryParseIp, unmapIp } from '@certwright/core';
import type { Identifier } from '@certwright/core';
import type { RateLimitKey } from './limiter.js';

/** The subject used for a request whose adapter gave no client address: all of them share one bucket. */
export const UNKNOWN_ADDRESS = 'unknown';

/**
 * The address group of a client: an IPv4 address (also when written as
 * IPv4-mapped IPv6), or the /64 prefix of an IPv6 address written
 * `2001:db8:1:2::/64`. Text that is not an address (after removing an IPv6
 * zone) is kept as given, so it still counts; none at all is
 * {@link UNKNOWN_ADDRESS}.
 */
export function addressGroup(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined || remoteAddress === '') return UNKNOWN_ADDRESS;
  const zone = remoteAddress.indexOf('%');
  const parsed = tryParseIp(zone < 0 ? remoteAddress : remoteAddress.slice(0, zone));
  if (parsed === undefined) return remoteAddress;
  const ip = unmapIp(parsed);
  if (ip.version === 4) return formatIp(ip);
  const prefix = new Uint8Array(16);
  prefix.set(ip.bytes.subarray(0, 8));
  return `${formatIp({ version: 6, bytes: prefix })}/64`;
}

/**
 * The registered domain an identifier counts against: the registrable
 * domain (Public Suffix List) of a DNS name, a wildcard's `*.` removed;
 * the name itself when it has none (a single label, a public suffix); an
 * IP address is its own domain.
 */
export function registeredDomainOf(identifier: Identifier): string {
  if (identifier.type !== 'dns') return identifier.value;
  const name = identifier.value.startsWith('*.') ? identifier.value.slice(2) : identifier.value;
  return registrableDomain(name) ?? name;
}

/** The `newAccountsPerIp` bucket of a client address. */
export function newAccountKey(remoteAddress: string | undefined): RateLimitKey {
  return { limit: 'newAccountsPerIp', subject: addressGroup(remoteAddress) };
}

/** The `newOrdersPerAccount` bucket of an account. */
export function newOrderKey(accountId: string): RateLimitKey {
  return { limit: 'newOrdersPerAccount', subject: accountId };
}

/** The `failedValidationsPerAccountIdentifier` bucket of an account and an identifier (a wildcard counts with its base name). */
export function failedValidationKey(accountId: string, identifier: Identifier): RateLimitKey {
  const value = identifier.type === 'dns' && identifier.value.startsWith('*.') ? identifier.value.slice(2) : identifier.value;
  return { limit: 'failedValidationsPerAccountIdentifier', subject: `${accountId}:${identifier.type}:${value}` };
}

/** The `certificatesPerDomain` buckets of a set of identifiers, one per registered domain. */
export function certificateKeys(identifiers: readonly Identifier[]): RateLimitKey[] {
  const domains = new Set(identifiers.map(registeredDomainOf));
  return [...domains].sort().map((subject) => ({ limit: 'certificatesPerDomain' as const, subject }));
}
