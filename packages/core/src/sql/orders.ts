import type { Kysely, Selectable, UpdateQueryBuilder, UpdateResult } from 'kysely';
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
import { slot } from './prepared-queries.js';
import type { QueryTemplate, QueryTemplates } from './prepared-queries.js';
import { OrderLinksCache } from './order-links-cache.js';
import { toAuthorization, toChallenge, toJson, toMillis, toOrder } from './rows.js';
import type { AuthorizationsTable, ChallengesTable, OrdersTable, Schema } from './schema.js';

/** Orders whose authorization ids are kept in memory (see {@link OrderLinksCache}). */
const ORDER_LINKS_CACHED = 4096;

/** Up to this many ids, reading authorizations by id uses a compiled query per id count. */
const MAX_TEMPLATED_IDS = 16;

/**
 * Orders, authorizations and challenges in SQL (RFC 8555 §7.1.3–7.1.5).
 * `createOrder` and `createAuthorization` are single transactions; every
 * status change is one `UPDATE … WHERE id = ? AND status IN (…)` judged by
 * its affected-row count (or the row it returns), after the request was
 * checked against the RFC 8555 §7.1.6 status machine (`conflict` for an
 * illegal request). Reads of an order or of authorizations are one
 * statement each, joining the links or the challenges.
 */
export class SqlOrderStore implements OrderStore {
  readonly #ctx: SqlContext;
  /**
   * Whether the database has `UPDATE … RETURNING` (SQLite ≥ 3.35,
   * PostgreSQL): order and challenge transitions are then one statement
   * that returns the row it wrote. MariaDB/MySQL update and read back in
   * one transaction instead.
   */
  readonly #updateReturning: boolean;
  /** The links of recent orders, which never change once written. */
  readonly #links = new OrderLinksCache(ORDER_LINKS_CACHED);

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
    this.#updateReturning = ctx.dialect !== 'mysql';
  }

  /**
   * @inheritdoc One transaction: the reused authorizations are read (and
   * locked where the database can), then the new authorizations, their
   * challenges, the order and its links are inserted. Ids already taken are
   * found by the primary keys themselves: the insert fails, and the
   * `conflict` then names the taken id. On SQLite and PostgreSQL the order
   * row comes back from its INSERT (`RETURNING *`), so nothing is read again.
   */
  async createOrder(order: NewOrder, newAuthorizations: NewAuthorization[], reusedAuthorizationIds: string[]): Promise<Order> {
    checkNewOrderIds(newAuthorizations, reusedAuthorizationIds);
    let created: { row: Selectable<OrdersTable> | undefined; authorizationIds: string[] };
    try {
      created = await this.#ctx.transaction(async (trx) => {
        const reused = await this.#readReused(trx, reusedAuthorizationIds);
        const authorizationIds = linkOrderAuthorizations(order, [...newAuthorizations, ...reused.map((r) => toAuthorization(r, []))]);
        for (const a of newAuthorizations) await insertAuthorization(this.#ctx.templates, trx, a);
        const insert = (db: Kysely<Schema>) =>
          db.insertInto('orders').values({
            id: slot('id'),
            account_id: slot('accountId'),
            status: slot('status'),
            identifiers: slot('identifiers'),
            expires: slot<number>('expires'),
            not_before: slot<number | null>('notBefore'),
            not_after: slot<number | null>('notAfter'),
            profile: slot<string | null>('profile'),
            replaces: slot<string | null>('replaces'),
            created_at: slot<number>('createdAt'),
            updated_at: slot<number>('createdAt'),
          });
        const values = {
          id: order.id,
          accountId: order.accountId,
          status: order.status,
          identifiers: toJson(order.identifiers),
          expires: toMillis(order.expires),
          notBefore: order.notBefore === undefined ? null : toMillis(order.notBefore),
          notAfter: order.notAfter === undefined ? null : toMillis(order.notAfter),
          profile: order.profile ?? null,
          replaces: order.replaces ?? null,
          createdAt: toMillis(order.createdAt),
        };
        let row: Selectable<OrdersTable> | undefined;
        if (this.#updateReturning) row = await this.#ctx.templates.get('orders.insertReturning', (db) => insert(db).returningAll()).first(trx, values);
        else await this.#ctx.templates.get('orders.insert', insert).execute(trx, values);
        const links = authorizationIds.length;
        if (links > 0) {
          const linkValues: Record<string, unknown> = { orderId: order.id };
          authorizationIds.forEach((id, i) => (linkValues[`authorization${i}`] = id));
          await this.#ctx.templates
            .get(`orders.insertLinks:${links}`, (db) =>
              db
                .insertInto('order_authorizations')
                .values(Array.from({ length: links }, (_, position) => ({ order_id: slot('orderId'), position, authorization_id: slot(`authorization${position}`) }))),
            )
            .execute(trx, linkValues);
        }
        return { row, authorizationIds };
      });
    } catch (err) {
      if (isUniqueViolation(err, this.#ctx.dialect)) throw await this.#explainDuplicate(order.id, newAuthorizations, err);
      throw err;
    }
    this.#links.set(order.id, created.authorizationIds);
    return created.row === undefined ? this.#mustGetOrder(order.id) : toOrder(created.row, created.authorizationIds);
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

  /** After a unique-key violation (an id already taken, or taken concurrently): the `conflict` naming the taken id. */
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
    return this.#readOrder(this.#ctx.open(), id);
  }

  /** An order with its authorization ids, in one statement (the order row joined to its links). */
  async #readOrder(q: Queryable, id: string): Promise<Order | undefined> {
    const rows = await this.#ctx.templates
      .get('orders.byIdWithLinks', (db) =>
        db
          .selectFrom('orders')
          .leftJoin('order_authorizations', 'order_authorizations.order_id', 'orders.id')
          .selectAll('orders')
          .select('order_authorizations.authorization_id')
          .where('orders.id', '=', slot('id'))
          .orderBy('order_authorizations.position'),
      )
      .rows(q, { id });
    const first = rows[0];
    if (first === undefined) return undefined;
    const { authorization_id: _, ...order } = first;
    const authorizationIds = rows.flatMap((r) => (r.authorization_id === null ? [] : [r.authorization_id]));
    this.#links.set(id, authorizationIds);
    return toOrder(order, authorizationIds);
  }

  /** Orders with their authorization ids: from the links cache, reading only the orders it lacks (in one statement). */
  async #withAuthorizationIds(q: Queryable, rows: readonly Selectable<OrdersTable>[]): Promise<Order[]> {
    if (rows.length === 0) return [];
    const byOrder = new Map<string, string[]>();
    const missing: string[] = [];
    for (const r of rows) {
      const cached = this.#links.get(r.id);
      if (cached === undefined) missing.push(r.id);
      else byOrder.set(r.id, cached);
    }
    if (missing.length > 0) {
      const links = await q
        .selectFrom('order_authorizations')
        .select(['order_id', 'authorization_id'])
        .where('order_id', 'in', missing)
        .orderBy('order_id')
        .orderBy('position')
        .execute();
      for (const id of missing) byOrder.set(id, []);
      for (const l of links) byOrder.get(l.order_id)!.push(l.authorization_id);
      for (const id of missing) this.#links.set(id, byOrder.get(id)!);
    }
    return rows.map((r) => toOrder(r, byOrder.get(r.id)!));
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
    const withSerial = changes.certificateSerial !== undefined;
    const withError = changes.error !== undefined;
    const shape = `${withSerial}:${withError}:${froms.length}`;
    const update = (db: Kysely<Schema>) =>
      db
        .updateTable('orders')
        .set({ status: slot('to'), updated_at: slot<number>('updatedAt') })
        .$if(withSerial, (u) => u.set({ certificate_serial: slot('certificateSerial') }))
        .$if(withError, (u) => u.set({ error: slot('error') }))
        .where('id', '=', slot('id'))
        .where('status', 'in', fromSlots(froms));
    const values = {
      to,
      updatedAt: toMillis(changes.updatedAt),
      certificateSerial: changes.certificateSerial,
      error: withError ? toJson(changes.error) : undefined,
      id,
      ...fromValues(froms),
    };
    if (this.#updateReturning) {
      const template = this.#ctx.templates.get(`orders.transitionReturning:${shape}`, (q) => update(q).returningAll());
      const row = await this.#ctx.write((q) => template.first(q, values));
      // The links of an order never change once it is created.
      return row === undefined ? undefined : toOrder(row, await this.#readLinks(this.#ctx.open(), id));
    }
    return this.#ctx.transaction(async (trx) => {
      if ((await this.#ctx.templates.get(`orders.transition:${shape}`, update).affected(trx, values)) !== 1) return undefined;
      return this.#readOrder(trx, id);
    });
  }

  /** The authorization ids of an order, by position (from the cache when there). */
  async #readLinks(q: Queryable, orderId: string): Promise<string[]> {
    const cached = this.#links.get(orderId);
    if (cached !== undefined) return cached;
    const rows = await this.#ctx.templates
      .get('orders.links', (db) =>
        db.selectFrom('order_authorizations').select('authorization_id').where('order_id', '=', slot('orderId')).orderBy('position'),
      )
      .rows(q, { orderId });
    const ids = rows.map((r) => r.authorization_id);
    this.#links.set(orderId, ids);
    return ids;
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

  /**
   * @inheritdoc Pending orders linking the authorization (through the
   * `order_authorizations_authorization_idx` index), oldest first.
   */
  async listPendingOrdersByAuthorization(authorizationId: string, limit: number): Promise<Order[]> {
    const q = this.#ctx.open();
    const rows = await this.#ctx.templates
      .get('orders.pendingByAuthorization', (db) =>
        // Driven from the link index (an IN-subquery lets SQLite scan all pending orders instead);
        // an order links an authorization at most once, so the join repeats no order.
        db
          .selectFrom('order_authorizations')
          .innerJoin('orders', 'orders.id', 'order_authorizations.order_id')
          .selectAll('orders')
          .where('order_authorizations.authorization_id', '=', slot('authorizationId'))
          .where('orders.status', '=', 'pending')
          .orderBy('orders.created_at')
          .orderBy('orders.id')
          .limit(slot<number>('limit')),
      )
      .rows(q, { authorizationId, limit });
    return this.#withAuthorizationIds(q, rows);
  }

  /** @inheritdoc */
  async getAuthorization(id: string): Promise<Authorization | undefined> {
    return (await readAuthorizations(this.#ctx.templates, this.#ctx.open(), [id]))[0];
  }

  /** @inheritdoc */
  async getAuthorizations(ids: readonly string[]): Promise<Authorization[]> {
    return readAuthorizations(this.#ctx.templates, this.#ctx.open(), ids);
  }

  /** @inheritdoc */
  async findReusableAuthorization(
    accountId: string,
    identifier: Identifier,
    wildcard: boolean,
    validUntil: Date,
  ): Promise<Authorization | undefined> {
    const q = this.#ctx.open();
    const row = await this.#ctx.templates
      .get('authorizations.reusable', (db) =>
        db
          .selectFrom('authorizations')
          .select('id')
          .where('account_id', '=', slot('accountId'))
          .where('identifier_type', '=', slot('identifierType'))
          .where('identifier_value', '=', slot('identifierValue'))
          .where('wildcard', '=', slot<number>('wildcard'))
          .where('status', '=', 'valid')
          .where('expires', '>=', slot<number>('validUntil'))
          .orderBy('expires', 'desc')
          .orderBy('created_at')
          .orderBy('id')
          .limit(1),
      )
      .first(q, {
        accountId,
        identifierType: identifier.type,
        identifierValue: identifier.value,
        wildcard: wildcard ? 1 : 0,
        validUntil: toMillis(validUntil),
      });
    return row === undefined ? undefined : (await readAuthorizations(this.#ctx.templates, q, [row.id]))[0];
  }

  /** @inheritdoc */
  async transitionAuthorization(
    id: string,
    from: AuthorizationStatus | readonly AuthorizationStatus[],
    to: AuthorizationStatus,
  ): Promise<Authorization | undefined> {
    const froms = checkTransitionRequest('authorization', AUTHORIZATION_TRANSITIONS, from, to);
    if (froms.length === 0) return undefined;
    const update = this.#ctx.templates.get(`authorizations.transition:${froms.length}`, (db) =>
      db.updateTable('authorizations').set({ status: slot('to') }).where('id', '=', slot('id')).where('status', 'in', fromSlots(froms)),
    );
    return this.#ctx.transaction(async (trx) => {
      if ((await update.affected(trx, { to, id, ...fromValues(froms) })) !== 1) return undefined;
      return (await readAuthorizations(this.#ctx.templates, trx, [id]))[0];
    });
  }

  /** @inheritdoc */
  async createAuthorization(authorization: NewAuthorization): Promise<Authorization> {
    checkNewOrderIds([authorization], []);
    try {
      // A taken id fails the insert (primary key); the conflict then names it.
      await this.#ctx.transaction((trx) => insertAuthorization(this.#ctx.templates, trx, authorization));
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
    const row = await this.#challengeById().first(this.#ctx.open(), { id });
    return row === undefined ? undefined : toChallenge(row);
  }

  /** @inheritdoc */
  async listChallengesByStatus(status: ChallengeStatus, options: { limit: number; processingBefore?: Date }): Promise<Challenge[]> {
    const before = options.processingBefore;
    const rows = await this.#ctx
      .open()
      .selectFrom('challenges')
      .selectAll()
      .where('status', '=', status)
      .$if(before !== undefined, (q) => q.where('processing_at', '<', toMillis(before!)))
      .orderBy('id')
      .limit(options.limit)
      .execute();
    return rows.map(toChallenge);
  }

  /** @inheritdoc */
  async reclaimChallenge(id: string, startedAt: Date | undefined, processingAt: Date): Promise<Challenge | undefined> {
    const shape = startedAt === undefined ? 'unknown' : 'known';
    const update = (db: Kysely<Schema>) =>
      db
        .updateTable('challenges')
        .set({ processing_at: slot<number>('processingAt') })
        .where('id', '=', slot('id'))
        .where('status', '=', 'processing')
        .where((eb) => (startedAt === undefined ? eb('processing_at', 'is', null) : eb('processing_at', '=', slot<number>('startedAt'))));
    const values = { id, processingAt: toMillis(processingAt), startedAt: startedAt === undefined ? undefined : toMillis(startedAt) };
    return this.#updateChallenge(`challenges.reclaim:${shape}`, update, id, values);
  }

  #challengeById(): QueryTemplate<Selectable<ChallengesTable>> {
    return this.#ctx.templates.get('challenges.byId', (db) => db.selectFrom('challenges').selectAll().where('id', '=', slot('id')));
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
    const { validatedAt, error, validationRecord, processingAt } = changes;
    const shape = `${validatedAt !== undefined}:${error !== undefined}:${validationRecord !== undefined}:${processingAt !== undefined}:${froms.length}`;
    const update = (db: Kysely<Schema>) =>
      db
        .updateTable('challenges')
        .set({ status: slot('to') })
        .$if(validatedAt !== undefined, (u) => u.set({ validated_at: slot<number>('validatedAt') }))
        .$if(error !== undefined, (u) => u.set({ error: slot('error') }))
        .$if(validationRecord !== undefined, (u) => u.set({ validation_record: slot('validationRecord') }))
        .$if(processingAt !== undefined, (u) => u.set({ processing_at: slot<number>('processingAt') }))
        .where('id', '=', slot('id'))
        .where('status', 'in', fromSlots(froms));
    const values = {
      to,
      validatedAt: validatedAt === undefined ? undefined : toMillis(validatedAt),
      error: error === undefined ? undefined : toJson(error),
      validationRecord: validationRecord === undefined ? undefined : toJson(validationRecord),
      processingAt: processingAt === undefined ? undefined : toMillis(processingAt),
      id,
      ...fromValues(froms),
    };
    return this.#updateChallenge(`challenges.transition:${shape}`, update, id, values);
  }

  /**
   * Runs a conditional UPDATE of one challenge (compiled once per `key`) and
   * returns the challenge as updated, or `undefined` when no row matched:
   * one `UPDATE … RETURNING`, or on MariaDB/MySQL the update and a read in
   * one transaction.
   */
  async #updateChallenge(
    key: string,
    update: (db: Kysely<Schema>) => UpdateQueryBuilder<Schema, 'challenges', 'challenges', UpdateResult>,
    id: string,
    values: Record<string, unknown>,
  ): Promise<Challenge | undefined> {
    if (this.#updateReturning) {
      const template = this.#ctx.templates.get(`${key}:returning`, (q) => update(q).returningAll());
      const row = await this.#ctx.write((q) => template.first(q, values));
      return row === undefined ? undefined : toChallenge(row);
    }
    return this.#ctx.transaction(async (trx) => {
      if ((await this.#ctx.templates.get(key, update).affected(trx, values)) !== 1) return undefined;
      const row = await this.#challengeById().first(trx, { id });
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

/**
 * Inserts a new authorization and its pending challenges (positions keep
 * their creation order), with queries compiled once (the challenges' per
 * challenge count).
 */
async function insertAuthorization(templates: QueryTemplates, q: Queryable, a: NewAuthorization): Promise<void> {
  await templates
    .get('authorizations.insert', (db) =>
      db.insertInto('authorizations').values({
        id: slot('id'),
        account_id: slot('accountId'),
        identifier_type: slot('identifierType'),
        identifier_value: slot('identifierValue'),
        wildcard: slot<number>('wildcard'),
        status: slot('status'),
        expires: slot<number>('expires'),
        created_at: slot<number>('createdAt'),
      }),
    )
    .execute(q, {
      id: a.id,
      accountId: a.accountId,
      identifierType: a.identifier.type,
      identifierValue: a.identifier.value,
      wildcard: a.wildcard ? 1 : 0,
      status: a.status,
      expires: toMillis(a.expires),
      createdAt: toMillis(a.createdAt),
    });
  const count = a.challenges.length;
  if (count === 0) return;
  const values: Record<string, unknown> = { authorizationId: a.id };
  a.challenges.forEach((c, i) => {
    values[`id${i}`] = c.id;
    values[`type${i}`] = c.type;
    values[`token${i}`] = c.token;
  });
  await templates
    .get(`challenges.insert:${count}`, (db) =>
      db.insertInto('challenges').values(
        Array.from({ length: count }, (_, position) => ({
          id: slot(`id${position}`),
          authorization_id: slot('authorizationId'),
          position,
          type: slot(`type${position}`),
          status: 'pending',
          token: slot(`token${position}`),
        })),
      ),
    )
    .execute(q, values);
}

/** Slots `from0`, `from1`, … for a `status in (…)` list of `froms.length` statuses. */
function fromSlots(froms: readonly string[]): string[] {
  return froms.map((_, i) => slot(`from${i}`));
}

/** The values of {@link fromSlots}. */
function fromValues(froms: readonly string[]): Record<string, string> {
  const values: Record<string, string> = {};
  froms.forEach((status, i) => (values[`from${i}`] = status));
  return values;
}

/**
 * Authorizations joined to their challenges: one row per challenge (one
 * row with NULL challenge columns for an authorization without any), by
 * authorization id and then challenge position.
 */
function authorizationsWithChallenges(db: Kysely<Schema>, ids: readonly string[]) {
  return db
    .selectFrom('authorizations')
    .leftJoin('challenges', 'challenges.authorization_id', 'authorizations.id')
    .selectAll('authorizations')
    .select([
      'challenges.id as challenge_id',
      'challenges.position as challenge_position',
      'challenges.type as challenge_type',
      'challenges.status as challenge_status',
      'challenges.token as challenge_token',
      'challenges.validated_at as challenge_validated_at',
      'challenges.error as challenge_error',
      'challenges.validation_record as challenge_validation_record',
      'challenges.processing_at as challenge_processing_at',
    ])
    .where('authorizations.id', 'in', ids)
    .orderBy('authorizations.id')
    .orderBy('challenges.position');
}

/** Authorizations with their challenges in one statement, in the order of `ids` (unknown ids left out). */
async function readAuthorizations(templates: QueryTemplates, q: Queryable, ids: readonly string[]): Promise<Authorization[]> {
  if (ids.length === 0) return [];
  const unique = [...new Set(ids)];
  const rows =
    unique.length <= MAX_TEMPLATED_IDS
      ? await templates
          .get(`authorizations.byIds:${unique.length}`, (db) => authorizationsWithChallenges(db, unique.map((_, i) => slot(`id${i}`))))
          .rows(q, Object.fromEntries(unique.map((id, i) => [`id${i}`, id])))
      : await authorizationsWithChallenges(q, unique).execute();
  const byId = new Map<string, Authorization>();
  for (const row of rows) {
    const {
      challenge_id,
      challenge_position,
      challenge_type,
      challenge_status,
      challenge_token,
      challenge_validated_at,
      challenge_error,
      challenge_validation_record,
      challenge_processing_at,
      ...authorization
    } = row;
    let entry = byId.get(authorization.id);
    if (entry === undefined) {
      entry = toAuthorization(authorization, []);
      byId.set(authorization.id, entry);
    }
    if (challenge_id === null) continue;
    entry.challenges.push(
      toChallenge({
        id: challenge_id,
        authorization_id: authorization.id,
        position: challenge_position ?? 0,
        type: challenge_type ?? '',
        status: challenge_status ?? '',
        token: challenge_token ?? '',
        validated_at: challenge_validated_at,
        error: challenge_error,
        validation_record: challenge_validation_record,
        processing_at: challenge_processing_at,
      }),
    );
  }
  // Each id answers its own object: an id asked for twice gets a copy the second time.
  const given = new Set<string>();
  return ids.flatMap((id) => {
    const a = byId.get(id);
    if (a === undefined) return [];
    if (given.has(id)) return [structuredClone(a)];
    given.add(id);
    return [a];
  });
}
