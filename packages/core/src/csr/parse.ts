/**
 * Strict parsing of PKCS#10 certificate requests (RFC 2986) as an ACME CA
 * receives them at finalize (RFC 8555 §7.4).
 *
 * Only the public key, the subject common name and the subjectAltName
 * extension of the extensionRequest attribute (RFC 2985 §5.4.2) are read.
 * Requested extensions are reported by OID for logging, but they are never
 * copied into certificates: the issuance profile alone decides a
 * certificate's extensions.
 */
import type { SignatureAlgorithm } from '../signer.js';
import { CertwrightError } from '../errors.js';
import {
  children,
  DerError,
  encodingOf,
  expectTag,
  readBitStringOctets,
  readInteger,
  readOid,
  readSingle,
  valueOf,
  type Tlv,
} from '../x509/der-reader.js';
import { Tag } from '../x509/der.js';
import { bytesToIp } from '../x509/ip.js';
import { signatureAlgorithmFromDer } from '../signers/algorithms.js';
import { verifySignature } from '../signers/verify.js';
import { csrDerFromBase64url, csrDerFromPem } from './encoding.js';

/** A verified certificate request, reduced to what issuance needs. */
export interface ParsedCsr {
  /** The whole DER CertificationRequest. */
  der: Uint8Array;
  /** The DER SubjectPublicKeyInfo, byte for byte as in the CSR. */
  subjectPublicKeyInfo: Uint8Array;
  /** The algorithm of the CSR's self-signature. */
  signatureAlgorithm: SignatureAlgorithm;
  /** The subject commonName, if the subject has one. */
  commonName?: string;
  /** dNSName SANs, lowercased, in CSR order (duplicates kept). */
  dnsNames: string[];
  /** iPAddress SANs in canonical text (RFC 5952 for IPv6), in CSR order. */
  ipAddresses: string[];
  /** OIDs of the extensions in the extensionRequest attribute (read, never copied). */
  requestedExtensions: string[];
}

const OID = {
  commonName: '2.5.4.3',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
} as const;

/** Signature algorithms refused by name because they rely on SHA-1 or MD5. */
const WEAK_SIGNATURE_ALGORITHMS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10040.4.3': 'dsa-with-sha1',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
};

/** GeneralName choices (RFC 5280 §4.2.1.6), for naming refused ones. */
const GENERAL_NAME_TYPES = ['otherName', 'rfc822Name', 'dNSName', 'x400Address', 'directoryName', 'ediPartyName', 'uniformResourceIdentifier', 'iPAddress', 'registeredID'];

function bad(detail: string): CertwrightError {
  return new CertwrightError('badCSR', detail);
}

function decodeDirectoryString(element: Tlv): string {
  const bytes = valueOf(element);
  switch (element.tag) {
    case Tag.UTF8_STRING:
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    case Tag.PRINTABLE_STRING:
    case Tag.IA5_STRING:
      if (bytes.some((b) => b > 0x7f)) throw new DerError('non-ASCII byte in an ASCII string', element.start);
      return Buffer.from(bytes).toString('latin1');
    case Tag.TELETEX_STRING:
      return Buffer.from(bytes).toString('latin1');
    case Tag.BMP_STRING:
      return new TextDecoder('utf-16be', { fatal: true }).decode(bytes);
    default:
      throw new DerError(`unsupported string type 0x${element.tag.toString(16)} in the subject`, element.start);
  }
}

/** The single commonName of a Name, if any (RFC 5280 §4.1.2.4). */
function readCommonName(subject: Tlv): string | undefined {
  const names: string[] = [];
  for (const rdn of children(expectTag(subject, Tag.SEQUENCE, 'subject'))) {
    for (const atv of children(expectTag(rdn, Tag.SET, 'RelativeDistinguishedName'))) {
      const [type, value, ...rest] = children(expectTag(atv, Tag.SEQUENCE, 'AttributeTypeAndValue'));
      if (type === undefined || value === undefined || rest.length > 0) throw new DerError('malformed AttributeTypeAndValue', atv.start);
      if (readOid(type) === OID.commonName) names.push(decodeDirectoryString(value));
    }
  }
  if (names.length > 1) throw bad(`the CSR subject has ${names.length} commonNames; at most one is allowed`);
  return names[0];
}

interface SanResult {
  dnsNames: string[];
  ipAddresses: string[];
}

/** Reads GeneralNames from a subjectAltName extension value; only dNSName and iPAddress are accepted. */
function readSubjectAltNames(extnValue: Uint8Array, out: SanResult): void {
  const names = children(expectTag(readSingle(extnValue), Tag.SEQUENCE, 'subjectAltName'));
  if (names.length === 0) throw bad('the CSR subjectAltName extension is empty');
  for (const name of names) {
    const choice = name.tag & 0x1f;
    const bytes = valueOf(name);
    if (name.tag === 0x82) {
      if (bytes.length === 0 || bytes.some((b) => b > 0x7f)) {
        throw bad('a dNSName SAN in the CSR is empty or not ASCII (IA5String)');
      }
      out.dnsNames.push(Buffer.from(bytes).toString('latin1').toLowerCase());
    } else if (name.tag === 0x87) {
      if (bytes.length !== 4 && bytes.length !== 16) {
        throw bad(`an iPAddress SAN in the CSR has ${bytes.length} octets; it must have 4 or 16`);
      }
      out.ipAddresses.push(bytesToIp(bytes));
    } else {
      throw bad(`the CSR requests a ${GENERAL_NAME_TYPES[choice] ?? `[${choice}]`} SAN; only DNS names and IP addresses are supported`);
    }
  }
}

/** Reads the attributes of a CertificationRequestInfo; returns SANs and requested extension OIDs. */
function readAttributes(attributes: Tlv): SanResult & { requestedExtensions: string[] } {
  const out = { dnsNames: [] as string[], ipAddresses: [] as string[], requestedExtensions: [] as string[] };
  let seenExtensionRequest = false;
  for (const attribute of children(attributes)) {
    const [type, values, ...rest] = children(expectTag(attribute, Tag.SEQUENCE, 'Attribute'));
    if (type === undefined || values === undefined || rest.length > 0) throw new DerError('malformed Attribute', attribute.start);
    expectTag(values, Tag.SET, 'Attribute values');
    if (readOid(type) !== OID.extensionRequest) continue;
    const sets = children(values);
    if (seenExtensionRequest || sets.length !== 1) throw bad('the CSR must carry at most one extensionRequest with one value');
    seenExtensionRequest = true;
    for (const extension of children(expectTag(sets[0], Tag.SEQUENCE, 'Extensions'))) {
      const fields = children(expectTag(extension, Tag.SEQUENCE, 'Extension'));
      const oid = readOid(expectTag(fields[0], Tag.OID, 'extnID'));
      const last = fields[fields.length - 1];
      if (fields.length < 2 || fields.length > 3 || (fields.length === 3 && fields[1]!.tag !== Tag.BOOLEAN)) {
        throw new DerError(`malformed Extension ${oid}`, extension.start);
      }
      const extnValue = valueOf(expectTag(last, Tag.OCTET_STRING, 'extnValue'));
      if (out.requestedExtensions.includes(oid)) throw bad(`the CSR requests extension ${oid} twice`);
      out.requestedExtensions.push(oid);
      if (oid === OID.subjectAltName) readSubjectAltNames(extnValue, out);
    }
  }
  return out;
}

function describeAlgorithm(algorithmIdentifier: Tlv): string {
  try {
    const oid = readOid(expectTag(children(expectTag(algorithmIdentifier, Tag.SEQUENCE, 'signatureAlgorithm'))[0], Tag.OID, 'algorithm'));
    const weak = WEAK_SIGNATURE_ALGORITHMS[oid];
    return weak === undefined ? `${oid} (or its parameters)` : `${weak} (${oid}): SHA-1 and MD5 are not accepted`;
  } catch {
    return '(malformed AlgorithmIdentifier)';
  }
}

/**
 * Parses and verifies a DER CSR. Rejects with `badCSR`: anything but
 * strict DER (including trailing bytes), a version other than v1, signature
 * algorithms other than those certwright issues with (SHA-1 and MD5 named
 * in the detail), a self-signature that does not verify, SAN types other
 * than dNSName and iPAddress, several commonNames, and a request that names
 * nothing at all. The key itself is judged separately by `checkPublicKey`.
 */
export async function parseCsrDer(der: Uint8Array): Promise<ParsedCsr> {
  let parsed: Omit<ParsedCsr, 'signatureAlgorithm'> & { tbs: Uint8Array; signature: Uint8Array; algorithm: Tlv };
  try {
    const request = expectTag(readSingle(der), Tag.SEQUENCE, 'CertificationRequest');
    const [info, algorithm, signatureBits, ...rest] = children(request);
    if (rest.length > 0) throw new DerError('CertificationRequest has extra fields', rest[0]!.start);
    const [version, subject, spki, attributes, ...more] = children(expectTag(info, Tag.SEQUENCE, 'CertificationRequestInfo'));
    if (more.length > 0) throw new DerError('CertificationRequestInfo has extra fields', more[0]!.start);
    if (readInteger(expectTag(version, Tag.INTEGER, 'version')) !== 0n) throw bad('the CSR version must be v1 (0)');
    const commonName = readCommonName(expectTag(subject, Tag.SEQUENCE, 'subject'));
    const subjectPublicKeyInfo = encodingOf(expectTag(spki, Tag.SEQUENCE, 'subjectPKInfo')).slice();
    const attrs = readAttributes(expectTag(attributes, 0xa0, 'attributes'));
    const common = commonName === undefined ? {} : { commonName };
    parsed = {
      der,
      subjectPublicKeyInfo,
      ...common,
      ...attrs,
      tbs: encodingOf(info!),
      algorithm: expectTag(algorithm, Tag.SEQUENCE, 'signatureAlgorithm'),
      signature: readBitStringOctets(expectTag(signatureBits, Tag.BIT_STRING, 'signature')),
    };
  } catch (err) {
    if (err instanceof DerError) throw bad(`the CSR is malformed: ${err.message}`);
    throw err;
  }
  const signatureAlgorithm = signatureAlgorithmFromDer(encodingOf(parsed.algorithm));
  if (signatureAlgorithm === undefined) {
    throw bad(`the CSR signature algorithm ${describeAlgorithm(parsed.algorithm)} is not supported`);
  }
  if (!(await verifySignature(parsed.subjectPublicKeyInfo, signatureAlgorithm, parsed.tbs, parsed.signature))) {
    throw bad('the CSR signature does not verify with the CSR public key');
  }
  if (parsed.commonName === undefined && parsed.dnsNames.length === 0 && parsed.ipAddresses.length === 0) {
    throw bad('the CSR names no identifier: it has neither a commonName nor subjectAltNames');
  }
  const { tbs: _tbs, signature: _signature, algorithm: _algorithm, ...result } = parsed;
  return { ...result, der: der.slice(), signatureAlgorithm };
}

/**
 * Parses a CSR given as PEM text (`CERTIFICATE REQUEST` or `NEW CERTIFICATE
 * REQUEST`) or as DER bytes, then applies {@link parseCsrDer}.
 */
export async function parseCsr(input: string | Uint8Array): Promise<ParsedCsr> {
  return parseCsrDer(typeof input === 'string' ? csrDerFromPem(input) : input);
}

/**
 * Parses the base64url DER `csr` member of an ACME finalize request
 * (RFC 8555 §7.4), then applies {@link parseCsrDer}.
 */
export async function parseCsrBase64url(csr: string): Promise<ParsedCsr> {
  return parseCsrDer(csrDerFromBase64url(csr));
}
