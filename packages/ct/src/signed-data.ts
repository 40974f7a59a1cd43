/**
 * What a log signs (RFC 6962 §3.2) and what it hashes into its tree (§3.4):
 * the log entry — an X.509 certificate or a precertificate's TBS with its
 * issuer's key hash — wrapped with the SCT's timestamp and extensions.
 *
 * ```
 * digitally-signed struct {
 *   Version sct_version; SignatureType signature_type = certificate_timestamp;
 *   uint64 timestamp; LogEntryType entry_type;
 *   select (entry_type) { case x509_entry: ASN.1Cert; case precert_entry: PreCert; } signed_entry;
 *   CtExtensions extensions;
 * };
 * struct { opaque issuer_key_hash[32]; TBSCertificate tbs_certificate; } PreCert;
 * ```
 * @module
 */
import { createHash } from 'node:crypto';
import { CertwrightError, EXTENSION_OIDS, der, derReader, splitSigned } from '@certwright/core';
import type { der as DerNs } from '@certwright/core';
import { SCT_VERSION_V1 } from './sct.js';
import { TlsWriter } from './tls-encoding.js';

/** LogEntryType (RFC 6962 §3.1). */
export const LOG_ENTRY_TYPE = { x509: 0, precert: 1 } as const;

/** SignatureType values (RFC 6962 §3.2). */
export const SIGNATURE_TYPE = { certificateTimestamp: 0, treeHash: 1 } as const;

/** A log entry: the certificate itself, or a precertificate as the log sees it. */
export type CtLogEntry =
  | { readonly type: 'x509'; readonly certificate: Uint8Array }
  | { readonly type: 'precert'; readonly issuerKeyHash: Uint8Array; readonly tbsCertificate: Uint8Array };

/** SHA-256 of the issuer's SubjectPublicKeyInfo DER: `issuer_key_hash` of a PreCert (RFC 6962 §3.2). */
export function issuerKeyHash(issuerSpki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(issuerSpki).digest());
}

function poisonFailure(rule: string): CertwrightError {
  return new CertwrightError('serverInternal', `not a valid precertificate: ${rule} (RFC 6962 §3.1)`);
}

/**
 * The TBSCertificate a log signs for a precertificate (RFC 6962 §3.2): the
 * precertificate's TBS re-encoded with the poison extension removed, every
 * other field and extension byte-for-byte unchanged (and the extensions
 * field dropped if the poison was its only member). Throws `serverInternal`
 * unless the precertificate has exactly one poison extension, critical and
 * with the value ASN.1 NULL.
 */
export function precertTbsForSct(precertificateDer: Uint8Array): Uint8Array {
  const { tbs } = splitSigned(precertificateDer);
  const fields = derReader.children(derReader.expectTag(derReader.readSingle(tbs), 0x30, 'TBSCertificate'));
  const out: DerNs.Der[] = [];
  let poisons = 0;
  for (const field of fields) {
    if (field.tag !== 0xa3) {
      out.push(derReader.encodingOf(field));
      continue;
    }
    const [list] = derReader.children(field);
    const kept: Uint8Array[] = [];
    for (const ext of derReader.children(derReader.expectTag(list, 0x30, 'Extensions'))) {
      const parts = derReader.children(derReader.expectTag(ext, 0x30, 'Extension'));
      if (parts[0] === undefined || derReader.readOid(parts[0]) !== EXTENSION_OIDS.ctPrecertificatePoison) {
        kept.push(derReader.encodingOf(ext));
        continue;
      }
      poisons++;
      if (parts.length !== 3 || !derReader.readBoolean(parts[1]!)) throw poisonFailure('the poison extension must be critical');
      const value = derReader.valueOf(derReader.expectTag(parts[2], 0x04, 'poison extnValue'));
      if (value.length !== 2 || value[0] !== 0x05 || value[1] !== 0x00) throw poisonFailure('the poison extension value must be ASN.1 NULL');
    }
    if (kept.length > 0) out.push(der.explicit(3, der.sequence(...kept)));
  }
  if (poisons !== 1) throw poisonFailure(poisons === 0 ? 'it has no poison extension' : 'it has more than one poison extension');
  return der.encodeDer(der.sequence(...out));
}

/** The log entry of a precertificate issued directly by the CA whose SPKI is `issuerSpki` (RFC 6962 §3.2). */
export function precertEntry(precertificateDer: Uint8Array, issuerSpki: Uint8Array): CtLogEntry {
  return { type: 'precert', issuerKeyHash: issuerKeyHash(issuerSpki), tbsCertificate: precertTbsForSct(precertificateDer) };
}

/** The log entry of a final (or any ordinary) certificate. */
export function x509Entry(certificateDer: Uint8Array): CtLogEntry {
  return { type: 'x509', certificate: certificateDer };
}

function writeEntry(w: TlsWriter, entry: CtLogEntry): TlsWriter {
  if (entry.type === 'x509') return w.uint(LOG_ENTRY_TYPE.x509, 2).vector(entry.certificate, 3, 1);
  if (entry.issuerKeyHash.length !== 32) throw new RangeError(`issuer_key_hash has 32 octets, got ${entry.issuerKeyHash.length}`);
  return w.uint(LOG_ENTRY_TYPE.precert, 2).bytes(entry.issuerKeyHash).vector(entry.tbsCertificate, 3, 1);
}

/** The exact bytes an SCT's signature covers (RFC 6962 §3.2). */
export function sctSignedData(sct: { readonly timestamp: number; readonly extensions: Uint8Array }, entry: CtLogEntry): Uint8Array {
  const w = new TlsWriter().uint(SCT_VERSION_V1, 1).uint(SIGNATURE_TYPE.certificateTimestamp, 1).uint(sct.timestamp, 8);
  return writeEntry(w, entry).vector(sct.extensions, 2).finish();
}

/**
 * A MerkleTreeLeaf (RFC 6962 §3.4): version v1, leaf type timestamped_entry,
 * then the TimestampedEntry — the leaf input whose hash enters the tree.
 */
export function merkleTreeLeaf(timestamp: number, entry: CtLogEntry, extensions: Uint8Array = new Uint8Array(0)): Uint8Array {
  const w = new TlsWriter().uint(SCT_VERSION_V1, 1).uint(0, 1).uint(timestamp, 8);
  return writeEntry(w, entry).vector(extensions, 2).finish();
}
