import type { Identifier } from '../identifier.js';

/**
 * What a caller (the ACME finalize handler, an admin tool) asks the issuance
 * engine for. The CSR is checked against `identifiers`, the key policy and
 * the profile by {@link IssuanceEngine.prepare}.
 */
export interface IssuanceRequest {
  /** The PKCS#10 request, DER (RFC 2986); ACME finalize carries it base64url-encoded (RFC 8555 §7.4). */
  csrDer: Uint8Array;
  /** The order's identifiers, already normalized by the identifier policy. */
  identifiers: Identifier[];
  /** Issuance profile name; the engine's default profile when absent. */
  profile?: string;
  /** Requested validity (RFC 8555 §7.1.3), checked against the profile. */
  notBefore?: Date;
  notAfter?: Date;
  accountId?: string;
  orderId?: string;
  /** The account's key as DER SPKI: the CSR key must differ from it (RFC 8555 §11.1). */
  accountKeySpki?: Uint8Array;
}

/**
 * A request that passed every check that does not need signing: the CSR is
 * well-formed and self-signed, names exactly the order's identifiers, its key
 * passes the key policy and the profile allows its type. Opaque to callers;
 * pass it to {@link IssuanceEngine.issue}.
 */
export interface PreparedIssuance {
  readonly request: IssuanceRequest;
  readonly profileName: string;
  /** The leaf public key (DER SPKI, exactly as in the CSR). */
  readonly subjectPublicKeyInfo: Uint8Array;
  /** Key type of the leaf key (`P-256`, `RSA-2048`, …). */
  readonly keyType: string;
  /** The CN the certificate will carry, if the profile keeps one. */
  readonly commonName: string | undefined;
}

/** An issued certificate and the chains to serve with it (RFC 8555 §7.4.2). */
export interface IssuedCertificate {
  /** Lowercase hex of the serial's DER content octets. */
  serial: string;
  issuerId: string;
  certificateDer: Uint8Array;
  /** Issuer chain for the default path, nearest first (the leaf not included). */
  chain: Uint8Array[];
  /** Alternate issuer chains (RFC 8555 §7.4.2 `Link: rel="alternate"`). */
  alternateChains: Uint8Array[][];
  notBefore: Date;
  notAfter: Date;
}

/** The write-ahead issuance engine (see docs/issuance.md). */
export interface IssuanceEngine {
  /**
   * Checks an issuance request without signing or writing anything. Throws
   * `CertwrightError` with `badCSR`, `badKey`/`badPublicKey`,
   * `rejectedIdentifier` or `invalidProfile` naming the rule that failed.
   */
  prepare(request: IssuanceRequest): Promise<PreparedIssuance>;
  /**
   * Issues a prepared request through the write-ahead pipeline: reserve
   * serial → build TBS → lint → store planned → sign → verify → store
   * issued. Nothing signed is ever unknown to the store.
   */
  issue(prepared: PreparedIssuance): Promise<IssuedCertificate>;
}
