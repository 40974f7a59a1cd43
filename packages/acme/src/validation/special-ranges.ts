/**
 * Special-purpose address ranges (IANA IPv4 and IPv6 Special-Purpose
 * Address Registries, RFC 6890) that a validator must not dial unless the
 * operator opens them: an ACME client must not be able to make the CA
 * reach into the CA's own network.
 * @module
 */

/**
 * Private and local ranges: loopback, RFC 1918, CGNAT, link-local, ULA and
 * the like. `allowPrivate: true` opens all of them; `allowedRanges` opens
 * parts of them.
 */
export const PRIVATE_RANGES: readonly string[] = [
  '10.0.0.0/8', // RFC 1918
  '100.64.0.0/10', // RFC 6598 shared address space (CGNAT)
  '127.0.0.0/8', // RFC 1122 loopback
  '169.254.0.0/16', // RFC 3927 link-local
  '172.16.0.0/12', // RFC 1918
  '192.0.0.0/24', // RFC 6890 IETF protocol assignments
  '192.0.2.0/24', // RFC 5737 TEST-NET-1
  '192.88.99.0/24', // RFC 7526 deprecated 6to4 relay anycast
  '192.168.0.0/16', // RFC 1918
  '198.18.0.0/15', // RFC 2544 benchmarking
  '198.51.100.0/24', // RFC 5737 TEST-NET-2
  '203.0.113.0/24', // RFC 5737 TEST-NET-3
  '::1/128', // RFC 4291 loopback
  '64:ff9b:1::/48', // RFC 8215 local-use IPv4/IPv6 translation
  '100::/64', // RFC 6666 discard-only
  '2001::/23', // RFC 2928 IETF protocol assignments (Teredo, ORCHID, …)
  '2001:db8::/32', // RFC 3849 documentation
  '2002::/16', // RFC 3056 6to4 (embeds an arbitrary IPv4 address)
  'fc00::/7', // RFC 4193 unique local
  'fe80::/10', // RFC 4291 link-local
];

/**
 * Ranges that no unicast connection should go to: "this network", the
 * unspecified address, multicast, reserved and broadcast. `allowPrivate`
 * does not open them; only an explicit `allowedRanges` entry does.
 */
export const UNROUTABLE_RANGES: readonly string[] = [
  '0.0.0.0/8', // RFC 1122 "this network" (0.0.0.0 reaches the local host on Linux)
  '224.0.0.0/4', // RFC 5771 multicast
  '240.0.0.0/4', // RFC 1112 reserved, with 255.255.255.255 broadcast
  '::/128', // RFC 4291 unspecified
  '::/96', // RFC 4291 deprecated IPv4-compatible addresses
  'ff00::/8', // RFC 4291 multicast
];
