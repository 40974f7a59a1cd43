/**
 * The SHA-256 digest of a key authorization, as dns-01 publishes it
 * (base64url, RFC 8555 §8.4) and tls-alpn-01 embeds it (raw, RFC 8737 §3).
 * @module
 */
import { createHash } from 'node:crypto';

/** SHA-256 of the key authorization's UTF-8 bytes. */
export function keyAuthorizationDigest(keyAuthorization: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(keyAuthorization, 'utf8').digest());
}

/** base64url (no padding) of {@link keyAuthorizationDigest}: the dns-01 TXT value (RFC 8555 §8.4). */
export function dns01TxtValue(keyAuthorization: string): string {
  return Buffer.from(keyAuthorizationDigest(keyAuthorization)).toString('base64url');
}
