/**
 * Signs one OCSP response for one certificate with an issuer's
 * {@link OcspSigningIdentity}, and records what a cache needs to know about
 * it (validity window, status, ETag).
 */
import { createHash } from 'node:crypto';
import type { RevocationReason } from '@certwright/core';
import type { CertIdHash } from './ocsp-request.js';
import { responseDataDer, successfulResponse, type CertStatus } from './ocsp-response.js';
import type { OcspSigningIdentity } from './signing-identity.js';

/** A signed, ready-to-send OCSP response. */
export interface SignedOcspResponse {
  issuerId: string;
  /** Lowercase hex serial. */
  serial: string;
  hashAlgorithm: CertIdHash;
  /** The status it asserts. */
  status: CertStatus['status'];
  /** The revocation reason it asserts, for a `revoked` response (RFC 5280 §5.3.1). */
  revocationReason?: RevocationReason;
  /** The complete OCSPResponse DER. */
  der: Uint8Array;
  thisUpdate: Date;
  nextUpdate: Date;
  producedAt: Date;
  /** Strong entity tag, quoted (RFC 9110 §8.8.3). */
  etag: string;
  /** Whether a request nonce was echoed (then the response must not be cached or shared). */
  nonce: boolean;
}

/** Timing of responses. */
export interface ResponseTiming {
  /** nextUpdate − thisUpdate in seconds. */
  validitySeconds: number;
  /** How far thisUpdate is set before the signing time, for clients with slow clocks. */
  backdateSeconds: number;
}

/** Input for {@link signOcspResponse}. */
export interface SignRequest {
  identity: OcspSigningIdentity;
  serial: string;
  hashAlgorithm: CertIdHash;
  certStatus: CertStatus;
  now: Date;
  timing: ResponseTiming;
  nonce?: Uint8Array;
}

/**
 * Signs a response. thisUpdate is `now` (whole seconds) minus the backdate;
 * nextUpdate is thisUpdate plus the validity, but never after the signing
 * certificate expires (RFC 5019 §4: a response must not outlive it).
 */
export async function signOcspResponse(req: SignRequest): Promise<SignedOcspResponse> {
  const { identity, timing } = req;
  const producedAt = new Date(Math.floor(req.now.getTime() / 1000) * 1000);
  const thisUpdate = new Date(producedAt.getTime() - timing.backdateSeconds * 1000);
  const nextUpdate = new Date(Math.min(thisUpdate.getTime() + timing.validitySeconds * 1000, identity.notAfter.getTime()));
  const hashes = identity.issuer.hashes[req.hashAlgorithm];
  const data = responseDataDer({
    certId: { hashAlgorithm: req.hashAlgorithm, issuerNameHash: hashes.nameHash, issuerKeyHash: hashes.keyHash, serialHex: req.serial },
    certStatus: req.certStatus,
    thisUpdate,
    nextUpdate,
    producedAt,
    responderKeyHash: identity.responderKeyHash,
    ...(req.nonce === undefined ? {} : { nonce: req.nonce }),
  });
  const signature = await identity.signer.sign(data);
  const der = successfulResponse(data, identity.signatureAlgorithmDer, signature, identity.certs);
  return {
    issuerId: identity.issuer.id,
    serial: req.serial,
    hashAlgorithm: req.hashAlgorithm,
    status: req.certStatus.status,
    ...(req.certStatus.status === 'revoked' ? { revocationReason: req.certStatus.reason } : {}),
    der,
    thisUpdate,
    nextUpdate,
    producedAt,
    etag: `"${createHash('sha256').update(der).digest('hex').slice(0, 32)}"`,
    nonce: req.nonce !== undefined,
  };
}
