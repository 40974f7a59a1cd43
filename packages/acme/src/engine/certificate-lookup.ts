import type { CertificateRecord } from '@certwright/core';
import type { EngineContext } from './context.js';
import { readCertificate, sameBytes } from './certificate-info.js';
import type { CertId, CertificateInfo } from './certificate-info.js';

/** An issued certificate with its decoded fields. */
export interface IssuedRecord {
  readonly record: CertificateRecord & { certificateDer: Uint8Array };
  readonly info: CertificateInfo;
}

/** The issued certificate with `serialHex`, or `undefined` when there is none (unknown, or never issued). */
export async function findIssued(ctx: EngineContext, serialHex: string): Promise<IssuedRecord | undefined> {
  const record = await ctx.store.getCertificate(serialHex);
  if (record === undefined || record.certificateDer === undefined || record.state !== 'issued') return undefined;
  return { record: record as CertificateRecord & { certificateDer: Uint8Array }, info: readCertificate(record.certificateDer, 'stored certificate') };
}

/** The issued certificate an ARI certificate id names: same serial and same authority key identifier (RFC 9773 §4.1). */
export async function findByCertId(ctx: EngineContext, certId: CertId): Promise<IssuedRecord | undefined> {
  const found = await findIssued(ctx, certId.serialHex);
  if (found?.info.authorityKeyId === undefined || !sameBytes(found.info.authorityKeyId, certId.keyIdentifier)) return undefined;
  return found;
}
