/**
 * What the engine reads from an issued certificate: serial, public key,
 * validity and authority key identifier, and the ARI certificate id
 * (RFC 9773 §4.1) built from them.
 * @module
 */
import { CertwrightError, EXTENSION_OIDS, decodeTbs, derReader, splitSigned } from '@certwright/core';
import { decodeBase64urlStrict, encodeBase64url } from '../jws/index.js';

/** The fields of a certificate the engine uses. */
export interface CertificateInfo {
  /** Lowercase hex of the serial's DER content octets (the store key). */
  readonly serialHex: string;
  readonly serial: Uint8Array;
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The authorityKeyIdentifier keyIdentifier, when present. */
  readonly authorityKeyId: Uint8Array | undefined;
}

function authorityKeyId(extensions: ReturnType<typeof decodeTbs>['extensions']): Uint8Array | undefined {
  const aki = extensions.find((e) => e.oid === EXTENSION_OIDS.authorityKeyIdentifier);
  if (aki === undefined) return undefined;
  const keyId = derReader.children(derReader.readSingle(aki.value)).find((t) => t.tag === 0x80);
  return keyId === undefined ? undefined : new Uint8Array(derReader.valueOf(keyId));
}

/** Decodes a DER certificate; throws `malformed` naming `what` when it is not one. */
export function readCertificate(der: Uint8Array, what: string): CertificateInfo {
  try {
    const tbs = decodeTbs(splitSigned(der).tbs);
    return {
      serialHex: Buffer.from(tbs.serial).toString('hex'),
      serial: new Uint8Array(tbs.serial),
      spki: new Uint8Array(tbs.spki),
      notBefore: tbs.notBefore,
      notAfter: tbs.notAfter,
      authorityKeyId: authorityKeyId(tbs.extensions),
    };
  } catch (err) {
    if (err instanceof CertwrightError) throw err;
    throw new CertwrightError('malformed', `The ${what} is not a DER X.509 certificate: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A parsed ARI certificate id (RFC 9773 §4.1). */
export interface CertId {
  readonly keyIdentifier: Uint8Array;
  /** Lowercase hex of the serial's DER content octets. */
  readonly serialHex: string;
}

/**
 * Parses `base64url(AKI keyIdentifier) "." base64url(serial content
 * octets)` (RFC 9773 §4.1). The serial must be a minimal, positive DER
 * INTEGER encoding. Throws `malformed` naming what is wrong.
 */
export function parseCertId(text: string): CertId {
  const parts = text.split('.');
  const bad = (why: string): CertwrightError => new CertwrightError('malformed', `Invalid ARI certificate id ${JSON.stringify(text.slice(0, 128))}: ${why} (RFC 9773 §4.1)`);
  if (parts.length !== 2) throw bad('expected two base64url parts separated by one "."');
  const keyIdentifier = decodeBase64urlStrict(parts[0]!);
  const serial = decodeBase64urlStrict(parts[1]!);
  if (keyIdentifier === undefined || keyIdentifier.length === 0) throw bad('the key identifier is not non-empty base64url');
  if (serial === undefined || serial.length === 0) throw bad('the serial is not non-empty base64url');
  if (serial.length > 21) throw bad('the serial is longer than 20 octets');
  if ((serial[0]! & 0x80) !== 0) throw bad('the serial is negative');
  if (serial.length > 1 && serial[0] === 0 && (serial[1]! & 0x80) === 0) throw bad('the serial has a superfluous leading zero octet');
  return { keyIdentifier, serialHex: Buffer.from(serial).toString('hex') };
}

/** The ARI certificate id of a certificate (RFC 9773 §4.1); `undefined` when it has no authority key identifier. */
export function certIdOf(info: CertificateInfo): string | undefined {
  if (info.authorityKeyId === undefined) return undefined;
  return `${encodeBase64url(info.authorityKeyId)}.${encodeBase64url(info.serial)}`;
}

/** True when two byte strings are equal. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
