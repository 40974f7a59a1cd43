/**
 * Certificate extensions (RFC 5280 §4.2 and friends), encoded straight to
 * DER. Each builder returns a complete `Extension` (RFC 5280 §4.1):
 * `SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }`,
 * with `critical` present only when true (DER omits defaults, X.690 §11.5).
 * Builders of static extensions return bytes, ready to be precomputed once per
 * issuer and profile.
 */
import type { Identifier } from '../identifier.js';
import {
  type Der,
  NULL_DER,
  Tag,
  boolean,
  encodeDer,
  ia5Bytes,
  integer,
  namedBits,
  octetString,
  oid,
  sequence,
  tlv,
  implicitPrimitive,
  implicitConstructed,
} from './der.js';
import { ipToBytes, cidrToBytes } from './ip.js';
import { ACCESS_METHOD_OIDS, EXTENSION_OIDS } from './oids.js';

const OID = {
  ski: oid(EXTENSION_OIDS.subjectKeyIdentifier),
  ku: oid(EXTENSION_OIDS.keyUsage),
  san: oid(EXTENSION_OIDS.subjectAltName),
  bc: oid(EXTENSION_OIDS.basicConstraints),
  nc: oid(EXTENSION_OIDS.nameConstraints),
  crldp: oid(EXTENSION_OIDS.cRLDistributionPoints),
  cp: oid(EXTENSION_OIDS.certificatePolicies),
  aki: oid(EXTENSION_OIDS.authorityKeyIdentifier),
  eku: oid(EXTENSION_OIDS.extKeyUsage),
  aia: oid(EXTENSION_OIDS.authorityInfoAccess),
  tls: oid(EXTENSION_OIDS.tlsFeature),
  poison: oid(EXTENSION_OIDS.ctPrecertificatePoison),
  sct: oid(EXTENSION_OIDS.ctSctList),
};
const CRITICAL = boolean(true);

/** An Extension from its OID (dotted, or a precomputed OID TLV), criticality and extnValue content. */
export function extension(extnId: string | Uint8Array, critical: boolean, value: Der): Der {
  const id = typeof extnId === 'string' ? oid(extnId) : extnId;
  return critical ? sequence(id, CRITICAL, octetString(value)) : sequence(id, octetString(value));
}

/** {@link extension}, serialized: for extensions computed once and reused. */
export function staticExtension(extnId: string | Uint8Array, critical: boolean, value: Der): Uint8Array {
  return encodeDer(extension(extnId, critical, value));
}

/**
 * basicConstraints (RFC 5280 §4.2.1.9), always critical here. A leaf gets
 * the empty SEQUENCE (cA defaults to FALSE); a CA gets cA TRUE and an
 * optional pathLenConstraint.
 */
export function basicConstraintsExtension(options: { ca: boolean; pathLen?: number }): Uint8Array {
  if (!options.ca) return staticExtension(OID.bc, true, sequence());
  if (options.pathLen !== undefined && (!Number.isInteger(options.pathLen) || options.pathLen < 0)) {
    throw new RangeError('basicConstraints pathLen must be a non-negative integer');
  }
  const body = options.pathLen === undefined ? sequence(boolean(true)) : sequence(boolean(true), integer(options.pathLen));
  return staticExtension(OID.bc, true, body);
}

/** The KeyUsage bits of RFC 5280 §4.2.1.3, by name. */
export const KEY_USAGE_BITS = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
  encipherOnly: 7,
  decipherOnly: 8,
} as const;

/** A key usage name. */
export type KeyUsage = keyof typeof KEY_USAGE_BITS;

/** keyUsage (RFC 5280 §4.2.1.3), critical. */
export function keyUsageExtension(usages: readonly KeyUsage[]): Uint8Array {
  if (usages.length === 0) throw new RangeError('keyUsage needs at least one usage');
  return staticExtension(OID.ku, true, namedBits(usages.map((u) => KEY_USAGE_BITS[u])));
}

/** extKeyUsage (RFC 5280 §4.2.1.12), non-critical, with purposes as dotted OIDs. */
export function extKeyUsageExtension(purposeOids: readonly string[]): Uint8Array {
  if (purposeOids.length === 0) throw new RangeError('extKeyUsage needs at least one purpose');
  return staticExtension(OID.eku, false, sequence(...purposeOids.map(oid)));
}

/** subjectKeyIdentifier (RFC 5280 §4.2.1.2), non-critical. */
export function subjectKeyIdentifierExtension(keyId: Uint8Array): Der {
  return extension(OID.ski, false, tlv(Tag.OCTET_STRING, keyId));
}

/** authorityKeyIdentifier with only keyIdentifier `[0]` (RFC 5280 §4.2.1.1), non-critical. */
export function authorityKeyIdentifierExtension(keyId: Uint8Array): Uint8Array {
  return staticExtension(OID.aki, false, sequence(implicitPrimitive(0, keyId)));
}

/** A GeneralName for an identifier: dNSName `[2]` or iPAddress `[7]` (RFC 5280 §4.2.1.6). */
export function generalNameFor(id: Identifier): Der {
  return id.type === 'dns' ? implicitPrimitive(2, ia5Bytes(id.value)) : implicitPrimitive(7, ipToBytes(id.value));
}

/**
 * subjectAltName (RFC 5280 §4.2.1.6) with dNSName and iPAddress entries in
 * the given order. Critical when the subject is empty, as §4.2.1.6 requires.
 */
export function subjectAltNameExtension(identifiers: readonly Identifier[], subjectEmpty: boolean): Der {
  if (identifiers.length === 0) throw new RangeError('subjectAltName needs at least one name');
  return extension(OID.san, subjectEmpty, sequence(...identifiers.map(generalNameFor)));
}

function uri(url: string): Der {
  return implicitPrimitive(6, ia5Bytes(url));
}

/** authorityInfoAccess (RFC 5280 §4.2.2.1), non-critical: OCSP responder and CA issuers URLs. */
export function authorityInfoAccessExtension(options: { ocspUrls?: readonly string[]; caIssuersUrls?: readonly string[] }): Uint8Array {
  const ocsp = oid(ACCESS_METHOD_OIDS.ocsp);
  const caIssuers = oid(ACCESS_METHOD_OIDS.caIssuers);
  const descriptions = [
    ...(options.ocspUrls ?? []).map((u) => sequence(ocsp, uri(u))),
    ...(options.caIssuersUrls ?? []).map((u) => sequence(caIssuers, uri(u))),
  ];
  if (descriptions.length === 0) throw new RangeError('authorityInfoAccess needs at least one URL');
  return staticExtension(OID.aia, false, sequence(...descriptions));
}

/**
 * The DistributionPointName `[0] { fullName [0] { URI } }` for one URL, as
 * both cRLDistributionPoints and a CRL's issuingDistributionPoint
 * (RFC 5280 §5.2.5) carry it: a CRL generator reuses these bytes.
 */
export function distributionPointName(url: string): Uint8Array {
  return encodeDer(implicitConstructed(0, implicitConstructed(0, uri(url))));
}

/** cRLDistributionPoints (RFC 5280 §4.2.1.13) with one distribution point and one URL, non-critical. */
export function crlDistributionPointsExtension(url: string): Uint8Array {
  return staticExtension(OID.crldp, false, sequence(sequence(distributionPointName(url))));
}

/** certificatePolicies (RFC 5280 §4.2.1.4) with policy OIDs only (no qualifiers), non-critical. */
export function certificatePoliciesExtension(policyOids: readonly string[]): Uint8Array {
  if (policyOids.length === 0) throw new RangeError('certificatePolicies needs at least one policy');
  return staticExtension(OID.cp, false, sequence(...policyOids.map((p) => sequence(oid(p)))));
}

/** TLS Feature with status_request(5): "OCSP must-staple" (RFC 7633 §4), non-critical. */
export function mustStapleExtension(): Uint8Array {
  return staticExtension(OID.tls, false, sequence(integer(5)));
}

/** Permitted and excluded subtrees for {@link nameConstraintsExtension}. */
export interface NameConstraints {
  /** DNS subtrees (`example.com` covers it and its subdomains; `.example.com` only subdomains). */
  permittedDns?: readonly string[];
  excludedDns?: readonly string[];
  /** IP ranges in CIDR form (`10.0.0.0/8`, `fd00::/8`). */
  permittedIp?: readonly string[];
  excludedIp?: readonly string[];
}

/** nameConstraints (RFC 5280 §4.2.1.10), critical, for intermediates. */
export function nameConstraintsExtension(c: NameConstraints): Uint8Array {
  const subtrees = (dns: readonly string[] = [], ip: readonly string[] = []): Der[] => [
    ...dns.map((d) => sequence(implicitPrimitive(2, ia5Bytes(d)))),
    ...ip.map((r) => sequence(implicitPrimitive(7, cidrToBytes(r)))),
  ];
  const permitted = subtrees(c.permittedDns, c.permittedIp);
  const excluded = subtrees(c.excludedDns, c.excludedIp);
  if (permitted.length + excluded.length === 0) throw new RangeError('nameConstraints needs at least one subtree');
  const parts: Der[] = [];
  if (permitted.length > 0) parts.push(implicitConstructed(0, ...permitted));
  if (excluded.length > 0) parts.push(implicitConstructed(1, ...excluded));
  return staticExtension(OID.nc, true, sequence(...parts));
}

/** The CT precertificate poison (RFC 6962 §3.1): critical, value ASN.1 NULL. */
export function ctPoisonExtension(): Uint8Array {
  return staticExtension(OID.poison, true, NULL_DER);
}

/**
 * The embedded SCT list (RFC 6962 §3.3): extnValue is an OCTET STRING
 * wrapping the TLS-encoded SignedCertificateTimestampList. Non-critical.
 */
export function sctListExtension(tlsEncodedList: Uint8Array): Der {
  return extension(OID.sct, false, octetString(tlsEncodedList));
}

/** Wraps encoded Extension values as the TBS `[3] EXPLICIT Extensions` field. */
export function extensionsField(extensions: readonly Der[]): Der {
  return implicitConstructed(3, sequence(...extensions));
}
