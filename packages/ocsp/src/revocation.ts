/**
 * Administrative revocation by serial (RFC 5280 §5.3.1 reason codes): the
 * operator's path, next to ACME's revokeCert. Validates the serial and the
 * reason, revokes in the store (compare-and-set: of two racing revocations
 * one wins) and explains a refusal.
 */
import { CertwrightError, der, type CertificateStore, type Clock, type Revocation, type RevocationReason } from '@certwright/core';

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

/** A reason given as a code or a name (case-insensitive), checked against RFC 5280 §5.3.1. */
export function parseRevocationReason(reason: number | string): RevocationReason {
  const code = typeof reason === 'number' ? reason : /^(0|[1-9][0-9]?)$/.test(reason) ? Number(reason) : undefined;
  if (code !== undefined) {
    if (Object.values(REVOCATION_REASONS).includes(code as RevocationReason)) return code as RevocationReason;
  } else {
    const wanted = String(reason).toLowerCase();
    const entry = Object.entries(REVOCATION_REASONS).find(([name]) => name.toLowerCase() === wanted);
    if (entry !== undefined) return entry[1];
  }
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
 * Revokes `serial` with `reason` at the clock's time. Throws `malformed`
 * (bad serial), `badRevocationReason`, `notFound` (unknown, or never
 * signed: reserved or abandoned) or `alreadyRevoked`.
 */
export async function revokeBySerial(
  store: Pick<CertificateStore, 'getCertificate' | 'revoke'>,
  clock: Clock,
  serial: string,
  reason: number | string,
): Promise<Revocation> {
  const key = normalizeSerial(serial);
  const code = parseRevocationReason(reason);
  const revocation = await store.revoke(key, code, clock.now());
  if (revocation !== undefined) return revocation;
  const record = await store.getCertificate(key);
  if (record === undefined) throw new CertwrightError('notFound', `no certificate with serial ${key}`);
  if (record.revokedAt !== undefined) throw new CertwrightError('alreadyRevoked', `certificate ${key} was already revoked at ${record.revokedAt.toISOString()}`);
  throw new CertwrightError('notFound', `serial ${key} was never signed (state ${record.state})`);
}
