/**
 * The connection policy every validator obeys: which addresses and ports
 * may be dialled. The default refuses every private, local and special
 * address, so an ACME client cannot make the CA probe its own network; an
 * internal CA opens exactly the ranges it validates in.
 *
 * Decision order for one address: `deniedRanges` (always refused) →
 * `allowedRanges` (always allowed) → private ranges (allowed only with
 * `allowPrivate`) → unroutable ranges (refused) → anything else (allowed
 * unless `allowPublic` is false). Private ranges are looked at before the
 * unroutable ones because `::1` lies inside the deprecated `::/96`.
 * @module
 */
import { anyCidrContains, formatIp, parseCidr, parseIp } from '@certwright/core';
import type { Cidr, IpAddress } from '@certwright/core';
import { PRIVATE_RANGES, UNROUTABLE_RANGES } from './special-ranges.js';

/** Ports used by the validators. */
export interface ValidationPorts {
  /** The port http-01 connects to first (RFC 8555 §8.3: 80). */
  readonly http01: number;
  /** The port tls-alpn-01 connects to (RFC 8737 §3: 443). */
  readonly tlsAlpn01: number;
  /** Ports an http-01 redirect may lead to (default 80 and 443). */
  readonly allowedRedirectPorts: readonly number[];
}

/** Connection policy configuration (see the module notes for the decision order). */
export interface ConnectionPolicyConfig {
  /** CIDR ranges that may always be dialled, including private ones (`10.20.0.0/16`, `fd00:1::/48`). */
  readonly allowedRanges?: readonly string[];
  /** CIDR ranges that may never be dialled; they win over everything else. */
  readonly deniedRanges?: readonly string[];
  /** Open every private and local range (loopback, RFC 1918, CGNAT, link-local, ULA, documentation…). Default false. */
  readonly allowPrivate?: boolean;
  /** Whether addresses outside every special range may be dialled. Default true; false makes `allowedRanges` an allow-list. */
  readonly allowPublic?: boolean;
  /** Ports; unset members keep the RFC defaults. */
  readonly ports?: Partial<ValidationPorts>;
}

/** The verdict on one address. */
export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

/** A compiled connection policy. */
export interface ConnectionPolicy {
  /** The effective ports. */
  readonly ports: ValidationPorts;
  /** Decides whether `address` may be dialled, with the reason when not. */
  checkAddress(address: IpAddress): AddressVerdict;
  /** True when an http-01 redirect may lead to `port`. */
  redirectPortAllowed(port: number): boolean;
}

/** The RFC ports: http-01 on 80, tls-alpn-01 on 443, redirects to 80 and 443. */
export const DEFAULT_VALIDATION_PORTS: ValidationPorts = { http01: 80, tlsAlpn01: 443, allowedRedirectPorts: [80, 443] };

function checkPort(port: number, what: string): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`connection policy: ${what} ${String(port)} is not a TCP port (1-65535)`);
  return port;
}

function parseRanges(texts: readonly string[] | undefined): { cidr: Cidr; text: string }[] {
  return (texts ?? []).map((text) => ({ cidr: parseCidr(text), text }));
}

function firstMatch(ranges: readonly { cidr: Cidr; text: string }[], ip: IpAddress): string | undefined {
  return ranges.find((r) => anyCidrContains([r.cidr], ip))?.text;
}

/**
 * Compiles a connection policy. Throws a `RangeError` naming the entry for
 * an invalid CIDR range or port (operator configuration errors).
 */
export function createConnectionPolicy(config: ConnectionPolicyConfig = {}): ConnectionPolicy {
  const allowed = parseRanges(config.allowedRanges);
  const denied = parseRanges(config.deniedRanges);
  const privateRanges = parseRanges(PRIVATE_RANGES);
  const unroutable = parseRanges(UNROUTABLE_RANGES);
  const allowPrivate = config.allowPrivate ?? false;
  const allowPublic = config.allowPublic ?? true;
  const ports: ValidationPorts = {
    http01: checkPort(config.ports?.http01 ?? DEFAULT_VALIDATION_PORTS.http01, 'http01 port'),
    tlsAlpn01: checkPort(config.ports?.tlsAlpn01 ?? DEFAULT_VALIDATION_PORTS.tlsAlpn01, 'tlsAlpn01 port'),
    allowedRedirectPorts: (config.ports?.allowedRedirectPorts ?? DEFAULT_VALIDATION_PORTS.allowedRedirectPorts).map((p) => checkPort(p, 'redirect port')),
  };
  const redirectPorts = new Set(ports.allowedRedirectPorts);

  return {
    ports,
    checkAddress(address) {
      const shown = formatIp(address);
      const deniedBy = firstMatch(denied, address);
      if (deniedBy !== undefined) return { allowed: false, reason: `${shown} is in the denied range ${deniedBy}` };
      if (firstMatch(allowed, address) !== undefined) return { allowed: true };
      const privateBy = firstMatch(privateRanges, address);
      if (privateBy !== undefined) {
        return allowPrivate ? { allowed: true } : { allowed: false, reason: `${shown} is in the private or special-purpose range ${privateBy}, which is not allowed` };
      }
      const unroutableBy = firstMatch(unroutable, address);
      if (unroutableBy !== undefined) return { allowed: false, reason: `${shown} is in the unroutable range ${unroutableBy}` };
      return allowPublic ? { allowed: true } : { allowed: false, reason: `${shown} is not in any allowed range (public addresses are not allowed)` };
    },
    redirectPortAllowed: (port) => redirectPorts.has(port),
  };
}

/** Parses `text` as an IP address and applies the policy; a convenience for configuration checks and tests. */
export function isAddressAllowed(policy: ConnectionPolicy, text: string): boolean {
  return policy.checkAddress(parseIp(text)).allowed;
}
