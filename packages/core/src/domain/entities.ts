import type { ProblemDocument } from '../errors.js';
import type { Identifier } from '../identifier.js';
import type { AccountStatus, AuthorizationStatus, ChallengeStatus, OrderStatus } from './status.js';

/** A public key in JWK form (RFC 7517), as an ACME account key. */
export type PublicJwk = Record<string, unknown> & { kty: string };

/** An ACME account (RFC 8555 §7.1.2). */
export interface Account {
  id: string;
  status: AccountStatus;
  /** The account's public key. */
  jwk: PublicJwk;
  /** RFC 7638 SHA-256 thumbprint of `jwk`, base64url; unique across accounts. */
  thumbprint: string;
  contact: string[];
  termsOfServiceAgreed: boolean;
  /** The EAB key id this account was bound to at creation (RFC 8555 §7.3.4). */
  eabKeyId?: string;
  createdAt: Date;
  /** Incremented on every change; updates are compare-and-set on it. */
  version: number;
}

/** An External Account Binding MAC key (RFC 8555 §7.3.4). */
export interface EabKey {
  keyId: string;
  /** The HMAC key bytes. Never logged. */
  hmacKey: Uint8Array;
  createdAt: Date;
  /** The account this key was bound to; a key binds at most once. */
  boundAccountId?: string;
  boundAt?: Date;
  /** Free-form label for operators. */
  label?: string;
}

/** Challenge types defined by RFC 8555 §8 and RFC 8737; others may be added. */
export type ChallengeType = 'http-01' | 'dns-01' | 'tls-alpn-01' | (string & {});

/** An ACME challenge (RFC 8555 §8). */
export interface Challenge {
  id: string;
  authorizationId: string;
  type: ChallengeType;
  status: ChallengeStatus;
  /** base64url token, at least 128 bits of entropy (RFC 8555 §8.3). */
  token: string;
  validatedAt?: Date;
  error?: ProblemDocument;
  /** What the validator observed (addresses, URLs, resolvers), for audit. */
  validationRecord?: unknown[];
  /**
   * When the challenge's current validation started (RFC 8555 §7.5.1: the
   * POST that moved it to `processing`, or a recovery that took it over);
   * absent when unknown (a validation started by code that did not record it).
   * Crash recovery on a shared database goes by it.
   */
  processingAt?: Date;
}

/** An ACME authorization (RFC 8555 §7.1.4) with its challenges. */
export interface Authorization {
  id: string;
  accountId: string;
  /** The identifier without the wildcard prefix; `wildcard` says whether one was requested. */
  identifier: Identifier;
  wildcard: boolean;
  status: AuthorizationStatus;
  expires: Date;
  challenges: Challenge[];
  createdAt: Date;
}

/** An ACME order (RFC 8555 §7.1.3). */
export interface Order {
  id: string;
  accountId: string;
  status: OrderStatus;
  /** The identifiers as requested (wildcards keep their `*.`), normalized and sorted. */
  identifiers: Identifier[];
  authorizationIds: string[];
  expires: Date;
  notBefore?: Date;
  notAfter?: Date;
  /** Issuance profile name (draft-ietf-acme-profiles). */
  profile?: string;
  /** ARI: the certificate id this order replaces (RFC 9773 §5). */
  replaces?: string;
  /** The serial (lowercase hex) of the certificate issued or being issued. */
  certificateSerial?: string;
  error?: ProblemDocument;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Where a certificate is in the write-ahead issuance pipeline:
 * `reserved` (serial taken, nothing signed), `planned` (TBS stored, about to
 * be signed), `precertificate` (precertificate signed), `issued` (final
 * certificate stored), `abandoned` (the pipeline stopped before signing; the
 * serial stays burnt).
 */
export type CertificateState = 'reserved' | 'planned' | 'precertificate' | 'issued' | 'abandoned';

/** RFC 5280 §5.3.1 CRLReason codes (7 is unused). */
export type RevocationReason = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 8 | 9 | 10;

/** A certificate's record through the pipeline and after (serial is the key). */
export interface CertificateRecord {
  /** Lowercase hex, no leading zero octets beyond what DER needs. */
  serial: string;
  issuerId: string;
  state: CertificateState;
  accountId?: string;
  orderId?: string;
  identifiers: Identifier[];
  profile?: string;
  notBefore?: Date;
  notAfter?: Date;
  /** CRL shard chosen at issuance (0 when not sharded). */
  crlShard: number;
  /** DER of the planned TBSCertificate (written before signing). */
  plannedTbs?: Uint8Array;
  precertificateDer?: Uint8Array;
  certificateDer?: Uint8Array;
  createdAt: Date;
  updatedAt: Date;
  revokedAt?: Date;
  revocationReason?: RevocationReason;
}

/** One revoked certificate, as a CRL or OCSP response needs it. */
export interface Revocation {
  serial: string;
  issuerId: string;
  revokedAt: Date;
  reason: RevocationReason;
  crlShard: number;
  notAfter?: Date;
}

/** A public key refused for issuance (RFC 8555 §7.6: revoked for keyCompromise). */
export interface BlockedKey {
  /** SHA-256 of the DER SubjectPublicKeyInfo, hex. */
  spkiSha256: string;
  reason: string;
  addedAt: Date;
  /** The serial whose revocation blocked it, if any. */
  sourceSerial?: string;
}
