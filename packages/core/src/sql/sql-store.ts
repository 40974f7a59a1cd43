import type { Kysely } from 'kysely';
import type { Identifier } from '../identifier.js';
import type { AuthorizationStatus, ChallengeStatus, OrderStatus } from '../domain/status.js';
import type {
  Account,
  Authorization,
  BlockedKey,
  CertificateRecord,
  CertificateState,
  Challenge,
  EabKey,
  Order,
  Revocation,
  RevocationReason,
} from '../domain/entities.js';
import type {
  AccountChanges,
  BucketState,
  ChallengeChanges,
  CrlScope,
  NewAccount,
  NewAuthorization,
  NewOrder,
  OrderChanges,
  Page,
  PlannedCertificate,
  PurgeResult,
  SerialReservation,
  Store,
  StoredBucket,
} from '../store/types.js';
import { SqlAccountStore } from './accounts.js';
import { SqlCertificateStore } from './certificates.js';
import { SqlContext } from './context.js';
import { SqlCrlNumberStore } from './crl-numbers.js';
import type { SqlDialectName } from './dialect.js';
import { migrateToLatest, schemaVersion } from './migrate.js';
import type { MigrationOutcome } from './migrate.js';
import { SqlNonceStore } from './nonces.js';
import { SqlOrderStore } from './orders.js';
import { SqlRateLimitStore } from './rate-limits.js';
import { SqlRetentionStore } from './retention.js';
import type { Schema } from './schema.js';

/**
 * The certwright {@link Store} over SQLite, PostgreSQL or MariaDB/MySQL
 * through kysely. Each role lives in its own class (accounts, orders,
 * certificates, nonces, retention, rate-limit buckets, CRL numbers); this object puts them behind the one
 * `Store` interface and adds schema management. Create it with
 * `openSqlStore`, then call {@link SqlStore.migrate} (or migrate separately
 * with `scripts/migrate.mjs`) before use.
 */
export class SqlStore implements Store {
  /** The dialect this store speaks. */
  readonly dialect: SqlDialectName;
  readonly #ctx: SqlContext;
  readonly #ownsDb: boolean;
  readonly #accounts: SqlAccountStore;
  readonly #orders: SqlOrderStore;
  readonly #certificates: SqlCertificateStore;
  readonly #nonces: SqlNonceStore;
  readonly #retention: SqlRetentionStore;
  readonly #rateLimits: SqlRateLimitStore;
  readonly #crlNumbers: SqlCrlNumberStore;

  /**
   * @param db the Kysely instance to query
   * @param dialect its SQL dialect
   * @param ownsDb whether {@link SqlStore.close} destroys `db` (true when the store opened it)
   * @param options `groupCommit`: SQLite transactions that arrive together share one durable commit (see `GroupCommit`)
   */
  constructor(db: Kysely<Schema>, dialect: SqlDialectName, ownsDb: boolean, options: { groupCommit?: boolean } = {}) {
    this.dialect = dialect;
    this.#ctx = new SqlContext(db, dialect, options);
    this.#ownsDb = ownsDb;
    this.#accounts = new SqlAccountStore(this.#ctx);
    this.#orders = new SqlOrderStore(this.#ctx);
    this.#certificates = new SqlCertificateStore(this.#ctx);
    this.#nonces = new SqlNonceStore(this.#ctx);
    this.#retention = new SqlRetentionStore(this.#ctx);
    this.#rateLimits = new SqlRateLimitStore(this.#ctx);
    this.#crlNumbers = new SqlCrlNumberStore(this.#ctx);
  }

  /**
   * The Kysely instance underneath, for diagnostics and for a host's own
   * read queries. Writes through it bypass the store's compare-and-set rules.
   */
  get db(): Kysely<Schema> {
    return this.#ctx.db;
  }

  /** Durable commits made so far when SQLite group commit is on (see `SqlUrlOptions.sqliteGroupCommit`); undefined otherwise. */
  get groupCommits(): number | undefined {
    return this.#ctx.groupCommits;
  }

  /** Migrates the schema to the latest version this code knows (see `migrateToLatest`). */
  async migrate(): Promise<MigrationOutcome> {
    await this.#ctx.flush();
    return migrateToLatest(this.#ctx.open() as Kysely<unknown>, this.dialect);
  }

  /** The database's schema version (0 before the first migration). */
  async schemaVersion(): Promise<number> {
    return schemaVersion(this.#ctx.open() as Kysely<unknown>);
  }

  /** Releases the connections if this store opened them (a host's own Kysely is left open); later calls throw `serverInternal`. */
  async close(): Promise<void> {
    await this.#ctx.flush();
    this.#ctx.markClosed();
    if (this.#ownsDb) await this.#ctx.db.destroy();
  }

  // ---- AccountStore ----

  /** @inheritdoc */
  createAccount(account: NewAccount): Promise<Account> {
    return this.#accounts.createAccount(account);
  }
  /** @inheritdoc */
  getAccount(id: string): Promise<Account | undefined> {
    return this.#accounts.getAccount(id);
  }
  /** @inheritdoc */
  getAccountByThumbprint(thumbprint: string): Promise<Account | undefined> {
    return this.#accounts.getAccountByThumbprint(thumbprint);
  }
  /** @inheritdoc */
  updateAccount(id: string, expectedVersion: number, changes: AccountChanges): Promise<Account | undefined> {
    return this.#accounts.updateAccount(id, expectedVersion, changes);
  }
  /** @inheritdoc */
  createEabKey(key: Omit<EabKey, 'boundAccountId' | 'boundAt'>): Promise<EabKey> {
    return this.#accounts.createEabKey(key);
  }
  /** @inheritdoc */
  getEabKey(keyId: string): Promise<EabKey | undefined> {
    return this.#accounts.getEabKey(keyId);
  }
  /** @inheritdoc */
  listEabKeys(): Promise<EabKey[]> {
    return this.#accounts.listEabKeys();
  }
  /** @inheritdoc */
  deleteEabKey(keyId: string): Promise<boolean> {
    return this.#accounts.deleteEabKey(keyId);
  }

  // ---- OrderStore ----

  /** @inheritdoc */
  createOrder(order: NewOrder, newAuthorizations: NewAuthorization[], reusedAuthorizationIds: string[]): Promise<Order> {
    return this.#orders.createOrder(order, newAuthorizations, reusedAuthorizationIds);
  }
  /** @inheritdoc */
  getOrder(id: string): Promise<Order | undefined> {
    return this.#orders.getOrder(id);
  }
  /** @inheritdoc */
  listOrdersByAccount(accountId: string, options: { limit: number; cursor?: string }): Promise<Page<Order>> {
    return this.#orders.listOrdersByAccount(accountId, options);
  }
  /** @inheritdoc */
  transitionOrder(id: string, from: OrderStatus | readonly OrderStatus[], to: OrderStatus, changes: OrderChanges): Promise<Order | undefined> {
    return this.#orders.transitionOrder(id, from, to, changes);
  }
  /** @inheritdoc */
  listOrdersByStatus(status: OrderStatus, options: { updatedBefore: Date; limit: number }): Promise<Order[]> {
    return this.#orders.listOrdersByStatus(status, options);
  }
  /** @inheritdoc */
  getOrderByCertificateSerial(serial: string): Promise<Order | undefined> {
    return this.#orders.getOrderByCertificateSerial(serial);
  }
  /** @inheritdoc */
  findOrderReplacing(certId: string): Promise<Order | undefined> {
    return this.#orders.findOrderReplacing(certId);
  }
  /** @inheritdoc */
  listPendingOrdersByAuthorization(authorizationId: string, limit: number): Promise<Order[]> {
    return this.#orders.listPendingOrdersByAuthorization(authorizationId, limit);
  }
  /** @inheritdoc */
  getAuthorization(id: string): Promise<Authorization | undefined> {
    return this.#orders.getAuthorization(id);
  }
  /** @inheritdoc */
  getAuthorizations(ids: readonly string[]): Promise<Authorization[]> {
    return this.#orders.getAuthorizations(ids);
  }
  /** @inheritdoc */
  findReusableAuthorization(accountId: string, identifier: Identifier, wildcard: boolean, validUntil: Date): Promise<Authorization | undefined> {
    return this.#orders.findReusableAuthorization(accountId, identifier, wildcard, validUntil);
  }
  /** @inheritdoc */
  transitionAuthorization(
    id: string,
    from: AuthorizationStatus | readonly AuthorizationStatus[],
    to: AuthorizationStatus,
  ): Promise<Authorization | undefined> {
    return this.#orders.transitionAuthorization(id, from, to);
  }
  /** @inheritdoc */
  createAuthorization(authorization: NewAuthorization): Promise<Authorization> {
    return this.#orders.createAuthorization(authorization);
  }
  /** @inheritdoc */
  getChallenge(id: string): Promise<Challenge | undefined> {
    return this.#orders.getChallenge(id);
  }
  /** @inheritdoc */
  listChallengesByStatus(status: ChallengeStatus, options: { limit: number; processingBefore?: Date }): Promise<Challenge[]> {
    return this.#orders.listChallengesByStatus(status, options);
  }
  /** @inheritdoc */
  reclaimChallenge(id: string, startedAt: Date | undefined, processingAt: Date): Promise<Challenge | undefined> {
    return this.#orders.reclaimChallenge(id, startedAt, processingAt);
  }
  /** @inheritdoc */
  transitionChallenge(
    id: string,
    from: ChallengeStatus | readonly ChallengeStatus[],
    to: ChallengeStatus,
    changes?: ChallengeChanges,
  ): Promise<Challenge | undefined> {
    return this.#orders.transitionChallenge(id, from, to, changes);
  }

  // ---- CertificateStore ----

  /** @inheritdoc */
  reserveSerial(reservation: SerialReservation): Promise<CertificateRecord> {
    return this.#certificates.reserveSerial(reservation);
  }
  /** @inheritdoc */
  recordPlanned(serial: string, planned: PlannedCertificate): Promise<CertificateRecord | undefined> {
    return this.#certificates.recordPlanned(serial, planned);
  }
  /** @inheritdoc */
  recordPrecertificate(serial: string, der: Uint8Array, at: Date): Promise<CertificateRecord | undefined> {
    return this.#certificates.recordPrecertificate(serial, der, at);
  }
  /** @inheritdoc */
  recordIssued(serial: string, der: Uint8Array, at: Date): Promise<CertificateRecord | undefined> {
    return this.#certificates.recordIssued(serial, der, at);
  }
  /** @inheritdoc */
  recordAbandoned(serial: string, at: Date): Promise<CertificateRecord | undefined> {
    return this.#certificates.recordAbandoned(serial, at);
  }
  /** @inheritdoc */
  getCertificate(serial: string): Promise<CertificateRecord | undefined> {
    return this.#certificates.getCertificate(serial);
  }
  /** @inheritdoc */
  listCertificatesByState(states: readonly CertificateState[], options: { updatedBefore: Date; limit: number }): Promise<CertificateRecord[]> {
    return this.#certificates.listCertificatesByState(states, options);
  }
  /** @inheritdoc */
  listCertificatesByIssuer(issuerId: string, options: { notAfterFrom: Date; limit: number; cursor?: string }): Promise<Page<CertificateRecord>> {
    return this.#certificates.listCertificatesByIssuer(issuerId, options);
  }
  /** @inheritdoc */
  revoke(serial: string, reason: RevocationReason, revokedAt: Date): Promise<Revocation | undefined> {
    return this.#certificates.revoke(serial, reason, revokedAt);
  }
  /** @inheritdoc */
  updateRevocationReason(serial: string, from: RevocationReason, to: RevocationReason): Promise<Revocation | undefined> {
    return this.#certificates.updateRevocationReason(serial, from, to);
  }
  /** @inheritdoc */
  listRevocations(issuerId: string, options: { shard?: number; notAfterFrom: Date }): Promise<Revocation[]> {
    return this.#certificates.listRevocations(issuerId, options);
  }
  /** @inheritdoc */
  addBlockedKey(key: BlockedKey): Promise<void> {
    return this.#certificates.addBlockedKey(key);
  }
  /** @inheritdoc */
  getBlockedKey(spkiSha256: string): Promise<BlockedKey | undefined> {
    return this.#certificates.getBlockedKey(spkiSha256);
  }

  // ---- NonceStore ----

  /** @inheritdoc */
  issueNonce(value: string, expires: Date): Promise<void> {
    return this.#nonces.issueNonce(value, expires);
  }

  /** @inheritdoc */
  issueNonces(values: readonly string[], expires: Date): Promise<void> {
    return this.#nonces.issueNonces(values, expires);
  }

  /** @inheritdoc */
  redeemNonce(value: string, now: Date): Promise<boolean> {
    return this.#nonces.redeemNonce(value, now);
  }

  // ---- RetentionStore ----

  /** @inheritdoc */
  purgeExpired(before: Date, batchSize: number): Promise<PurgeResult> {
    return this.#retention.purgeExpired(before, batchSize);
  }

  // ---- RateLimitStore (schema version 2) ----

  /** @inheritdoc */
  getBucket(key: string): Promise<StoredBucket | undefined> {
    return this.#rateLimits.getBucket(key);
  }
  /** @inheritdoc */
  compareAndSetBucket(key: string, expectedVersion: number | undefined, next: BucketState & { readonly fullAtMs: number }): Promise<boolean> {
    return this.#rateLimits.compareAndSetBucket(key, expectedVersion, next);
  }
  /** @inheritdoc */
  purgeFullBuckets(beforeMs: number, limit: number): Promise<number> {
    return this.#rateLimits.purgeFullBuckets(beforeMs, limit);
  }

  // ---- CrlNumberStore (schema version 2) ----

  /** @inheritdoc */
  nextCrlNumber(scope: CrlScope): Promise<bigint> {
    return this.#crlNumbers.nextCrlNumber(scope);
  }
  /** @inheritdoc */
  currentCrlNumber(scope: CrlScope): Promise<bigint> {
    return this.#crlNumbers.currentCrlNumber(scope);
  }
}
