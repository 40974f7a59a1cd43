/**
 * What the store says about a serial, in OCSP terms. A certificate counts
 * as issued once its TBS is planned (it may have been signed: the
 * write-ahead pipeline records before it signs), so `planned`,
 * `precertificate` and `issued` are answered; `reserved` and `abandoned`
 * serials were never signed and, like unknown serials or serials of another
 * issuer, are never `good`.
 */
import type { CertificateRecord, CertificateStore, Issuer } from '@certwright/core';
import type { CertStatus } from './ocsp-response.js';

/** The outcome of a status lookup. */
export type StatusLookup =
  | { known: true; status: CertStatus; record: CertificateRecord }
  | { known: false; why: 'unknown serial' | 'other issuer' | 'never signed' };

/** States in which a serial may have been signed (ARCHITECTURE.md, write-ahead pipeline). */
const SIGNED_STATES: ReadonlySet<CertificateRecord['state']> = new Set(['planned', 'precertificate', 'issued']);

/** The OCSP status of a record, assuming it is known and signed. */
export function statusOfRecord(record: CertificateRecord): CertStatus {
  if (record.revokedAt !== undefined) return { status: 'revoked', revokedAt: record.revokedAt, reason: record.revocationReason ?? 0 };
  return { status: 'good' };
}

/** Looks up `serial` (lowercase hex) for `issuer`. */
export async function lookupStatus(store: Pick<CertificateStore, 'getCertificate'>, issuer: Issuer, serial: string): Promise<StatusLookup> {
  const record = await store.getCertificate(serial);
  if (record === undefined) return { known: false, why: 'unknown serial' };
  if (record.issuerId !== issuer.id) return { known: false, why: 'other issuer' };
  if (!SIGNED_STATES.has(record.state)) return { known: false, why: 'never signed' };
  return { known: true, status: statusOfRecord(record), record };
}
