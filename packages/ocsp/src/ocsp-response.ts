/**
 * OCSP response encoding (RFC 6960 §4.2.1, profiled by RFC 5019 §2.2):
 * error responses carrying only a status, and successful responses with a
 * BasicOCSPResponse for one certificate.
 *
 * ```
 * OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
 * ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response OCTET STRING }
 * BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm AlgorithmIdentifier,
 *                                  signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
 * ResponseData ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, responderID ResponderID,
 *                             producedAt GeneralizedTime, responses SEQUENCE OF SingleResponse,
 *                             responseExtensions [1] EXPLICIT Extensions OPTIONAL }
 * SingleResponse ::= SEQUENCE { certID CertID, certStatus CertStatus, thisUpdate GeneralizedTime,
 *                               nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL, singleExtensions [1] OPTIONAL }
 * ```
 */
import { der } from '@certwright/core';
import type { RevocationReason } from '@certwright/core';
import type { CertIdHash } from './ocsp-request.js';
import { CERT_ID_HASH_OIDS, OCSP_OIDS } from './oids.js';

/** OCSPResponseStatus values (RFC 6960 §4.2.1); 4 is not used. */
export const OCSP_RESPONSE_STATUS = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
} as const;

/** An error status name. */
export type OcspErrorStatus = Exclude<keyof typeof OCSP_RESPONSE_STATUS, 'successful'>;

/** An OCSPResponse with an error status and no responseBytes (RFC 6960 §4.2.1). */
export function ocspErrorResponse(status: OcspErrorStatus): Uint8Array {
  return der.encodeDer(der.sequence(der.tlv(der.Tag.ENUMERATED, Uint8Array.of(OCSP_RESPONSE_STATUS[status]))));
}

/** The status of one certificate (RFC 6960 §4.2.1 CertStatus; `unknown` is never sent, see the responder). */
export type CertStatus = { status: 'good' } | { status: 'revoked'; revokedAt: Date; reason: RevocationReason };

/** Everything a SingleResponse and its signed envelope need. */
export interface BasicResponseFields {
  /** The CertID to answer for. */
  certId: { hashAlgorithm: CertIdHash; issuerNameHash: Uint8Array; issuerKeyHash: Uint8Array; serialHex: string };
  certStatus: CertStatus;
  thisUpdate: Date;
  nextUpdate: Date;
  producedAt: Date;
  /** SHA-1 of the responder's subjectPublicKey bits: ResponderID byKey (RFC 6960 §4.2.2.3). */
  responderKeyHash: Uint8Array;
  /** The nonce extension's extnValue content to echo, if any (RFC 6960 §4.4.1). */
  nonce?: Uint8Array;
}

const HASH_ALGORITHM_DER: Record<CertIdHash, Uint8Array> = {
  sha1: der.encodeDer(der.sequence(der.oid(CERT_ID_HASH_OIDS.sha1), der.NULL_DER)),
  sha256: der.encodeDer(der.sequence(der.oid(CERT_ID_HASH_OIDS.sha256), der.NULL_DER)),
};
const BASIC_OID = der.oid(OCSP_OIDS.basic);
const NONCE_OID = der.oid(OCSP_OIDS.nonce);
const GOOD = Uint8Array.of(0x80, 0x00);

/** The CertID DER (RFC 6960 §4.1.1) with NULL hash parameters, as RFC 5019 clients send it. */
export function certIdDer(certId: BasicResponseFields['certId']): der.Der {
  return der.sequence(
    HASH_ALGORITHM_DER[certId.hashAlgorithm],
    der.octetString(certId.issuerNameHash),
    der.octetString(certId.issuerKeyHash),
    der.integerFromUnsigned(Buffer.from(certId.serialHex, 'hex')),
  );
}

function certStatusDer(s: CertStatus): der.Der {
  if (s.status === 'good') return GOOD;
  const parts: der.Der[] = [der.generalizedTime(s.revokedAt)];
  // RFC 5280 §5.3.1: the reason code unspecified (0) should be absent; RFC 6960 keeps the same CRLReason.
  if (s.reason !== 0) parts.push(der.explicit(0, der.tlv(der.Tag.ENUMERATED, Uint8Array.of(s.reason))));
  return der.implicitConstructed(1, ...parts);
}

/** Encodes the ResponseData to be signed (RFC 6960 §4.2.1). */
export function responseDataDer(f: BasicResponseFields): Uint8Array {
  const single = der.sequence(
    certIdDer(f.certId),
    certStatusDer(f.certStatus),
    der.generalizedTime(f.thisUpdate),
    der.explicit(0, der.generalizedTime(f.nextUpdate)),
  );
  const parts: der.Der[] = [der.explicit(2, der.octetString(f.responderKeyHash)), der.generalizedTime(f.producedAt), der.sequence(single)];
  if (f.nonce !== undefined) parts.push(der.explicit(1, der.sequence(der.sequence(NONCE_OID, der.octetString(f.nonce)))));
  return der.encodeDer(der.sequence(...parts));
}

/**
 * Wraps signed ResponseData into a successful OCSPResponse. `certs` are
 * included in the BasicOCSPResponse (a delegated responder's certificate,
 * RFC 6960 §4.2.2.2); empty when the issuer signs itself.
 */
export function successfulResponse(responseData: Uint8Array, signatureAlgorithm: Uint8Array, signature: Uint8Array, certs: readonly Uint8Array[]): Uint8Array {
  const basicParts: der.Der[] = [responseData, signatureAlgorithm, der.bitString(signature)];
  if (certs.length > 0) basicParts.push(der.explicit(0, der.sequence(...certs)));
  const basic = der.sequence(...basicParts);
  return der.encodeDer(
    der.sequence(der.tlv(der.Tag.ENUMERATED, Uint8Array.of(OCSP_RESPONSE_STATUS.successful)), der.explicit(0, der.sequence(BASIC_OID, der.octetString(basic)))),
  );
}
