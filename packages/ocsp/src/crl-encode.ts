/**
 * CRL encoding (RFC 5280 §5.1): a v2 TBSCertList with the extensions
 * certwright publishes — authorityKeyIdentifier, cRLNumber and (for
 * partitioned CRLs) a critical issuingDistributionPoint whose
 * DistributionPointName is byte for byte the one in the certificates'
 * cRLDistributionPoints (both come from `distributionPointName`).
 *
 * ```
 * TBSCertList ::= SEQUENCE { version Version OPTIONAL (v2), signature AlgorithmIdentifier, issuer Name,
 *                            thisUpdate Time, nextUpdate Time OPTIONAL,
 *                            revokedCertificates SEQUENCE OF SEQUENCE {
 *                              userCertificate CertificateSerialNumber, revocationDate Time,
 *                              crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
 *                            crlExtensions [0] EXPLICIT Extensions OPTIONAL }
 * ```
 */
import { assembleSigned, der, distributionPointName, staticExtension, type Issuer, type RevocationReason } from '@certwright/core';
import { CRL_OIDS } from './oids.js';

/** One revoked certificate on a CRL. */
export interface CrlEntry {
  /** Lowercase hex of the serial's INTEGER content octets (as the store keeps it). */
  serial: string;
  revokedAt: Date;
  reason: RevocationReason;
}

/** What goes into one CRL. */
export interface CrlContent {
  issuer: Pick<Issuer, 'subjectDer' | 'akiExtension' | 'signatureAlgorithmDer'>;
  thisUpdate: Date;
  nextUpdate: Date;
  /** cRLNumber (RFC 5280 §5.2.3): a non-negative integer of at most 20 octets. */
  number: bigint;
  /** The distribution point URL of this CRL (issuingDistributionPoint); absent for a full CRL without one. */
  distributionPointUrl?: string;
  entries: Iterable<CrlEntry>;
}

const VERSION_V2 = der.encodeDer(der.integer(1));
const CRL_NUMBER_OID = der.oid(CRL_OIDS.crlNumber);

/** The reasonCode entry extension per reason, precomputed; none for unspecified (RFC 5280 §5.3.1). */
const REASON_EXTENSIONS: ReadonlyMap<number, Uint8Array> = new Map(
  [1, 2, 3, 4, 5, 6, 8, 9, 10].map((r) => [r, der.encodeDer(der.sequence(staticExtension(CRL_OIDS.reasonCode, false, der.tlv(der.Tag.ENUMERATED, Uint8Array.of(r)))))]),
);

/** The largest cRLNumber RFC 5280 §5.2.3 allows (20 octets, positive). */
export const MAX_CRL_NUMBER = (1n << 159n) - 1n;

/**
 * The issuingDistributionPoint extension (RFC 5280 §5.2.5), critical, for
 * a CRL covering end-entity certificates only (onlyContainsUserCerts TRUE).
 */
export function issuingDistributionPointExtension(url: string): Uint8Array {
  return staticExtension(CRL_OIDS.issuingDistributionPoint, true, der.sequence(distributionPointName(url), Uint8Array.of(0x81, 0x01, 0xff)));
}

function entryDer(e: CrlEntry): der.DerNode {
  const serial = der.integerFromUnsigned(Buffer.from(e.serial, 'hex'));
  const ext = REASON_EXTENSIONS.get(e.reason);
  return ext === undefined ? der.sequence(serial, der.x509Time(e.revokedAt)) : der.sequence(serial, der.x509Time(e.revokedAt), ext);
}

const CHUNK = 1 << 16;

/**
 * The revokedCertificates SEQUENCE, written entry by entry into 64 KiB
 * chunks: a CRL of a million entries is then a few hundred chunks rather
 * than a million objects (and no argument list of a million values).
 */
function revokedCertificatesDer(entries: Iterable<CrlEntry>): der.DerNode | undefined {
  const chunks: Uint8Array[] = [];
  let current = new Uint8Array(CHUNK);
  let used = 0;
  let total = 0;
  for (const e of entries) {
    const node = entryDer(e);
    if (used + node.size > current.length) {
      chunks.push(current.subarray(0, used));
      current = new Uint8Array(Math.max(CHUNK, node.size));
      used = 0;
    }
    current.set(der.encodeDer(node), used);
    used += node.size;
    total += node.size;
  }
  if (total === 0) return undefined;
  chunks.push(current.subarray(0, used));
  return { tag: der.Tag.SEQUENCE, children: chunks, contentLength: total, size: 1 + der.lengthOfLength(total) + total };
}

/** Encodes the TBSCertList. */
export function encodeTbsCertList(c: CrlContent): Uint8Array {
  if (c.number < 0n || c.number > MAX_CRL_NUMBER) throw new RangeError('cRLNumber must be a non-negative integer of at most 20 octets');
  if (c.nextUpdate.getTime() <= c.thisUpdate.getTime()) throw new RangeError('nextUpdate must be after thisUpdate');
  const revoked = revokedCertificatesDer(c.entries);
  const extensions: der.Der[] = [c.issuer.akiExtension, staticExtension(CRL_NUMBER_OID, false, der.integer(c.number))];
  if (c.distributionPointUrl !== undefined) extensions.push(issuingDistributionPointExtension(c.distributionPointUrl));
  const fields: der.Der[] = [VERSION_V2, c.issuer.signatureAlgorithmDer, c.issuer.subjectDer, der.x509Time(c.thisUpdate), der.x509Time(c.nextUpdate)];
  // RFC 5280 §5.1.2.6: when there are no revoked certificates the list is absent, not empty.
  if (revoked !== undefined) fields.push(revoked);
  fields.push(der.explicit(0, der.sequence(...extensions)));
  return der.encodeDer(der.sequence(...fields));
}

/** Encodes and signs a CRL with `issuer`'s signer (RFC 5280 §5.1.1). */
export async function signCrl(c: Omit<CrlContent, 'issuer'>, issuer: Pick<Issuer, 'subjectDer' | 'akiExtension' | 'signatureAlgorithmDer' | 'signer'>): Promise<Uint8Array> {
  const tbs = encodeTbsCertList({ ...c, issuer });
  const signature = await issuer.signer.sign(tbs);
  return assembleSigned(tbs, issuer.signatureAlgorithmDer, signature);
}
