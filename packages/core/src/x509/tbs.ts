/**
 * TBSCertificate assembly and decoding (RFC 5280 §4.1):
 *
 * ```
 * TBSCertificate ::= SEQUENCE {
 *   version [0] EXPLICIT Version (v3 = 2), serialNumber, signature AlgorithmIdentifier,
 *   issuer Name, validity SEQUENCE { notBefore, notAfter }, subject Name,
 *   subjectPublicKeyInfo, extensions [3] EXPLICIT Extensions }
 * ```
 *
 * The encoder splices precomputed byte chunks; the decoder returns views
 * into the input for cheap checks.
 */
import { type Der, encodeDer, integerFromUnsigned, sequence, x509Time } from './der.js';
import { type Tlv, DerError, children, encodingOf, expectTag, readBoolean, readIntegerBytes, readOid, readSingle, readTime, valueOf } from './der-reader.js';
import { extensionsField } from './extensions.js';

/** `[0] EXPLICIT INTEGER 2`: version v3, precomputed. */
export const VERSION_V3_DER: Uint8Array = Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02);

/** Everything a TBSCertificate holds, with the fixed parts already DER. */
export interface TbsFields {
  /** Serial number as big-endian unsigned bytes (minimal INTEGER encoding is applied). */
  serial: Uint8Array;
  /** The signature AlgorithmIdentifier DER (must match the one outside the TBS). */
  signatureAlgorithm: Uint8Array;
  /** Issuer Name DER, byte-for-byte the issuer certificate's subject. */
  issuer: Uint8Array;
  notBefore: Date;
  /** Inclusive (RFC 5280 §4.1.2.5). */
  notAfter: Date;
  /** Subject Name DER. */
  subject: Uint8Array;
  /** SubjectPublicKeyInfo DER, copied as-is. */
  spki: Uint8Array;
  /** Encoded Extension values, in order; at least one (v3). */
  extensions: readonly Der[];
}

/** Encodes a v3 TBSCertificate in one allocation. */
export function encodeTbs(f: TbsFields): Uint8Array {
  return encodeDer(
    sequence(
      VERSION_V3_DER,
      integerFromUnsigned(f.serial),
      f.signatureAlgorithm,
      f.issuer,
      sequence(x509Time(f.notBefore), x509Time(f.notAfter)),
      f.subject,
      f.spki,
      extensionsField(f.extensions),
    ),
  );
}

/** One decoded extension. */
export interface DecodedExtension {
  oid: string;
  critical: boolean;
  /** The extnValue content (inside the OCTET STRING). */
  value: Uint8Array;
  /** The whole Extension encoding. */
  der: Uint8Array;
}

/** A decoded TBSCertificate; byte fields are views into the input. */
export interface DecodedTbs {
  /** 0 = v1, 2 = v3. */
  version: number;
  /** Serial INTEGER content octets (two's complement, minimal). */
  serial: Uint8Array;
  signatureAlgorithm: Uint8Array;
  issuer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  subject: Uint8Array;
  spki: Uint8Array;
  extensions: DecodedExtension[];
}

function decodeExtension(t: Tlv): DecodedExtension {
  const parts = children(expectTag(t, 0x30, 'Extension'));
  const id = parts[0];
  if (id === undefined || parts.length < 2 || parts.length > 3) throw new DerError('Extension must have 2 or 3 fields', t.start);
  let critical = false;
  let valueTlv = parts[1]!;
  if (parts.length === 3) {
    critical = readBoolean(parts[1]!);
    if (!critical) throw new DerError('Extension critical=FALSE must be omitted in DER', t.start);
    valueTlv = parts[2]!;
  }
  expectTag(valueTlv, 0x04, 'extnValue');
  return { oid: readOid(id), critical, value: valueOf(valueTlv), der: encodingOf(t) };
}

/** Decodes a TBSCertificate strictly; throws {@link DerError} on structure errors. */
export function decodeTbs(der: Uint8Array): DecodedTbs {
  const fields = children(expectTag(readSingle(der), 0x30, 'TBSCertificate'));
  let i = 0;
  let version = 0;
  if (fields[0]?.tag === 0xa0) {
    const [v] = children(fields[0]);
    if (v === undefined) throw new DerError('empty version', fields[0].start);
    const bytes = readIntegerBytes(v);
    version = bytes.length === 1 ? bytes[0]! : -1;
    i = 1;
  }
  const need = (what: string): Tlv => {
    const f = fields[i++];
    if (f === undefined) throw new DerError(`TBSCertificate is missing ${what}`, der.length);
    return f;
  };
  const serial = readIntegerBytes(need('serialNumber'));
  const signatureAlgorithm = encodingOf(expectTag(need('signature'), 0x30, 'signature'));
  const issuer = encodingOf(expectTag(need('issuer'), 0x30, 'issuer'));
  const validity = children(expectTag(need('validity'), 0x30, 'validity'));
  if (validity.length !== 2) throw new DerError('validity must have two times', der.length);
  const notBefore = readTime(validity[0]!);
  const notAfter = readTime(validity[1]!);
  const subject = encodingOf(expectTag(need('subject'), 0x30, 'subject'));
  const spki = encodingOf(expectTag(need('subjectPublicKeyInfo'), 0x30, 'subjectPublicKeyInfo'));
  let extensions: DecodedExtension[] = [];
  for (; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.tag === 0xa3) {
      const [seq] = children(f);
      if (seq === undefined) throw new DerError('empty extensions field', f.start);
      extensions = children(expectTag(seq, 0x30, 'Extensions')).map(decodeExtension);
    } else if (f.tag !== 0x81 && f.tag !== 0x82) {
      throw new DerError(`unexpected TBSCertificate field tag 0x${f.tag.toString(16)}`, f.start);
    }
  }
  return { version, serial, signatureAlgorithm, issuer, notBefore, notAfter, subject, spki, extensions };
}
