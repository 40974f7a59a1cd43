/**
 * Administrative revocation by serial (RFC 5280 §5.3.1 reason codes): the
 * operator's path, next to ACME's revokeCert. Validates the serial and the
 * reason, revokes in the store (compare-and-set: of two racing revocations
 * one wins) and explains a refusal.
 */
import { CertwrightError, decodeTbs, der, spkiSha256Hex, splitSigned, type CertificateStore, type Clock, type Revocation, type RevocationReason } from '@certwright/core';

/** CRLReason names (RFC 5280 §5.3.1) and their codes; 7 is unused. */
export const REVOCATION_REASONS: Readonly<Record<string, RevocationReason>> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};

/** The code of removeFromCRL, which only a delta CRL may carry (RFC 5280 §5.3.1). */
const REMOVE_FROM_CRL = 8;

/**
 * A reason given as a code or a name (case-insensitive), checked against
 * RFC 5280 §5.3.1. `removeFromCRL` (8) is refused: it "is only used in delta
 * CRLs" to take an entry off, so it is no reason to revoke a certificate.
 */
export function parseRevocationReason(reason: number | string): RevocationReason {
  const code = typeof reason === 'number' ? reason : /^(0|[1-9][0-9]?)$/.test(reason) ? Number(reason) : undefined;
  let found: RevocationReason | undefined;
  if (code !== undefined) {
    if (Object.values(REVOCATION_REASONS).includes(code as RevocationReason)) found = code as RevocationReason;
  } else {
    const wanted = String(reason).toLowerCase();
    found = Object.entries(REVOCATION_REASONS).find(([name]) => name.toLowerCase() === wanted)?.[1];
  }
  if (found === REMOVE_FROM_CRL) {
    throw new CertwrightError('badRevocationReason', `revocation reason removeFromCRL (8) only takes an entry off a delta CRL (RFC 5280 §5.3.1) and revokes nothing; a revocation cannot be undone, so give the reason the certificate is revoked for`);
  }
  if (found !== undefined) return found;
  throw new CertwrightError('badRevocationReason', `revocation reason ${JSON.stringify(reason)} is not an RFC 5280 §5.3.1 CRLReason (0–10 except 7, or its name)`);
}

/**
 * A serial as the store keys it: lowercase hex of the DER INTEGER's content
 * octets. Accepts hex with an optional `0x` prefix and `:` separators
 * (as `openssl x509 -serial` and browsers print it); a leading zero octet is
 * kept only where DER needs it.
 */
export function normalizeSerial(serial: string): string {
  let hex = serial.trim().toLowerCase().replace(/^0x/, '').replaceAll(':', '');
  if (!/^[0-9a-f]+$/.test(hex) || hex.length > 42) throw new CertwrightError('malformed', `serial ${JSON.stringify(serial)} is not a hexadecimal serial number of at most 21 octets`);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Buffer.from(der.unsignedIntegerContent(new Uint8Array(Buffer.from(hex, 'hex')))).toString('hex');
}

/**
 * Revokes `serial` with `reason` at the clock's time. A `keyCompromise` (1)
 * revocation also puts the certificate's public key in the blocked-keys
 * table, so no later certificate is issued for it (RFC 8555 §7.6), as an
 * ACME keyCompromise revocation does. A certificate already revoked for
 * another reason may be revoked again for keyCompromise, which changes the
 * reason (keeping the revocation time) and blocks the key: compromise is
 * often learnt after a routine revocation, and relying parties should see
 * it (the ACME path allows the same with the certificate's key). Throws
 * `malformed` (bad serial), `badRevocationReason`, `notFound` (unknown, or
 * never signed: reserved or abandoned) or `alreadyRevoked` (any other
 * second revocation).
 */
export async function revokeBySerial(
  store: Pick<CertificateStore, 'getCertificate' | 'revoke' | 'updateRevocationReason' | 'addBlockedKey'>,
  clock: Clock,
  serial: string,
  reason: number | string,
): Promise<Revocation> {
  const key = normalizeSerial(serial);
  const code = parseRevocationReason(reason);
  // The key is read before revoking, so a record that cannot be read leaves nothing half-done.
  const blockedSpki = code === 1 ? await signedKeyOf(store, key) : undefined;
  const now = clock.now();
  const block = async (): Promise<void> => {
    if (blockedSpki !== undefined) await store.addBlockedKey({ spkiSha256: spkiSha256Hex(blockedSpki), reason: 'keyCompromise', addedAt: now, sourceSerial: key });
  };
  const revocation = await store.revoke(key, code, now);
  if (revocation !== undefined) {
    await block();
    return revocation;
  }
  const record = await store.getCertificate(key);
  if (record === undefined) throw new CertwrightError('notFound', `no certificate with serial ${key}`);
  if (record.revokedAt !== undefined) {
    const previous = record.revocationReason;
    if (code === 1 && previous !== undefined && previous !== 1) {
      const raised = await store.updateRevocationReason(key, previous, 1);
      if (raised !== undefined) {
        await block();
        return raised;
      }
    }
    throw new CertwrightError('alreadyRevoked', `certificate ${key} was already revoked at ${record.revokedAt.toISOString()} (reason ${previous ?? 0}); only a change to keyCompromise is allowed`);
  }
  throw new CertwrightError('notFound', `serial ${key} was never signed (state ${record.state})`);
}

/**
 * The public key (DER SubjectPublicKeyInfo) certified under `serial`: from
 * the certificate, else the precertificate, else the TBS planned before
 * signing (a crash may have left it signed but unrecorded).
 */
async function signedKeyOf(store: Pick<CertificateStore, 'getCertificate'>, serial: string): Promise<Uint8Array | undefined> {
  const record = await store.getCertificate(serial);
  if (record === undefined) return undefined;
  const signed = record.certificateDer ?? record.precertificateDer;
  const tbs = signed !== undefined ? splitSigned(signed).tbs : record.plannedTbs;
  return tbs === undefined ? undefined : decodeTbs(tbs).spki;
}
