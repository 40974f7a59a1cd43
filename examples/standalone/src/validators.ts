/**
 * The challenge validators of the standalone CA: http-01 (RFC 8555 §8.3),
 * dns-01 (§8.4) and tls-alpn-01 (RFC 8737), sharing one connection policy
 * and one DNS resolver. CAA (RFC 8659) is not checked: an internal CA
 * certifies names its operator controls, and most internal zones carry no
 * CAA records.
 */
import { getServers } from 'node:dns';
import { createConnectionPolicy, createNodeDnsResolver, dns01Validator, http01Validator, tlsAlpn01Validator, type Validator } from '@certwright/acme';
import type { ServerConfig } from './config.js';

/** The DNS servers asked: the configured ones, else the host's (from /etc/resolv.conf, read once at start). */
export function resolverServers(config: ServerConfig): string[] {
  return config.dnsResolvers.length > 0 ? config.dnsResolvers : getServers();
}

/**
 * Builds the three validators: connections go to the configured ports and
 * only to addresses the policy allows (private and loopback networks only
 * with `allowPrivateNetworks`).
 */
export function createValidators(config: ServerConfig): Validator[] {
  const servers = resolverServers(config);
  if (servers.length === 0) throw new Error('no DNS server to validate with: set CERTWRIGHT_DNS_RESOLVER (the host has none configured)');
  const resolver = createNodeDnsResolver({ servers });
  const policy = createConnectionPolicy({
    allowPrivate: config.allowPrivateNetworks,
    ports: { http01: config.http01Port, tlsAlpn01: config.tlsAlpn01Port, allowedRedirectPorts: [...new Set([config.http01Port, 80, 443])] },
  });
  return [http01Validator({ resolver, policy }), dns01Validator({ resolver }), tlsAlpn01Validator({ resolver, policy })];
}
