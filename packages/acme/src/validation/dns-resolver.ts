/**
 * The DNS resolver seam of the validators: everything validation asks DNS
 * goes through a {@link DnsResolver}, so tests and embedders can inject
 * their own (a test zone, a resolver in another network location).
 * @module
 */

/**
 * One CAA resource record (RFC 8659 §4.1): the flags octet, the property
 * tag and its value as text.
 */
export interface CaaRecord {
  /** The flags octet; bit 0x80 is the issuer-critical flag (RFC 8659 §4.1). */
  readonly flags: number;
  /** The property tag as received (compare case-insensitively). */
  readonly tag: string;
  /** The property value. */
  readonly value: string;
}

/**
 * A DNS resolver for validation. Each method returns the records found or
 * throws a {@link DnsLookupError} whose `kind` distinguishes an
 * authoritative empty answer (`nxdomain`, `nodata`) from a failure
 * (`servfail`, `timeout`, `refused`, `error`). CNAMEs are followed by the
 * resolver; answers are never taken from the host's own resolver cache.
 */
export interface DnsResolver {
  /** IPv4 addresses of `name`, in canonical text form. */
  resolveA(name: string): Promise<string[]>;
  /** IPv6 addresses of `name`, in canonical text form. */
  resolveAaaa(name: string): Promise<string[]>;
  /** TXT records of `name`, each with its character-strings joined (RFC 7208 §3.3 style). */
  resolveTxt(name: string): Promise<string[]>;
  /** CAA records at `name` exactly (the caller climbs the tree, RFC 8659 §3). */
  resolveCaa(name: string): Promise<CaaRecord[]>;
  /** The CNAME target of `name`, when the resolver can tell; used to bound and record alias chains. */
  resolveCname?(name: string): Promise<string[]>;
}
