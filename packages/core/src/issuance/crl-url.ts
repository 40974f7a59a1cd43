/**
 * CRL sharding: which CRL shard a certificate belongs to and the URL of
 * that shard. The certificate's cRLDistributionPoints and the shard CRL's
 * issuingDistributionPoint (RFC 5280 §5.2.5) must carry the same URL, so
 * both sides compute it here.
 */
import type { Profile } from './profile.js';

/**
 * The shard of a serial: `serial mod shardCount`. The serial is given as
 * big-endian unsigned bytes, lowercase hex, or a bigint.
 */
export function crlShardForSerial(serial: Uint8Array | string | bigint, shardCount: number): number {
  if (!Number.isInteger(shardCount) || shardCount < 1) throw new RangeError('shardCount must be a positive integer');
  if (typeof serial === 'bigint') return Number(serial % BigInt(shardCount));
  const bytes = typeof serial === 'string' ? Buffer.from(serial.length % 2 === 0 ? serial : `0${serial}`, 'hex') : serial;
  let r = 0;
  for (const b of bytes) r = (r * 256 + b) % shardCount;
  return r;
}

/**
 * The CRL URL for `shard` of `issuer` under `profile`'s template, or
 * `undefined` when the profile publishes no CRLs.
 */
export function crlUrlFor(profile: Pick<Profile, 'crlUrlTemplate'>, issuer: { id: string }, shard: number): string | undefined {
  const template = profile.crlUrlTemplate;
  if (template === undefined) return undefined;
  return template.replaceAll('{issuerId}', issuer.id).replaceAll('{shard}', String(shard));
}

/** Replaces `{issuerId}` in a profile URL (OCSP, CA issuers). */
export function issuerUrl(template: string, issuer: { id: string }): string {
  return template.replaceAll('{issuerId}', issuer.id);
}
