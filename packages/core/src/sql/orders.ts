import type { Selectable } from 'kysely';
import { CertwrightError } from '../errors.js';
import type { Identifier } from '../identifier.js';
import {
  AUTHORIZATION_TRANSITIONS,
  CHALLENGE_TRANSITIONS,
  ORDER_TRANSITIONS,
  type AuthorizationStatus,
  type ChallengeStatus,
  type OrderStatus,
} from '../domain/status.js';
import type { Authorization, Challenge, Order } from '../domain/entities.js';
import { checkNewOrderIds, linkOrderAuthorizations } from '../store/order-links.js';
import { decodeOrderCursor, orderCursor } from '../store/page-cursor.js';
import { duplicateKey, unknownReusedAuthorization } from '../store/store-errors.js';
import { checkTransitionRequest } from '../store/transition-guard.js';
import type { ChallengeChanges, NewAuthorization, NewOrder, OrderChanges, OrderStore, Page } from '../store/types.js';
import type { Queryable, SqlContext } from './context.js';
import { isUniqueViolation } from './dialect.js';
import { toAuthorization, toChallenge, toJson, toMillis, toOrder } from './rows.js';
import type { AuthorizationsTable, OrdersTable } from './schema.js';

/**
 * Orders, authorizations and challenges in SQL (RFC 8555 §7.1.3–7.1.5).
 * `createOrder` and `createAuthorization` are single transactions; every
 * status change is one `UPDATE … WHERE id = ? AND status IN (…)` judged by
 * its affected-row count, after the request was checked against the
 * RFC 8555 §7.1.6 status machine (`conflict` for an illegal request).
 */
export class SqlOrderStore implements OrderStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  /** @inheritdoc */
  async createOrder(order: NewOrder, newAuthorizations: NewAuthorization[], reusedAuthorizationIds: string[]): Promise<Order> {
    try {
      await this.#ctx.transaction(async (trx) => {
        const existing = await trx.selectFrom('orders').select('id').where('id', '=', order.id).executeTakeFirst();
        if (existing !== undefined) throw duplicateKey('order', order.id);
        checkNewOrderIds(newAuthorizations, reusedAuthorizationIds);
        await checkFreeIds(trx, newAuthorizations);
        const reused = await this.#readReused(trx, reusedAuthorizationIds);
        const authorizationIds = linkOrderAuthorizations(order, [...newAuthorizations, ...reused.map((r) => toAuthorization(r, []))]);
        for (const a of newAuthorizations) await insertAuthorization(trx, a);
        await trx
          .insertInto('orders')
          .values({
            id: order.id,
            account_id: order.accountId,
            status: order.status,
            identifiers: toJson(order.identifiers),
            expires: toMillis(order.expires),
            not_before: order.notBefore === undefined ? null : toMillis(order.notBefore),
            not_after: order.notAfter === undefined ? null : toMillis(order.notAfter),
            profile: order.profile ?? null,
            replaces: order.replaces ?? null,
            created_at: toMillis(order.createdAt),
            updated_at: toMillis(order.createdAt),
          })
          .execute();
        if (authorizationIds.length > 0) {
          await trx
            .insertInto('order_authorizations')
            .values(authorizationIds.map((authorization_id, position) => ({ order_id: order.id, position, authorization_id })))
            .execute();
        }
      });
    } catch (err) {
      if (isUniqueViolation(err, this.#ctx.dialect)) throw await this.#explainDuplicate(order.id, newAuthorizations, err);
      throw err;
    }
    return this.#mustGetOrder(order.id);
  }

  /** The reused authorizations, locked against concurrent changes where the database can; `conflict` if one is unknown. */
  async #readReused(trx: Queryable, ids: readonly string[]): Promise<Selectable<AuthorizationsTable>[]> {
    if (ids.length === 0) return [];
    let query = trx.selectFrom('authorizations').selectAll().where('id', 'in', ids);
    if (this.#ctx.dialect !== 'sqlite') query = query.forUpdate();
    const rows = await query.execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => {
      const row = byId.get(id);
      if (row === undefined) throw unknownReusedAuthorization(id);
      return row;
    });
  }

  /** After a unique-key violation lost to a concurrent writer: the `conflict` naming the taken id. */
  async #explainDuplicate(orderId: string | undefined, authorizations: readonly NewAuthorization[], cause: unknown): Promise<CertwrightError> {
    const db = this.#ctx.open();
    if (orderId !== undefined && (await db.selectFrom('orders').select('id').where('id', '=', orderId).executeTakeFirst()) !== undefined) {
      return duplicateKey('order', orderId);
    }
    try {
      await checkFreeIds(db, authorizations);
    } catch (err) {
      return err as CertwrightError;
    }
    return new CertwrightError('conflict', 'A row with one of the new ids was created concurrently', { cause });
  }

  async #mustGetOrder(id: string): Promise<Order> {
    const order = await this.getOrder(id);
    if (order === undefined) throw new CertwrightError('serverInternal', `Order "${id}" vanished after it was written`);
    return order;
  }

  /** @inheritdoc */
  async getOrder(id: string): Promise<Order | undefined> {
    return (await this.#readOrders(this.#ctx.open(), [id]))[0];
  }

  /** Orders with their authorization ids, in the order of `ids` (unknown ids left out). */
  async #readOrders(q: Queryable, ids: readonly string[]): Promise<Order[]> {
    if (ids.length === 0) return [];
    const rows = await q.selectFrom('orders').selectAll().where('id', 'in', ids).execute();
    return this.#withAuthorizationIds(q, ids.flatMap((id) => rows.filter((r) => r.id === id)));
  }

  async #withAuthorizationIds(q: Queryable, rows: readonly Selectable<OrdersTable>[]): Promise<Order[]> {
    if (rows.length === 0) return [];
    const links = await q
      .selectFrom('order_authorizations')
      .select(['order_id', 'authorization_id'])
      .where(
        'order_id',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('order_id')
      .orderBy('position')
      .execute();
    const byOrder = new Map<string, string[]>();
    for (const l of links) {
      const list = byOrder.get(l.order_id) ?? [];
      list.push(l.authorization_id);
      byOrder.set(l.order_id, list);
    }
    return rows.map((r) => toOrder(r, byOrder.get(r.id) ?? []));
  }

  /** @inheritdoc Newest first: creation time, then id, descending (keyset paging). */
  async listOrdersByAccount(accountId: string, options: { limit: number; cursor?: string }): Promise<Page<Order>> {
    const q = this.#ctx.open();
    const after = options.cursor === undefined ? undefined : decodeOrderCursor(options.cursor);
    let query = q.selectFrom('orders').selectAll().where('account_id', '=', accountId);
    if (after !== undefined) {
      const ms = toMillis(after.createdAt);
      query = query.where((eb) =>
        eb.or([eb('created_at', '<', ms), eb.and([eb('created_at', '=', ms), eb('id', '<', after.id)])]),
      );
    }
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit + 1)
      .execute();
    const items = await this.#withAuthorizationIds(q, rows.slice(0, options.limit));
    const page: Page<Order> = { items };
    const last = items[items.length - 1];
    if (rows.length > options.limit && last !== undefined) page.next = orderCursor(last);
    return page;
  }

  /** @inheritdoc */
  async transitionOrder(
    id: string,
    from: OrderStatus | readonly OrderStatus[],
    to: OrderStatus,
    changes: OrderChanges,
  ): Promise<Order | undefined> {
    const froms = checkTransitionRequest('order', ORDER_TRANSITIONS, from, to);
    if (froms.length === 0) return undefined;
    return this.#ctx.transaction(async (trx) => {
      const result = await trx
        .updateTable('orders')
        .set({ status: to, updated_at: toMillis(changes.updatedAt) })
        .$if(changes.certificateSerial !== undefined, (u) => u.set({ certificate_serial: changes.certificateSerial ?? null }))
        .$if(changes.error !== undefined, (u) => u.set({ error: toJson(changes.error) }))
        .where('id', '=', id)
        .where('status', 'in', froms)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return undefined;
      return (await this.#readOrders(trx, [id]))[0];
    });
  }

  /** @inheritdoc Least recently updated first. */
  async listOrdersByStatus(status: OrderStatus, options: { updatedBefore: Date; limit: number }): Promise<Order[]> {
    const q = this.#ctx.open();
    const rows = await q
      .selectFrom('orders')
      .selectAll()
      .where('status', '=', status)
      .where('updated_at', '<', toMillis(options.updatedBefore))
      .orderBy('updated_at')
      .orderBy('id')
      .limit(options.limit)
      .execute();
    return this.#withAuthorizationIds(q, rows);
  }

  /** @inheritdoc */
  async getOrderByCertificateSerial(serial: string): Promise<Order | undefined> {
    const q = this.#ctx.open();
    const rows = await q.selectFrom('orders').selectAll().where('certificate_serial', '=', serial).orderBy('created_at').limit(1).execute();
    return (await this.#withAuthorizationIds(q, rows))[0];
  }

  /** @inheritdoc */
  async findOrderReplacing(certId: string): Promise<Order | undefined> {
    const q = this.#ctx.open();
    const rows = await q
      .selectFrom('orders')
      .selectAll()
      .where('replaces', '=', certId)
      .where('status', '<>', 'invalid')
      .orderBy('created_at')
      .limit(1)
      .execute();
    return (await this.#withAuthorizationIds(q, rows))[0];
  }

  /** @inheritdoc */
  async getAuthorization(id: string): Promise<Authorization | undefined> {
    return (await readAuthorizations(this.#ctx.open(), [id]))[0];
  }

  /** @inheritdoc */
  async getAuthorizations(ids: readonly string[]): Promise<Authorization[]> {
    return readAuthorizations(this.#ctx.open(), ids);
  }

  /** @inheritdoc */
  async findReusableAuthorization(
    accountId: string,
    identifier: Identifier,
    wildcard: boolean,
    validUntil: Date,
  ): Promise<Authorization | undefined> {
    const q = this.#ctx.open();
    const row = await q
      .selectFrom('authorizations')
      .select('id')
      .where('account_id', '=', accountId)
      .where('identifier_type', '=', identifier.type)
      .where('identifier_value', '=', identifier.value)
      .where('wildcard', '=', wildcard ? 1 : 0)
      .where('status', '=', 'valid')
      .where('expires', '>=', toMillis(validUntil))
      .orderBy('expires', 'desc')
      .orderBy('created_at')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : (await readAuthorizations(q, [row.id]))[0];
  }

  /** @inheritdoc */
  async transitionAuthorization(
    id: string,
    from: AuthorizationStatus | readonly AuthorizationStatus[],
    to: AuthorizationStatus,
  ): Promise<Authorization | undefined> {
    const froms = checkTransitionRequest('authorization', AUTHORIZATION_TRANSITIONS, from, to);
    if (froms.length === 0) return undefined;
    return this.#ctx.transaction(async (trx) => {
      const result = await trx
        .updateTable('authorizations')
        .set({ status: to })
        .where('id', '=', id)
        .where('status', 'in', froms)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return undefined;
      return (await readAuthorizations(trx, [id]))[0];
    });
  }

  /** @inheritdoc */
  async createAuthorization(authorization: NewAuthorization): Promise<Authorization> {
    checkNewOrderIds([authorization], []);
    try {
      await this.#ctx.transaction(async (trx) => {
        await checkFreeIds(trx, [authorization]);
        await insertAuthorization(trx, authorization);
      });
    } catch (err) {
      if (isUniqueViolation(err, this.#ctx.dialect)) throw await this.#explainDuplicate(undefined, [authorization], err);
      throw err;
    }
    const stored = await this.getAuthorization(authorization.id);
    if (stored === undefined) throw new CertwrightError('serverInternal', `Authorization "${authorization.id}" vanished after it was written`);
    return stored;
  }

  /** @inheritdoc */
  async getChallenge(id: string): Promise<Challenge | undefined> {
    const row = await this.#ctx.open().selectFrom('challenges').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toChallenge(row);
  }

  /** @inheritdoc */
  async transitionChallenge(
    id: string,
    from: ChallengeStatus | readonly ChallengeStatus[],
    to: ChallengeStatus,
    changes: ChallengeChanges = {},
  ): Promise<Challenge | undefined> {
    const froms = checkTransitionRequest('challenge', CHALLENGE_TRANSITIONS, from, to);
    if (froms.length === 0) return undefined;
    return this.#ctx.transaction(async (trx) => {
      const result = await trx
        .updateTable('challenges')
        .set({ status: to })
        .$if(changes.validatedAt !== undefined, (u) => u.set({ validated_at: changes.validatedAt === undefined ? null : toMillis(changes.validatedAt) }))
        .$if(changes.error !== undefined, (u) => u.set({ error: toJson(changes.error) }))
        .$if(changes.validationRecord !== undefined, (u) => u.set({ validation_record: toJson(changes.validationRecord) }))
        .where('id', '=', id)
        .where('status', 'in', froms)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return undefined;
      const row = await trx.selectFrom('challenges').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toChallenge(row);
    });
  }
}

/** Throws `conflict` naming the first new authorization or challenge id that is already stored. */
async function checkFreeIds(q: Queryable, authorizations: readonly NewAuthorization[]): Promise<void> {
  if (authorizations.length === 0) return;
  const authorizationIds = authorizations.map((a) => a.id);
  const takenAuthorizations = new Set(
    (await q.selectFrom('authorizations').select('id').where('id', 'in', authorizationIds).execute()).map((r) => r.id),
  );
  const challengeIds = authorizations.flatMap((a) => a.challenges.map((c) => c.id));
  const takenChallenges =
    challengeIds.length === 0
      ? new Set<string>()
      : new Set((await q.selectFrom('challenges').select('id').where('id', 'in', challengeIds).execute()).map((r) => r.id));
  for (const a of authorizations) {
    if (takenAuthorizations.has(a.id)) throw duplicateKey('authorization', a.id);
    for (const c of a.challenges) if (takenChallenges.has(c.id)) throw duplicateKey('challenge', c.id);
  }
}

/** Inserts a new authorization and its pending challenges (positions keep their creation order). */
async function insertAuthorization(q: Queryable, a: NewAuthorization): Promise<void> {
  await q
    .insertInto('authorizations')
    .values({
      id: a.id,
      account_id: a.accountId,
      identifier_type: a.identifier.type,
      identifier_value: a.identifier.value,
      wildcard: a.wildcard ? 1 : 0,
      status: a.status,
      expires: toMillis(a.expires),
      created_at: toMillis(a.createdAt),
    })
    .execute();
  if (a.challenges.length === 0) return;
  await q
    .insertInto('challenges')
    .values(
      a.challenges.map((c, position) => ({
        id: c.id,
        authorization_id: a.id,
        position,
        type: c.type,
        status: 'pending',
        token: c.token,
      })),
    )
    .execute();
}

/** Authorizations with their challenges, in the order of `ids` (unknown ids left out). */
async function readAuthorizations(q: Queryable, ids: readonly string[]): Promise<Authorization[]> {
  if (ids.length === 0) return [];
  const unique = [...new Set(ids)];
  const rows = await q.selectFrom('authorizations').selectAll().where('id', 'in', unique).execute();
  if (rows.length === 0) return [];
  const challenges = await q
    .selectFrom('challenges')
    .selectAll()
    .where(
      'authorization_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('authorization_id')
    .orderBy('position')
    .execute();
  const byAuthorization = new Map<string, Challenge[]>();
  for (const c of challenges) {
    const list = byAuthorization.get(c.authorization_id) ?? [];
    list.push(toChallenge(c));
    byAuthorization.set(c.authorization_id, list);
  }
  const byId = new Map(rows.map((r) => [r.id, toAuthorization(r, byAuthorization.get(r.id) ?? [])]));
  return ids.flatMap((id) => {
    const a = byId.get(id);
    return a === undefined ? [] : [structuredClone(a)];
  });
}
