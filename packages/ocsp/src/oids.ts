/**
 * Object identifiers of OCSP (RFC 6960 §4, Appendix B) and CRLs
 * (RFC 5280 §5.2, §5.3), in dotted form.
 */

/** OCSP identifiers (RFC 6960 §4.2.1, §4.4, Appendix B.2). */
export const OCSP_OIDS = {
  /** id-pkix-ocsp-basic: the responseType of a BasicOCSPResponse. */
  basic: '1.3.6.1.5.5.7.48.1.1',
  /** id-pkix-ocsp-nonce (RFC 6960 §4.4.1, RFC 8954). */
  nonce: '1.3.6.1.5.5.7.48.1.2',
  /** id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1). */
  noCheck: '1.3.6.1.5.5.7.48.1.5',
} as const;

/** Hash algorithms accepted in an OCSP CertID (RFC 5019 §2.1.1 mandates SHA-1; SHA-256 per RFC 6960 §4.3). */
export const CERT_ID_HASH_OIDS = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** CRL and CRL entry extension identifiers (RFC 5280 §5.2, §5.3). */
export const CRL_OIDS = {
  /** cRLNumber (RFC 5280 §5.2.3). */
  crlNumber: '2.5.29.20',
  /** reasonCode (RFC 5280 §5.3.1). */
  reasonCode: '2.5.29.21',
  /** issuingDistributionPoint (RFC 5280 §5.2.5). */
  issuingDistributionPoint: '2.5.29.28',
} as const;
