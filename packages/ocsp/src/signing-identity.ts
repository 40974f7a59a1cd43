/**
 * Who signs OCSP responses for an issuer (RFC 6960 §4.2.2.2): the issuer
 * itself, or a delegated responder whose certificate the issuer signed with
 * the id-kp-OCSPSigning EKU. Both are reduced to a {@link OcspSigningIdentity}
 * once, at construction.
 */
import { createHash } from 'node:crypto';
import {
  CertwrightError,
  EKU_OIDS,
  EXTENSION_OIDS,
  algorithmIdentifierDer,
  decodeTbs,
  derReader,
  parseSpki,
  signatureAlgorithmFromDer,
  splitSigned,
  verifySignature,
  type Issuer,
  type Signer,
} from '@certwright/core';

/** A delegated OCSP responder: its certificate (issued by the CA it answers for) and its key. */
export interface DelegatedResponder {
  certificate: Uint8Array;
  signer: Signer;
}

/** The key and certificates that sign an issuer's OCSP responses. */
export interface OcspSigningIdentity {
  /** The issuer the responses are about. */
  readonly issuer: Issuer;
  readonly signer: Signer;
  /** The signature AlgorithmIdentifier DER of {@link OcspSigningIdentity.signer}. */
  readonly signatureAlgorithmDer: Uint8Array;
  /** ResponderID byKey: SHA-1 of the signer's subjectPublicKey bits (RFC 6960 §4.2.2.3). */
  readonly responderKeyHash: Uint8Array;
  /** Certificates placed in the response: the delegated certificate, or none. */
  readonly certs: readonly Uint8Array[];
  /** When the delegated certificate expires (responses must not outlive it); the issuer's notAfter otherwise. */
  readonly notAfter: Date;
}

/** The issuer signs its own responses (RFC 6960 §4.2.2.2, first case). */
export function issuerSigningIdentity(issuer: Issuer): OcspSigningIdentity {
  return Object.freeze({
    issuer,
    signer: issuer.signer,
    signatureAlgorithmDer: issuer.signatureAlgorithmDer,
    responderKeyHash: issuer.hashes.sha1.keyHash,
    certs: Object.freeze([]),
    notAfter: issuer.notAfter,
  });
}

function bad(issuer: Issuer, rule: string): CertwrightError {
  return new CertwrightError('serverInternal', `delegated OCSP responder for issuer ${issuer.id}: ${rule}`);
}

/**
 * Checks a delegated responder certificate against `issuer` and returns its
 * identity: issued (name and signature) by `issuer`, carrying the
 * id-kp-OCSPSigning EKU (RFC 6960 §4.2.2.2) and the signer's public key.
 * Errors are `serverInternal` naming the rule.
 */
export async function delegatedSigningIdentity(issuer: Issuer, delegated: DelegatedResponder): Promise<OcspSigningIdentity> {
  const parts = splitSigned(delegated.certificate);
  const tbs = decodeTbs(parts.tbs);
  if (Buffer.compare(Buffer.from(tbs.issuer), Buffer.from(issuer.subjectDer)) !== 0) throw bad(issuer, "certificate's issuer name is not the issuer's subject");
  const algorithm = signatureAlgorithmFromDer(parts.signatureAlgorithm);
  if (algorithm === undefined || !(await verifySignature(issuer.spki, algorithm, parts.tbs, parts.signature))) {
    throw bad(issuer, "certificate's signature does not verify with the issuer's key");
  }
  const eku = tbs.extensions.find((e) => e.oid === EXTENSION_OIDS.extKeyUsage);
  const purposes = eku === undefined ? [] : derReader.children(derReader.readSingle(eku.value)).map((t) => derReader.readOid(t));
  if (!purposes.includes(EKU_OIDS.ocspSigning)) throw bad(issuer, 'certificate lacks the id-kp-OCSPSigning extended key usage');
  if (Buffer.compare(Buffer.from(delegated.signer.publicKeySpki), Buffer.from(tbs.spki)) !== 0) {
    throw bad(issuer, "signer public key does not match the certificate's subjectPublicKeyInfo");
  }
  const keyBits = parseSpki(tbs.spki).subjectPublicKey;
  return Object.freeze({
    issuer,
    signer: delegated.signer,
    signatureAlgorithmDer: algorithmIdentifierDer(delegated.signer.algorithm),
    responderKeyHash: new Uint8Array(createHash('sha1').update(keyBits).digest()),
    certs: Object.freeze([delegated.certificate]),
    notAfter: tbs.notAfter,
  });
}
