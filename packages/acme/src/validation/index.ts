/**
 * Challenge validation (RFC 8555 §8, RFC 8737, RFC 8738) and CAA
 * (RFC 8659, RFC 8657): validators implementing the engine's `Validator`
 * interface, the injectable DNS resolver, the connection policy every
 * validator obeys, and the CAA check and recheck. Internal helpers (the
 * HTTP probe, redirect bookkeeping, deadlines) are not part of the API.
 * @module
 */
export { DnsLookupError, isEmptyDnsAnswer } from './dns-error.js';
export type { DnsFailureKind, DnsRecordType } from './dns-error.js';
export type { CaaRecord, DnsResolver } from './dns-resolver.js';
export { createNodeDnsResolver } from './node-dns-resolver.js';
export type { NodeDnsResolverOptions } from './node-dns-resolver.js';
export { PRIVATE_RANGES, UNROUTABLE_RANGES } from './special-ranges.js';
export { DEFAULT_VALIDATION_PORTS, createConnectionPolicy, isAddressAllowed } from './connection-policy.js';
export type { AddressVerdict, ConnectionPolicy, ConnectionPolicyConfig, ValidationPorts } from './connection-policy.js';
export { resolveTargetAddresses } from './target-addresses.js';
export type { FamilyPreference, TargetAddresses } from './target-addresses.js';
export { ConnectFailedError, dialInOrder } from './dial-fallback.js';
export type { DialAttempt } from './dial-fallback.js';
export { DEFAULT_MAX_REDIRECTS, FOLLOWED_REDIRECT_STATUSES } from './http-redirect.js';
export { http01Url, http01Validator } from './http01.js';
export type { Http01RecordEntry, Http01ValidatorOptions } from './http01.js';
export { dns01TxtValue, keyAuthorizationDigest } from './key-authorization-digest.js';
export { dns01RecordName, dns01Validator } from './dns01.js';
export type { Dns01ValidatorOptions } from './dns01.js';
export { reverseDnsName } from './reverse-dns-name.js';
export { ACME_IDENTIFIER_OID, LEGACY_ACME_IDENTIFIER_OID, checkAcmeTlsCertificate } from './acme-tls-certificate.js';
export { ACME_TLS_ALPN_PROTOCOL } from './acme-tls-handshake.js';
export { tlsAlpn01Validator } from './tls-alpn01.js';
export type { TlsAlpn01ValidatorOptions } from './tls-alpn01.js';
export { parseCaaIssueValue } from './caa-value.js';
export type { CaaIssueValue } from './caa-value.js';
export { caaSearchNodes, findRelevantCaaSet } from './caa-lookup.js';
export type { RelevantCaaSet } from './caa-lookup.js';
export { KNOWN_CAA_TAGS, checkCaa } from './caa-check.js';
export type { CaaCheckInput, CaaCheckResult, CaaConfig } from './caa-check.js';
export { recheckCaaForOrder } from './caa-recheck.js';
export type { CaaRecheckEntry, CaaRecheckOptions, CaaRecheckOutcome } from './caa-recheck.js';
export type { ValidationRequest, ValidatorCaaOptions } from './validator-caa.js';
export { multiPerspectiveValidator } from './multi-perspective.js';
export type { MultiPerspectiveOptions, Perspective, PerspectiveRecord } from './multi-perspective.js';
