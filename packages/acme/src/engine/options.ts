import type { AccountStore, CertificateRecord, CertificateStore, Clock, IdentifierPolicy, IssuanceEngine, Logger, NonceStore, OrderStore, Random, WriteAheadIssuanceEngine } from '@certwright/core';
import type { RateLimiter } from '../ratelimit/index.js';
import type { JwsAlgorithm } from '../jws/index.js';
import type { Validator } from './validator.js';
import type { CaaRecheckOptions } from '../validation/caa-recheck.js';

/** The store roles the ACME engine uses. */
export type AcmeStore = AccountStore & OrderStore & CertificateStore & NonceStore;

/** An issuance profile offered to clients (draft-ietf-acme-profiles), with the limits the engine enforces on orders. */
export interface AcmeProfileOffer {
  readonly name: string;
  /** Shown in the directory's `meta.profiles`. */
  readonly description: string;
  /**
   * The longest validity a client may ask for with `notBefore`/`notAfter`
   * (RFC 8555 §7.4), in seconds. When absent, the issuance engine alone
   * judges requested validity.
   */
  readonly maxValiditySeconds?: number;
}

/** The chains to serve with a certificate of one issuer (RFC 8555 §7.4.2). */
export interface IssuerChains {
  /** The default chain, nearest issuer first (the leaf not included). */
  readonly chain: readonly Uint8Array[];
  /** Alternate chains, served at their own URLs and linked with `rel="alternate"`. */
  readonly alternateChains: readonly (readonly Uint8Array[])[];
}

/** Directory `meta` (RFC 8555 §7.1.1). */
export interface AcmeMeta {
  readonly termsOfService?: string;
  readonly website?: string;
  readonly caaIdentities?: readonly string[];
  /** Require External Account Binding on newAccount (RFC 8555 §7.3.4). */
  readonly externalAccountRequired?: boolean;
}

/** Lifetimes, in milliseconds. */
export interface AcmeLifetimes {
  /** How long a new order may take before it expires. */
  readonly order: number;
  /** How long an authorization stays usable, counted from its creation (valid authorizations included). */
  readonly authorization: number;
  /** How long an authorization may stay pending before it expires. */
  readonly pendingAuthorization: number;
  /** How long an issued nonce stays redeemable. */
  readonly nonce: number;
}

/** Options of crash recovery ({@link AcmeServer.recover}). */
export interface AcmeRecoveryOptions {
  /** An order `processing` for longer than this (since its last update) is taken as interrupted. Default 10 minutes. */
  readonly processingTimeoutMs?: number;
  /**
   * A challenge `processing` for longer than this (since its validation
   * started: the client's POST, RFC 8555 §7.5.1) is taken as interrupted and
   * validated again by `recover()`. It must exceed `validationTimeoutMs`
   * plus the time recording an outcome may wait for an unavailable store
   * (about ten minutes). Default: `validationTimeoutMs` plus 20 minutes.
   * Challenges whose start was not recorded (started by code before schema
   * version 3) are left alone.
   */
  readonly validationProcessingTimeoutMs?: number;
  /** Orders, and challenges, handled per `recover()` call. Default 100. */
  readonly batchSize?: number;
  /**
   * Completes planned certificates from their write-ahead record. Default:
   * the `issuance` engine when it has `recover` (as `createIssuanceEngine`'s
   * does). Without it, an order whose certificate was only planned is
   * marked invalid and the planned record stays as it is (revocable).
   */
  readonly issuance?: Pick<WriteAheadIssuanceEngine, 'recover'>;
  /**
   * The certificate record of an order. The store has no lookup by order
   * id; the default scans `listCertificatesByState` (least recently updated
   * first) for up to `certificateScanLimit` records, which suits stores of
   * modest size. Give an indexed lookup for large stores.
   */
  readonly findCertificateByOrder?: (orderId: string) => Promise<CertificateRecord | undefined>;
  /** Records the default lookup reads per state. Default 10,000. */
  readonly certificateScanLimit?: number;
}

/** Options of {@link createAcmeServer}; every dependency is passed in by hand. */
export interface AcmeServerOptions {
  /** External base URL, e.g. `https://ca.example/acme`; every resource URL is under it. No trailing slash needed. */
  readonly baseUrl: string;
  readonly store: AcmeStore;
  /**
   * Where anti-replay nonces live (RFC 8555 §7.2). Default: the `store`'s
   * nonce role, shared by every instance on that database (two writes per
   * request: issue and redeem). When one process serves the API, a
   * `MemoryNonceStore` from `@certwright/core` saves both; nonces then do
   * not survive a restart, and clients retry once on the resulting
   * `badNonce` (RFC 8555 §6.5).
   */
  readonly nonceStore?: NonceStore;
  readonly issuance: IssuanceEngine;
  /** The chains to serve for certificates of an issuer; `undefined` for an unknown issuer. */
  readonly chains: (issuerId: string) => IssuerChains | undefined;
  readonly identifierPolicy: IdentifierPolicy;
  readonly validators: readonly Validator[];
  /**
   * Recheck CAA at finalize (RFC 8659 §3): every identifier whose validation
   * is older than `maxAgeMs` is rechecked, each on its own — not the first
   * one N times, the bug behind Let's Encrypt's 2020 mass revocation. A
   * failure refuses the finalize with one `caa` subproblem per identifier.
   * Absent: no recheck (validators that check CAA still do so when
   * validating).
   */
  readonly caaRecheck?: { readonly maxAgeMs: number } & Omit<CaaRecheckOptions, 'accountUri'>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: Random;
  /** Profiles offered; when given, `defaultProfile` must name one of them. */
  readonly profiles?: readonly AcmeProfileOffer[];
  readonly defaultProfile?: string;
  readonly meta?: AcmeMeta;
  readonly lifetimes: AcmeLifetimes;
  /** Reuse a valid authorization of the same account that stays valid at least `minRemainingMs` longer. */
  readonly authorizationReuse: { readonly enabled: boolean; readonly minRemainingMs: number };
  /** Offer `newAuthz` (RFC 8555 §7.4.1). */
  readonly preAuthorization: boolean;
  readonly allowedAlgorithms?: readonly JwsAlgorithm[];
  readonly allowEdDsa?: boolean;
  /** The MAC key of an EAB key id; defaults to the store's `getEabKey`. */
  readonly lookupMacKey?: (keyId: string) => Promise<Uint8Array | undefined>;
  /** Orders per page of an account's `orders` list (default 50). */
  readonly ordersPageSize?: number;
  /** How long one validation may run before it fails with `connection` (default 60 s). */
  readonly validationTimeoutMs?: number;
  /**
   * How long a finalize request waits for its certificate before answering
   * (default 0: answer at once with the `processing` order and
   * `Retry-After`). When issuance ends within the wait, the response is
   * already the `valid` order with its `certificate` URL (or the `invalid`
   * one), which RFC 8555 §7.4 allows, and the client needs no poll; when it
   * does not, the response is `processing` as usual and issuance goes on.
   */
  readonly finalizeWaitMs?: number;
  /**
   * How long a challenge POST that starts a validation waits for it before
   * answering (default 0: answer at once with the `processing` challenge and
   * `Retry-After`). When the validation ends within the wait, the response is
   * already the challenge as it ended (`valid`, or `invalid` with its error),
   * which RFC 8555 §7.5.1 allows, and the client's first poll of the
   * authorization finds it settled; when it does not, the response is
   * `processing` as usual and the validation goes on.
   */
  readonly challengeWaitMs?: number;
  /** Seconds advertised in `Retry-After` on processing orders and challenges (default 3). */
  readonly retryAfterSeconds?: number;
  /** Seconds advertised in `Retry-After` on renewalInfo responses (default 21,600: six hours). */
  readonly renewalInfoRetryAfterSeconds?: number;
  /** Rate limits (new accounts per address, new orders per account, failed validations, certificates per domain); none when absent. */
  readonly rateLimiter?: RateLimiter;
  /** Crash recovery of orders left `processing` (see {@link AcmeRecoveryOptions}). */
  readonly recovery?: AcmeRecoveryOptions;
}
