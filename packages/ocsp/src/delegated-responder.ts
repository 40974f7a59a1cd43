/**
 * Creates a delegated OCSP responder certificate (RFC 6960 §4.2.2.2): a
 * short-lived end-entity certificate issued by the CA, with the
 * id-kp-OCSPSigning EKU and id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), so
 * the CA key itself stays offline (or in its HSM) for OCSP.
 */
import {
  CertwrightError,
  EKU_OIDS,
  basicConstraintsExtension,
  caSerial,
  der,
  encodeName,
  encodeTbs,
  extKeyUsageExtension,
  generateSoftwareSigner,
  keyIdentifier,
  keyUsageExtension,
  signTbs,
  staticExtension,
  subjectKeyIdentifierExtension,
  type CertKeyType,
  type Clock,
  type Issuer,
  type NameAttribute,
  type Random,
  type Signer,
} from '@certwright/core';
import { OCSP_OIDS } from './oids.js';
import type { DelegatedResponder } from './signing-identity.js';

/** Options for {@link createDelegatedResponder}. */
export interface DelegatedResponderOptions {
  /** The CA the responder answers for; it signs the responder certificate. */
  issuer: Issuer;
  /** A key type to generate in software, or an existing signer (e.g. an HSM key). */
  keyType?: CertKeyType;
  signer?: Signer;
  /** Subject of the responder certificate (default CN `<issuer id> OCSP Responder`). */
  subject?: readonly NameAttribute[];
  /** Lifetime in seconds (notAfter inclusive); keep it short, the certificate cannot be revoked usefully (nocheck). */
  validitySeconds: number;
  /** How far notBefore is set before now (default one hour). */
  backdateSeconds?: number;
  clock: Clock;
  random: Random;
}

/** The id-pkix-ocsp-nocheck extension: non-critical, value NULL (RFC 6960 §4.2.2.2.1). */
export const OCSP_NOCHECK_EXTENSION: Uint8Array = staticExtension(OCSP_OIDS.noCheck, false, der.NULL_DER);

/**
 * Issues a delegated responder certificate under `options.issuer` and
 * returns it with its signer: keyUsage digitalSignature (critical),
 * basicConstraints cA FALSE (critical), EKU id-kp-OCSPSigning, ocsp-nocheck,
 * SKI and AKI. Refuses a lifetime that would end after the issuer's.
 */
export async function createDelegatedResponder(options: DelegatedResponderOptions): Promise<DelegatedResponder> {
  const { issuer } = options;
  if (!Number.isInteger(options.validitySeconds) || options.validitySeconds < 1) {
    throw new CertwrightError('serverInternal', 'delegated OCSP responder: validitySeconds must be a positive integer');
  }
  const backdate = options.backdateSeconds ?? 3600;
  if (!Number.isInteger(backdate) || backdate < 0) throw new CertwrightError('serverInternal', 'delegated OCSP responder: backdateSeconds must be a non-negative integer');
  if ((options.signer === undefined) === (options.keyType === undefined)) {
    throw new CertwrightError('serverInternal', 'delegated OCSP responder: give exactly one of keyType and signer');
  }
  const signer = options.signer ?? (await generateSoftwareSigner(options.keyType!));
  const notBefore = new Date(Math.floor(options.clock.now().getTime() / 1000) * 1000 - backdate * 1000);
  const notAfter = new Date(notBefore.getTime() + (options.validitySeconds - 1) * 1000);
  if (notAfter.getTime() > issuer.notAfter.getTime()) {
    throw new CertwrightError('serverInternal', `delegated OCSP responder: notAfter ${notAfter.toISOString()} would be after issuer ${issuer.id} notAfter ${issuer.notAfter.toISOString()}`);
  }
  const tbs = encodeTbs({
    serial: caSerial(options.random),
    signatureAlgorithm: issuer.signatureAlgorithmDer,
    issuer: issuer.subjectDer,
    notBefore,
    notAfter,
    subject: encodeName(options.subject ?? [{ type: 'CN', value: `${issuer.id} OCSP Responder` }]),
    spki: signer.publicKeySpki,
    extensions: [
      basicConstraintsExtension({ ca: false }),
      keyUsageExtension(['digitalSignature']),
      extKeyUsageExtension([EKU_OIDS.ocspSigning]),
      OCSP_NOCHECK_EXTENSION,
      subjectKeyIdentifierExtension(keyIdentifier(signer.publicKeySpki)),
      issuer.akiExtension,
    ],
  });
  const certificate = await signTbs(tbs, issuer.signatureAlgorithmDer, issuer.signer);
  return { certificate, signer };
}
