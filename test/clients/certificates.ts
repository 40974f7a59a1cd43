/**
 * Checks on the certificates the clients saved: names, serial in the
 * store's form, and chain verification with the openssl CLI.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g;

/** The PEM certificate blocks of a file, in order. */
export function pemBlocks(path: string): string[] {
  return readFileSync(path, 'utf8').match(PEM_BLOCK) ?? [];
}

/** The first certificate of a PEM file. */
export function leafOf(path: string): X509Certificate {
  const first = pemBlocks(path)[0];
  if (first === undefined) throw new Error(`${path} holds no PEM certificate`);
  return new X509Certificate(first);
}

/** The subjectAltName entries of a certificate, sorted, e.g. `['DNS:a.example', 'IP Address:127.0.0.1']`. */
export function subjectAltNames(cert: X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .sort();
}

/** The serial as the store keys it: lowercase hex of the DER INTEGER content octets. */
export function storeSerial(cert: X509Certificate): string {
  let hex = cert.serialNumber.toLowerCase();
  if (hex.length % 2 === 1) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) >= 0x80) hex = `00${hex}`;
  return hex;
}

/**
 * `openssl verify -CAfile root -untrusted chain leaf`; returns openssl's
 * output, throws with it when verification fails. `untrusted` may be the
 * full chain file (leaf included): openssl only uses it to build the path.
 */
export function opensslVerify(rootPath: string, untrustedPath: string, leafPath: string): string {
  try {
    return execFileSync('openssl', ['verify', '-CAfile', rootPath, '-untrusted', untrustedPath, leafPath], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`openssl verify of ${leafPath} against ${rootPath} failed: ${e.stdout ?? ''}${e.stderr ?? e.message}`, { cause: err });
  }
}
