import { CertwrightError } from '../errors.js';
import { identifierKey, type Identifier } from '../identifier.js';
import {
  ACCOUNT_TRANSITIONS,
  AUTHORIZATION_TRANSITIONS,
  CHALLENGE_TRANSITIONS,
  ORDER_TRANSITIONS,
  type AuthorizationStatus,
  type ChallengeStatus,
  type OrderStatus,
} from '../domain/status.js';
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
import { decodeOrderCursor, decodeSerialCursor, orderCursor, serialCursor } from './page-cursor.js';
import { checkNewOrderIds, linkOrderAuthorizations } from './order-links.js';
import {
  duplicateKey,
  eabKeyAlreadyBound,
  reRevocationNotKeyCompromise,
  serialInUse,
  thumbprintInUse,
  unknownEabKey,
  unknownReusedAuthorization,
} from './store-errors.js';
import { checkTransitionRequest } from './transition-guard.js';
import { MemoryRateLimitStore } from './memory-rate-limit.js';
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
} from './types.js';

/**
 * Deep copy of stored data: plain objects (keys whose value is `undefined`
 * are dropped), arrays, `Date`s and byte arrays are copied; other values
 * (strings, numbers, booleans) are immutable and returned as they are.
 */
function copy<T>(value: T): T {
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (value instanceof Uint8Array) return new Uint8Array(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => copy(v)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = copy(v);
    return out as T;
  }
  return value;
}

/** An authorization as stored: its challenges live in their own table, linked by id in creation order. */
type StoredAuthorization = Omit<Authorization, 'challenges'> & { challengeIds: string[] };

/** Certificate states a revocation applies to: something may have been signed. */
const REVOCABLE: readonly CertificateState[] = ['planned', 'precertificate', 'issued'];
/** Certificate states listed per issuer (for CRLs and OCSP): planned or later, never abandoned. */
const LISTED_BY_ISSUER: readonly CertificateState[] = ['planned', 'precertificate', 'issued'];
/** RFC 5280 §5.3.1 keyCompromise, the only reason a re-revocation may set. */
const KEY_COMPROMISE: RevocationReason = 1;

/**
 * An in-memory {@link Store} for tests and for embedding where persistence
 * is not needed. It keeps every promise of the store interfaces and passes
 * the same contract suite as the SQL store:
 *
 * - Data is copied on the way in and out (including `Date`s and byte arrays):
 *   no caller can change stored state through an object it passed or got.
 * - Every state change checks and writes in one synchronous step, so
 *   concurrent callers see compare-and-set semantics: of racing transitions,
 *   nonce redemptions, serial reservations or account creations, one wins.
 * - Transitions follow the RFC 8555 §7.1.6 status machines
 *   (`../domain/status.ts`). A request whose `from → to` the machine forbids
 *   throws `conflict` before any row is read (it is a bug, not a race); a row
 *   whose status is not one of `from` makes the transition return
 *   `undefined`. Account status changes in `updateAccount` are checked
 *   against the account machine (`conflict`); setting the current status
 *   again is allowed.
 * - `createOrder` validates everything (ids unused, reused authorizations
 *   known, every identifier matched by exactly one authorization of the
 *   account) before writing anything.
 * - Paging: orders newest first (creation time, then id, descending);
 *   certificates by serial ascending (string order of the lowercase hex);
 *   cursors are opaque (`./page-cursor.ts`).
 * - Challenges of an authorization are returned in creation order.
 * - Nonces are redeemable while `now < expires`; a redemption attempt
 *   removes the nonce whether or not it had expired.
 * - Re-revocation (`updateRevocationReason`) may only set keyCompromise
 *   (`badRevocationReason` otherwise), keeps `revokedAt`, and returns
 *   `undefined` unless the current reason is `from` and not already
 *   keyCompromise.
 * - `addBlockedKey` keeps the first entry for a key.
 * - Rate-limit buckets are compare-and-set on their version; CRL numbers
 *   count up per issuer and shard from 1.
 * - Listings without a specified order (`listEabKeys`, `listRevocations`)
 *   return EAB keys by key id and revocations by serial; `listOrdersByStatus`
 *   and `listCertificatesByState` return the least recently updated first.
 * - After {@link MemoryStore.close} every call throws `serverInternal`.
 */
export class MemoryStore implements Store {
  readonly #accounts = new Map<string, Account>();
  readonly #accountByThumbprint = new Map<string, string>();
  readonly #eabKeys = new Map<string, EabKey>();
  readonly #orders = new Map<string, Order>();
  readonly #authorizations = new Map<string, StoredAuthorization>();
  readonly #challenges = new Map<string, Challenge>();
  readonly #certificates = new Map<string, CertificateRecord>();
  readonly #blockedKeys = new Map<string, BlockedKey>();
  readonly #nonces = new Map<string, number>();
  readonly #buckets = new MemoryRateLimitStore();
  /** Last CRL number handed out, by `<issuerId>/<shard>`. */
  readonly #crlNumbers = new Map<string, bigint>();
  #closed = false;

  #open(): void {
    if (this.#closed) throw new CertwrightError('serverInternal', 'The memory store is closed');
  }

  // ---- accounts (RFC 8555 §7.3) ----

  /** @inheritdoc */
  async createAccount(account: NewAccount): Promise<Account> {
    this.#open();
    if (this.#accountByThumbprint.has(account.thumbprint)) throw thumbprintInUse(account.thumbprint);
    if (this.#accounts.has(account.id)) throw duplicateKey('account', account.id);
    let eab: EabKey | undefined;
    if (account.eabKeyId !== undefined) {
      eab = this.#eabKeys.get(account.eabKeyId);
      if (eab === undefined) throw unknownEabKey(account.eabKeyId);
      if (eab.boundAccountId !== undefined) throw eabKeyAlreadyBound(account.eabKeyId);
    }
    const stored: Account = copy({
      id: account.id,
      status: 'valid',
      jwk: account.jwk,
      thumbprint: account.thumbprint,
      contact: account.contact,
      termsOfServiceAgreed: account.termsOfServiceAgreed,
      eabKeyId: account.eabKeyId,
      createdAt: account.createdAt,
      version: 1,
    });
    if (eab !== undefined) {
      this.#eabKeys.set(eab.keyId, { ...eab, boundAccountId: stored.id, boundAt: copy(account.createdAt) });
    }
    this.#accounts.set(stored.id, stored);
    this.#accountByThumbprint.set(stored.thumbprint, stored.id);
    return copy(stored);
  }

  /** @inheritdoc */
  async getAccount(id: string): Promise<Account | undefined> {
    this.#open();
    return copy(this.#accounts.get(id));
  }

  /** @inheritdoc */
  async getAccountByThumbprint(thumbprint: string): Promise<Account | undefined> {
    this.#open();
    const id = this.#accountByThumbprint.get(thumbprint);
    return id === undefined ? undefined : copy(this.#accounts.get(id));
  }

  /** @inheritdoc */
  async updateAccount(id: string, expectedVersion: number, changes: AccountChanges): Promise<Account | undefined> {
    this.#open();
    const current = this.#accounts.get(id);
    if (current === undefined || current.version !== expectedVersion) return undefined;
    if (changes.status !== undefined && changes.status !== current.status) {
      checkTransitionRequest('account', ACCOUNT_TRANSITIONS, current.status, changes.status);
    }
    if (changes.thumbprint !== undefined && changes.thumbprint !== current.thumbprint) {
      const owner = this.#accountByThumbprint.get(changes.thumbprint);
      if (owner !== undefined && owner !== id) throw thumbprintInUse(changes.thumbprint);
    }
    const next: Account = copy({
      ...current,
      status: changes.status ?? current.status,
      contact: changes.contact ?? current.contact,
      jwk: changes.jwk ?? current.jwk,
      thumbprint: changes.thumbprint ?? current.thumbprint,
      version: current.version + 1,
    });
    if (next.thumbprint !== current.thumbprint) {
      this.#accountByThumbprint.delete(current.thumbprint);
      this.#accountByThumbprint.set(next.thumbprint, id);
    }
    this.#accounts.set(id, next);
    return copy(next);
  }

  /** @inheritdoc */
  async createEabKey(key: Omit<EabKey, 'boundAccountId' | 'boundAt'>): Promise<EabKey> {
    this.#open();
    if (this.#eabKeys.has(key.keyId)) throw duplicateKey('external account binding key', key.keyId);
    const stored: EabKey = copy({ keyId: key.keyId, hmacKey: key.hmacKey, createdAt: key.createdAt, label: key.label });
    this.#eabKeys.set(stored.keyId, stored);
    return copy(stored);
  }

  /** @inheritdoc */
  async getEabKey(keyId: string): Promise<EabKey | undefined> {
    this.#open();
    return copy(this.#eabKeys.get(keyId));
  }

  /** @inheritdoc */
  async listEabKeys(): Promise<EabKey[]> {
    this.#open();
    return [...this.#eabKeys.values()].sort((a, b) => compareText(a.keyId, b.keyId)).map((k) => copy(k));
  }

  /** @inheritdoc */
  async deleteEabKey(keyId: string): Promise<boolean> {
    this.#open();
    const key = this.#eabKeys.get(keyId);
    if (key === undefined || key.boundAccountId !== undefined) return false;
    this.#eabKeys.delete(keyId);
    return true;
  }

  // ---- orders, authorizations, challenges (RFC 8555 §7.1.3–7.1.5) ----

  /** @inheritdoc */
  async createOrder(order: NewOrder, newAuthorizations: NewAuthorization[], reusedAuthorizationIds: string[]): Promise<Order> {
    this.#open();
    // Validate everything first; nothing is written unless all of it holds.
    if (this.#orders.has(order.id)) throw duplicateKey('order', order.id);
    checkNewOrderIds(newAuthorizations, reusedAuthorizationIds);
    for (const a of newAuthorizations) this.#checkNewAuthorizationIds(a);
    const reused = reusedAuthorizationIds.map((id) => {
      const a = this.#authorizations.get(id);
      if (a === undefined) throw unknownReusedAuthorization(id);
      return a;
    });
    const authorizationIds = linkOrderAuthorizations(order, [...newAuthorizations, ...reused]);

    for (const a of newAuthorizations) this.#writeAuthorization(a);
    const stored: Order = copy({
      id: order.id,
      accountId: order.accountId,
      status: order.status,
      identifiers: order.identifiers,
      authorizationIds,
      expires: order.expires,
      notBefore: order.notBefore,
      notAfter: order.notAfter,
      profile: order.profile,
      replaces: order.replaces,
      createdAt: order.createdAt,
      updatedAt: order.createdAt,
    });
    this.#orders.set(stored.id, stored);
    return copy(stored);
  }

  /** @inheritdoc */
  async getOrder(id: string): Promise<Order | undefined> {
    this.#open();
    return copy(this.#orders.get(id));
  }

  /** @inheritdoc */
  async listOrdersByAccount(accountId: string, options: { limit: number; cursor?: string }): Promise<Page<Order>> {
    this.#open();
    const after = options.cursor === undefined ? undefined : decodeOrderCursor(options.cursor);
    const newestFirst = (a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }): number =>
      b.createdAt.getTime() - a.createdAt.getTime() || compareText(b.id, a.id);
    const sorted = [...this.#orders.values()]
      .filter((o) => o.accountId === accountId)
      .filter((o) => after === undefined || newestFirst(o, after) > 0)
      .sort(newestFirst);
    const items = sorted.slice(0, options.limit);
    const last = items[items.length - 1];
    const page: Page<Order> = { items: items.map((o) => copy(o)) };
    if (sorted.length > items.length && last !== undefined) page.next = orderCursor(last);
    return page;
  }

  /** @inheritdoc */
  async transitionOrder(
    id: string,
    from: OrderStatus | readonly OrderStatus[],
    to: OrderStatus,
    changes: OrderChanges,
  ): Promise<Order | undefined> {
    this.#open();
    const froms = checkTransitionRequest('order', ORDER_TRANSITIONS, from, to);
    const current = this.#orders.get(id);
    if (current === undefined || !froms.includes(current.status)) return undefined;
    const next: Order = copy({
      ...current,
      status: to,
      certificateSerial: changes.certificateSerial ?? current.certificateSerial,
      error: changes.error ?? current.error,
      updatedAt: changes.updatedAt,
    });
    this.#orders.set(id, next);
    return copy(next);
  }

  /** @inheritdoc */
  async listOrdersByStatus(status: OrderStatus, options: { updatedBefore: Date; limit: number }): Promise<Order[]> {
    this.#open();
    const before = options.updatedBefore.getTime();
    return [...this.#orders.values()]
      .filter((o) => o.status === status && o.updatedAt.getTime() < before)
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || compareText(a.id, b.id))
      .slice(0, options.limit)
      .map((o) => copy(o));
  }

  /** @inheritdoc */
  async getOrderByCertificateSerial(serial: string): Promise<Order | undefined> {
    this.#open();
    for (const o of this.#orders.values()) if (o.certificateSerial === serial) return copy(o);
    return undefined;
  }

  /** @inheritdoc */
  async findOrderReplacing(certId: string): Promise<Order | undefined> {
    this.#open();
    for (const o of this.#orders.values()) {
      if (o.replaces === certId && o.status !== 'invalid') return copy(o);
    }
    return undefined;
  }

  /** @inheritdoc */
  async listPendingOrdersByAuthorization(authorizationId: string, limit: number): Promise<Order[]> {
    this.#open();
    return [...this.#orders.values()]
      .filter((o) => o.status === 'pending' && o.authorizationIds.includes(authorizationId))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || compareText(a.id, b.id))
      .slice(0, limit)
      .map((o) => copy(o));
  }

  /** @inheritdoc */
  async getAuthorization(id: string): Promise<Authorization | undefined> {
    this.#open();
    return this.#readAuthorization(id);
  }

  /** @inheritdoc */
  async getAuthorizations(ids: readonly string[]): Promise<Authorization[]> {
    this.#open();
    const out: Authorization[] = [];
    for (const id of ids) {
      const a = this.#readAuthorization(id);
      if (a !== undefined) out.push(a);
    }
    return out;
  }

  /** @inheritdoc */
  async findReusableAuthorization(
    accountId: string,
    identifier: Identifier,
    wildcard: boolean,
    validUntil: Date,
  ): Promise<Authorization | undefined> {
    this.#open();
    const key = identifierKey(identifier);
    let best: StoredAuthorization | undefined;
    for (const a of this.#authorizations.values()) {
      if (a.status !== 'valid' || a.accountId !== accountId || a.wildcard !== wildcard) continue;
      if (identifierKey(a.identifier) !== key || a.expires.getTime() < validUntil.getTime()) continue;
      if (best === undefined || a.expires.getTime() > best.expires.getTime()) best = a;
    }
    return best === undefined ? undefined : this.#readAuthorization(best.id);
  }

  /** @inheritdoc */
  async transitionAuthorization(
    id: string,
    from: AuthorizationStatus | readonly AuthorizationStatus[],
    to: AuthorizationStatus,
  ): Promise<Authorization | undefined> {
    this.#open();
    const froms = checkTransitionRequest('authorization', AUTHORIZATION_TRANSITIONS, from, to);
    const current = this.#authorizations.get(id);
    if (current === undefined || !froms.includes(current.status)) return undefined;
    this.#authorizations.set(id, { ...current, status: to });
    return this.#readAuthorization(id);
  }

  /** @inheritdoc */
  async createAuthorization(authorization: NewAuthorization): Promise<Authorization> {
    this.#open();
    checkNewOrderIds([authorization], []);
    this.#checkNewAuthorizationIds(authorization);
    this.#writeAuthorization(authorization);
    return this.#readAuthorization(authorization.id)!;
  }

  /** @inheritdoc */
  async getChallenge(id: string): Promise<Challenge | undefined> {
    this.#open();
    return copy(this.#challenges.get(id));
  }

  /** @inheritdoc */
  async transitionChallenge(
    id: string,
    from: ChallengeStatus | readonly ChallengeStatus[],
    to: ChallengeStatus,
    changes: ChallengeChanges = {},
  ): Promise<Challenge | undefined> {
    this.#open();
    const froms = checkTransitionRequest('challenge', CHALLENGE_TRANSITIONS, from, to);
    const current = this.#challenges.get(id);
    if (current === undefined || !froms.includes(current.status)) return undefined;
    const next: Challenge = copy({
      ...current,
      status: to,
      validatedAt: changes.validatedAt ?? current.validatedAt,
      error: changes.error ?? current.error,
      validationRecord: changes.validationRecord ?? current.validationRecord,
      processingAt: changes.processingAt ?? current.processingAt,
    });
    this.#challenges.set(id, next);
    return copy(next);
  }

  /** @inheritdoc */
  async listChallengesByStatus(status: ChallengeStatus, options: { limit: number; processingBefore?: Date }): Promise<Challenge[]> {
    this.#open();
    const before = options.processingBefore?.getTime();
    const matching = [...this.#challenges.values()].filter(
      (c) => c.status === status && (before === undefined || (c.processingAt !== undefined && c.processingAt.getTime() < before)),
    );
    return matching.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, options.limit).map((c) => copy(c));
  }

  /** @inheritdoc */
  async reclaimChallenge(id: string, startedAt: Date | undefined, processingAt: Date): Promise<Challenge | undefined> {
    this.#open();
    const current = this.#challenges.get(id);
    if (current === undefined || current.status !== 'processing' || current.processingAt?.getTime() !== startedAt?.getTime()) return undefined;
    const next: Challenge = copy({ ...current, processingAt });
    this.#challenges.set(id, next);
    return copy(next);
  }

  /** Throws `conflict` if the authorization's id or one of its challenges' ids is taken. */
  #checkNewAuthorizationIds(a: NewAuthorization): void {
    if (this.#authorizations.has(a.id)) throw duplicateKey('authorization', a.id);
    for (const c of a.challenges) if (this.#challenges.has(c.id)) throw duplicateKey('challenge', c.id);
  }

  /** Writes a validated new authorization and its pending challenges. */
  #writeAuthorization(a: NewAuthorization): void {
    for (const c of a.challenges) {
      this.#challenges.set(c.id, { id: c.id, authorizationId: a.id, type: c.type, status: 'pending', token: c.token });
    }
    this.#authorizations.set(
      a.id,
      copy({
        id: a.id,
        accountId: a.accountId,
        identifier: a.identifier,
        wildcard: a.wildcard,
        status: a.status,
        expires: a.expires,
        createdAt: a.createdAt,
        challengeIds: a.challenges.map((c) => c.id),
      }),
    );
  }

  /** A copy of a stored authorization with its challenges, in creation order. */
  #readAuthorization(id: string): Authorization | undefined {
    const stored = this.#authorizations.get(id);
    if (stored === undefined) return undefined;
    const { challengeIds, ...rest } = stored;
    const challenges = challengeIds.flatMap((cid) => {
      const c = this.#challenges.get(cid);
      return c === undefined ? [] : [c];
    });
    return copy({ ...rest, challenges });
  }

  // ---- certificates (write-ahead issuance), revocations, blocked keys ----

  /** @inheritdoc */
  async reserveSerial(reservation: SerialReservation): Promise<CertificateRecord> {
    this.#open();
    if (this.#certificates.has(reservation.serial)) throw serialInUse(reservation.serial);
    const createdAt = reservation.createdAt.getTime();
    const stored: CertificateRecord = {
      serial: reservation.serial,
      issuerId: reservation.issuerId,
      state: 'reserved',
      identifiers: copyIdentifiers(reservation.identifiers),
      crlShard: reservation.crlShard,
      createdAt: new Date(createdAt),
      updatedAt: new Date(createdAt),
    };
    if (reservation.accountId !== undefined) stored.accountId = reservation.accountId;
    if (reservation.orderId !== undefined) stored.orderId = reservation.orderId;
    if (reservation.profile !== undefined) stored.profile = reservation.profile;
    this.#certificates.set(stored.serial, stored);
    return copyCertificate(stored);
  }

  /** @inheritdoc */
  async recordPlanned(serial: string, planned: PlannedCertificate): Promise<CertificateRecord | undefined> {
    this.#open();
    return this.#moveCertificate(serial, ['reserved'], 'planned', {
      plannedTbs: new Uint8Array(planned.plannedTbs),
      notBefore: new Date(planned.notBefore.getTime()),
      notAfter: new Date(planned.notAfter.getTime()),
      updatedAt: new Date(planned.updatedAt.getTime()),
    });
  }

  /** @inheritdoc */
  async recordPrecertificate(serial: string, der: Uint8Array, at: Date): Promise<CertificateRecord | undefined> {
    this.#open();
    return this.#moveCertificate(serial, ['planned'], 'precertificate', { precertificateDer: new Uint8Array(der), updatedAt: new Date(at.getTime()) });
  }

  /** @inheritdoc */
  async recordIssued(serial: string, der: Uint8Array, at: Date): Promise<CertificateRecord | undefined> {
    this.#open();
    return this.#moveCertificate(serial, ['planned', 'precertificate'], 'issued', { certificateDer: new Uint8Array(der), updatedAt: new Date(at.getTime()) });
  }

  /** @inheritdoc */
  async recordAbandoned(serial: string, at: Date): Promise<CertificateRecord | undefined> {
    this.#open();
    return this.#moveCertificate(serial, ['reserved', 'planned'], 'abandoned', { updatedAt: new Date(at.getTime()) });
  }

  /**
   * Moves a certificate from one of `from` to `to`, applying `changes`, and
   * returns a copy of the new record. `changes` must already be private to
   * the store (callers copy their inputs): the stored record's own byte
   * arrays and dates are carried over without copying, since nothing
   * outside the store can reach them.
   */
  #moveCertificate(
    serial: string,
    from: readonly CertificateState[],
    to: CertificateState,
    changes: Partial<CertificateRecord>,
  ): CertificateRecord | undefined {
    const current = this.#certificates.get(serial);
    if (current === undefined || !from.includes(current.state)) return undefined;
    const next: CertificateRecord = { ...current, ...changes, state: to };
    this.#certificates.set(serial, next);
    return copyCertificate(next);
  }

  /** @inheritdoc */
  async getCertificate(serial: string): Promise<CertificateRecord | undefined> {
    this.#open();
    const stored = this.#certificates.get(serial);
    return stored === undefined ? undefined : copyCertificate(stored);
  }

  /** @inheritdoc */
  async listCertificatesByState(
    states: readonly CertificateState[],
    options: { updatedBefore: Date; limit: number },
  ): Promise<CertificateRecord[]> {
    this.#open();
    const before = options.updatedBefore.getTime();
    return [...this.#certificates.values()]
      .filter((c) => states.includes(c.state) && c.updatedAt.getTime() < before)
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || compareText(a.serial, b.serial))
      .slice(0, options.limit)
      .map(copyCertificate);
  }

  /** @inheritdoc */
  async listCertificatesByIssuer(
    issuerId: string,
    options: { notAfterFrom: Date; limit: number; cursor?: string },
  ): Promise<Page<CertificateRecord>> {
    this.#open();
    const after = options.cursor === undefined ? undefined : decodeSerialCursor(options.cursor);
    const from = options.notAfterFrom.getTime();
    const sorted = [...this.#certificates.values()]
      .filter((c) => c.issuerId === issuerId && LISTED_BY_ISSUER.includes(c.state))
      .filter((c) => c.notAfter !== undefined && c.notAfter.getTime() >= from)
      .filter((c) => after === undefined || compareText(c.serial, after) > 0)
      .sort((a, b) => compareText(a.serial, b.serial));
    const items = sorted.slice(0, options.limit);
    const last = items[items.length - 1];
    const page: Page<CertificateRecord> = { items: items.map(copyCertificate) };
    if (sorted.length > items.length && last !== undefined) page.next = serialCursor(last.serial);
    return page;
  }

  /** @inheritdoc */
  async revoke(serial: string, reason: RevocationReason, revokedAt: Date): Promise<Revocation | undefined> {
    this.#open();
    const current = this.#certificates.get(serial);
    if (current === undefined || !REVOCABLE.includes(current.state) || current.revokedAt !== undefined) return undefined;
    const next: CertificateRecord = { ...current, revokedAt: new Date(revokedAt.getTime()), revocationReason: reason };
    this.#certificates.set(serial, next);
    return revocationOf(next);
  }

  /** @inheritdoc */
  async updateRevocationReason(serial: string, from: RevocationReason, to: RevocationReason): Promise<Revocation | undefined> {
    this.#open();
    if (to !== KEY_COMPROMISE) throw reRevocationNotKeyCompromise(to);
    const current = this.#certificates.get(serial);
    if (current === undefined || current.revokedAt === undefined) return undefined;
    if (current.revocationReason !== from || current.revocationReason === KEY_COMPROMISE) return undefined;
    const next: CertificateRecord = { ...current, revocationReason: to };
    this.#certificates.set(serial, next);
    return revocationOf(next);
  }

  /** @inheritdoc */
  async listRevocations(issuerId: string, options: { shard?: number; notAfterFrom: Date }): Promise<Revocation[]> {
    this.#open();
    const from = options.notAfterFrom.getTime();
    const out: Revocation[] = [];
    for (const c of this.#certificates.values()) {
      if (c.issuerId !== issuerId || c.revokedAt === undefined) continue;
      if (options.shard !== undefined && c.crlShard !== options.shard) continue;
      if (c.notAfter === undefined || c.notAfter.getTime() < from) continue;
      out.push(revocationOf(c));
    }
    return out.sort((a, b) => compareText(a.serial, b.serial));
  }

  /** @inheritdoc */
  async addBlockedKey(key: BlockedKey): Promise<void> {
    this.#open();
    if (!this.#blockedKeys.has(key.spkiSha256)) this.#blockedKeys.set(key.spkiSha256, copy(key));
  }

  /** @inheritdoc */
  async getBlockedKey(spkiSha256: string): Promise<BlockedKey | undefined> {
    this.#open();
    return copy(this.#blockedKeys.get(spkiSha256));
  }

  // ---- nonces (RFC 8555 §7.2) ----

  /** @inheritdoc */
  async issueNonce(value: string, expires: Date): Promise<void> {
    this.#open();
    if (this.#nonces.has(value)) throw duplicateKey('nonce', value);
    this.#nonces.set(value, expires.getTime());
  }

  /** @inheritdoc All or none: a value already issued (or repeated) is a conflict and nothing is stored. */
  async issueNonces(values: readonly string[], expires: Date): Promise<void> {
    this.#open();
    const fresh = new Set<string>();
    for (const value of values) {
      if (this.#nonces.has(value) || fresh.has(value)) throw duplicateKey('nonce', value);
      fresh.add(value);
    }
    for (const value of fresh) this.#nonces.set(value, expires.getTime());
  }

  /** @inheritdoc */
  async redeemNonce(value: string, now: Date): Promise<boolean> {
    this.#open();
    const expires = this.#nonces.get(value);
    if (expires === undefined) return false;
    this.#nonces.delete(value);
    return now.getTime() < expires;
  }

  // ---- retention ----

  /** @inheritdoc */
  async purgeExpired(before: Date, batchSize: number): Promise<PurgeResult> {
    this.#open();
    const limit = before.getTime();
    const result: PurgeResult = { nonces: 0, orders: 0, authorizations: 0 };

    for (const [value, expires] of this.#nonces) {
      if (result.nonces >= batchSize) break;
      if (expires < limit) {
        this.#nonces.delete(value);
        result.nonces++;
      }
    }

    for (const o of this.#orders.values()) {
      if (result.orders >= batchSize) break;
      const keep = o.status === 'valid' && o.certificateSerial !== undefined;
      if (o.expires.getTime() < limit && !keep) {
        this.#orders.delete(o.id);
        result.orders++;
      }
    }

    const referenced = new Set<string>();
    for (const o of this.#orders.values()) for (const id of o.authorizationIds) referenced.add(id);
    for (const a of this.#authorizations.values()) {
      if (result.authorizations >= batchSize) break;
      if (a.expires.getTime() < limit && !referenced.has(a.id)) {
        for (const cid of a.challengeIds) this.#challenges.delete(cid);
        this.#authorizations.delete(a.id);
        result.authorizations++;
      }
    }
    return result;
  }

  // ---- rate-limit buckets ----

  /** @inheritdoc */
  async getBucket(key: string): Promise<StoredBucket | undefined> {
    this.#open();
    return this.#buckets.getBucket(key);
  }

  /** @inheritdoc */
  async compareAndSetBucket(key: string, expectedVersion: number | undefined, next: BucketState & { readonly fullAtMs: number }): Promise<boolean> {
    this.#open();
    return this.#buckets.compareAndSetBucket(key, expectedVersion, next);
  }

  /** @inheritdoc */
  async purgeFullBuckets(beforeMs: number, limit: number): Promise<number> {
    this.#open();
    return this.#buckets.purgeFullBuckets(beforeMs, limit);
  }

  // ---- CRL numbers (RFC 5280 §5.2.3) ----

  /** @inheritdoc */
  async nextCrlNumber(scope: CrlScope): Promise<bigint> {
    this.#open();
    const key = crlScopeKey(scope);
    const n = (this.#crlNumbers.get(key) ?? 0n) + 1n;
    this.#crlNumbers.set(key, n);
    return n;
  }

  /** @inheritdoc */
  async currentCrlNumber(scope: CrlScope): Promise<bigint> {
    this.#open();
    return this.#crlNumbers.get(crlScopeKey(scope)) ?? 0n;
  }

  /** Marks the store closed; every later call throws `serverInternal`. */
  async close(): Promise<void> {
    this.#closed = true;
  }
}

/** The map key of a CRL scope; issuer ids may contain `/`, the shard (an integer) cannot. */
function crlScopeKey(scope: CrlScope): string {
  return `${scope.shard}/${scope.issuerId}`;
}

/** Code-unit order of two strings, as a comparator. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The revocation view of a revoked certificate record. */
function revocationOf(c: CertificateRecord): Revocation {
  return copy({
    serial: c.serial,
    issuerId: c.issuerId,
    revokedAt: c.revokedAt!,
    reason: c.revocationReason!,
    crlShard: c.crlShard,
    notAfter: c.notAfter,
  });
}

/** A copy of identifiers, as the store keeps and returns them. */
function copyIdentifiers(identifiers: readonly Identifier[]): Identifier[] {
  return identifiers.map((i) => ({ type: i.type, value: i.value }));
}

/**
 * A copy of a certificate record that shares nothing mutable with it (dates,
 * byte arrays and identifiers are copied; absent fields stay absent). The
 * certificate methods return these so that callers cannot change stored
 * records; written field by field because it runs several times per issuance.
 */
function copyCertificate(c: CertificateRecord): CertificateRecord {
  const out: CertificateRecord = {
    serial: c.serial,
    issuerId: c.issuerId,
    state: c.state,
    identifiers: copyIdentifiers(c.identifiers),
    crlShard: c.crlShard,
    createdAt: new Date(c.createdAt.getTime()),
    updatedAt: new Date(c.updatedAt.getTime()),
  };
  if (c.accountId !== undefined) out.accountId = c.accountId;
  if (c.orderId !== undefined) out.orderId = c.orderId;
  if (c.profile !== undefined) out.profile = c.profile;
  if (c.notBefore !== undefined) out.notBefore = new Date(c.notBefore.getTime());
  if (c.notAfter !== undefined) out.notAfter = new Date(c.notAfter.getTime());
  if (c.plannedTbs !== undefined) out.plannedTbs = new Uint8Array(c.plannedTbs);
  if (c.precertificateDer !== undefined) out.precertificateDer = new Uint8Array(c.precertificateDer);
  if (c.certificateDer !== undefined) out.certificateDer = new Uint8Array(c.certificateDer);
  if (c.revokedAt !== undefined) out.revokedAt = new Date(c.revokedAt.getTime());
  if (c.revocationReason !== undefined) out.revocationReason = c.revocationReason;
  return out;
}
