/**
 * Strict DER parsing of an OCSPRequest (RFC 6960 §4.1.1) under the
 * RFC 5019 profile: exactly one Request, CertID hashed with SHA-1 (or
 * SHA-256), an optional nonce. Every fault is a `malformed`
 * {@link CertwrightError} whose detail names the rule; the responder turns
 * it into the `malformedRequest` response status.
 *
 * ```
 * OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest, optionalSignature [0] EXPLICIT Signature OPTIONAL }
 * TBSRequest  ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
 *                            requestorName [1] EXPLICIT GeneralName OPTIONAL,
 *                            requestList SEQUENCE OF Request,
 *                            requestExtensions [2] EXPLICIT Extensions OPTIONAL }
 * Request     ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
 * CertID      ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING,
 *                            issuerKeyHash OCTET STRING, serialNumber CertificateSerialNumber }
 * ```
 */
import { CertwrightError, derReader } from '@certwright/core';
import { CERT_ID_HASH_OIDS, OCSP_OIDS } from './oids.js';

type Tlv = derReader.Tlv;

/** Hash algorithm of a CertID. */
export type CertIdHash = 'sha1' | 'sha256';

/** The certificate identifier of a request (RFC 6960 §4.1.1). */
export interface CertId {
  hashAlgorithm: CertIdHash;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  /** The serial as the store keys it: lowercase hex of the INTEGER's content octets. */
  serial: string;
  /** Whether the serial is a positive INTEGER (RFC 5280 §4.1.2.2); others were never issued. */
  serialPositive: boolean;
}

/** A parsed OCSP request. */
export interface OcspRequest {
  certId: CertId;
  /** The nonce extension's extnValue content (the encoded OCTET STRING), when the request had one. */
  nonce?: Uint8Array;
}

/** Largest nonce echoed back: RFC 8954 §2.1 limits the nonce to 32 octets. */
export const MAX_NONCE_OCTETS = 32;

const HASH_LENGTHS: Record<CertIdHash, number> = { sha1: 20, sha256: 32 };

function malformed(rule: string): CertwrightError {
  return new CertwrightError('malformed', `OCSP request: ${rule}`);
}

function parseHashAlgorithm(t: Tlv): CertIdHash {
  const parts = derReader.children(derReader.expectTag(t, 0x30, 'hashAlgorithm'));
  const oid = derReader.readOid(derReader.expectTag(parts[0], 0x06, 'hashAlgorithm OID'));
  if (parts.length > 2) throw malformed('hashAlgorithm has more than two fields');
  const params = parts[1];
  if (params !== undefined && (params.tag !== 0x05 || params.end !== params.valueStart)) throw malformed('hashAlgorithm parameters must be absent or NULL');
  if (oid === CERT_ID_HASH_OIDS.sha1) return 'sha1';
  if (oid === CERT_ID_HASH_OIDS.sha256) return 'sha256';
  throw malformed(`unsupported CertID hash algorithm ${oid} (SHA-1 and SHA-256 are accepted)`);
}

function parseCertId(t: Tlv): CertId {
  const parts = derReader.children(derReader.expectTag(t, 0x30, 'CertID'));
  if (parts.length !== 4) throw malformed(`CertID must have 4 fields, found ${parts.length}`);
  const hashAlgorithm = parseHashAlgorithm(parts[0]!);
  const issuerNameHash = derReader.valueOf(derReader.expectTag(parts[1], 0x04, 'issuerNameHash'));
  const issuerKeyHash = derReader.valueOf(derReader.expectTag(parts[2], 0x04, 'issuerKeyHash'));
  const want = HASH_LENGTHS[hashAlgorithm];
  if (issuerNameHash.length !== want) throw malformed(`issuerNameHash must be ${want} octets for ${hashAlgorithm}, found ${issuerNameHash.length}`);
  if (issuerKeyHash.length !== want) throw malformed(`issuerKeyHash must be ${want} octets for ${hashAlgorithm}, found ${issuerKeyHash.length}`);
  const serialBytes = derReader.readIntegerBytes(parts[3]!);
  return {
    hashAlgorithm,
    issuerNameHash: new Uint8Array(issuerNameHash),
    issuerKeyHash: new Uint8Array(issuerKeyHash),
    serial: Buffer.from(serialBytes).toString('hex'),
    serialPositive: (serialBytes[0]! & 0x80) === 0 && serialBytes.some((b) => b !== 0),
  };
}

/** Reads Extensions; returns the nonce's extnValue content, rejecting unknown critical extensions. */
function parseExtensions(wrapper: Tlv, where: string): Uint8Array | undefined {
  const inner = derReader.children(wrapper);
  if (inner.length !== 1) throw malformed(`${where} must wrap one Extensions SEQUENCE`);
  let nonce: Uint8Array | undefined;
  const seen = new Set<string>();
  for (const ext of derReader.children(derReader.expectTag(inner[0], 0x30, 'Extensions'))) {
    const fields = derReader.children(derReader.expectTag(ext, 0x30, 'Extension'));
    const oid = derReader.readOid(derReader.expectTag(fields[0], 0x06, 'extnID'));
    if (seen.has(oid)) throw malformed(`duplicate extension ${oid} in ${where}`);
    seen.add(oid);
    let i = 1;
    let critical = false;
    if (fields[i]?.tag === 0x01) {
      critical = derReader.readBoolean(fields[i]!);
      if (!critical) throw malformed(`extension ${oid} encodes the default critical FALSE (not DER)`);
      i++;
    }
    const value = derReader.valueOf(derReader.expectTag(fields[i], 0x04, 'extnValue'));
    if (fields.length !== i + 1) throw malformed(`extension ${oid} has trailing fields`);
    if (oid === OCSP_OIDS.nonce) nonce = new Uint8Array(value);
    else if (critical) throw malformed(`unsupported critical extension ${oid} in ${where}`);
  }
  return nonce;
}

/**
 * Parses a DER OCSPRequest. Accepts exactly one Request (RFC 5019 §2.1.1:
 * clients MUST include only one; a request list of several is refused
 * rather than half-answered). A requestor signature is accepted and
 * ignored, as RFC 5019 §2.1.2 allows. Throws `malformed` naming the rule.
 */
export function parseOcspRequest(der: Uint8Array): OcspRequest {
  try {
    const top = derReader.children(derReader.expectTag(derReader.readSingle(der), 0x30, 'OCSPRequest'));
    if (top.length < 1 || top.length > 2) throw malformed(`OCSPRequest must have 1 or 2 fields, found ${top.length}`);
    if (top[1] !== undefined && top[1].tag !== 0xa0) throw malformed('optionalSignature must be [0]');
    const tbs = derReader.children(derReader.expectTag(top[0], 0x30, 'TBSRequest'));
    let i = 0;
    if (tbs[i]?.tag === 0xa0) {
      const v = derReader.children(tbs[i]!);
      if (v.length !== 1 || derReader.readInteger(v[0]!) !== 0n) throw malformed('version must be v1');
      i++;
    }
    if (tbs[i]?.tag === 0xa1) i++;
    const list = derReader.children(derReader.expectTag(tbs[i], 0x30, 'requestList'));
    i++;
    let nonce: Uint8Array | undefined;
    if (tbs[i]?.tag === 0xa2) {
      nonce = parseExtensions(tbs[i]!, 'requestExtensions');
      i++;
    }
    if (i !== tbs.length) throw malformed('TBSRequest has unexpected fields');
    if (list.length === 0) throw malformed('requestList is empty');
    if (list.length > 1) throw malformed(`requestList must hold exactly one Request (RFC 5019 §2.1.1), found ${list.length}`);
    const request = derReader.children(derReader.expectTag(list[0], 0x30, 'Request'));
    if (request.length < 1 || request.length > 2) throw malformed('Request must have 1 or 2 fields');
    const certId = parseCertId(request[0]!);
    if (request[1] !== undefined) {
      if (request[1].tag !== 0xa0) throw malformed('singleRequestExtensions must be [0]');
      parseExtensions(request[1], 'singleRequestExtensions');
    }
    return nonce === undefined ? { certId } : { certId, nonce };
  } catch (err) {
    if (err instanceof derReader.DerError) throw malformed(`not valid DER: ${err.message}`);
    throw err;
  }
}
