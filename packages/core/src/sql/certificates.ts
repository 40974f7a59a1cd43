import type { Kysely, Selectable, Updateable } from 'kysely';
import type { BlockedKey, CertificateRecord, CertificateState, Revocation, RevocationReason } from '../domain/entities.js';
import { decodeSerialCursor, serialCursor } from '../store/page-cursor.js';
import { reRevocationNotKeyCompromise, serialInUse } from '../store/store-errors.js';
import type { CertificateStore, Page, PlannedCertificate, SerialReservation } from '../store/types.js';
import type { SqlContext } from './context.js';
import { isUniqueViolation } from './dialect.js';
import { toBlockedKey, toBuffer, toCertificate, toJson, toMillis, toRevocation } from './rows.js';
import { slot } from './prepared-queries.js';
import type { QueryTemplate } from './prepared-queries.js';
import type { CertificatesTable, Schema } from './schema.js';

/** Certificate states a revocation applies to: something may have been signed. */
const REVOCABLE: readonly CertificateState[] = ['planned', 'precertificate', 'issued'];
/** Certificate states listed per issuer (for CRLs and OCSP): planned or later, never abandoned. */
const LISTED_BY_ISSUER: readonly CertificateState[] = ['planned', 'precertificate', 'issued'];
/** RFC 5280 §5.3.1 keyCompromise, the only reason a re-revocation may set. */
const KEY_COMPROMISE: RevocationReason = 1;

/**
 * The write-ahead issuance records, revocations and blocked keys in SQL.
 * Serial uniqueness across issuers is the table's primary key; each pipeline
 * step and each revocation is one conditional UPDATE on the serial and its
 * current state, judged by the affected-row count.
 */
export class SqlCertificateStore implements CertificateStore {
  readonly #ctx: SqlContext;
  /** SQLite and PostgreSQL answer an INSERT or UPDATE with the row it wrote (`RETURNING *`); MariaDB/MySQL read it back. */
  readonly #returning: boolean;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
    this.#returning = ctx.dialect !== 'mysql';
  }

  /** @inheritdoc */
  async reserveSerial(reservation: SerialReservation): Promise<CertificateRecord> {
    const insert = (db: Kysely<Schema>) =>
      db.insertInto('certificates').values({
        serial: slot('serial'),
        issuer_id: slot('issuerId'),
        state: 'reserved',
        account_id: slot<string | null>('accountId'),
        order_id: slot<string | null>('orderId'),
        identifiers: slot('identifiers'),
        profile: slot<string | null>('profile'),
        crl_shard: slot<number>('crlShard'),
        created_at: slot<number>('createdAt'),
        updated_at: slot<number>('createdAt'),
      });
    const values = {
      serial: reservation.serial,
      issuerId: reservation.issuerId,
      accountId: reservation.accountId ?? null,
      orderId: reservation.orderId ?? null,
      identifiers: toJson(reservation.identifiers),
      profile: reservation.profile ?? null,
      crlShard: reservation.crlShard,
      createdAt: toMillis(reservation.createdAt),
    };
    let stored: CertificateRecord | undefined;
    try {
      if (this.#returning) {
        const template = this.#ctx.templates.get('certificates.reserveReturning', (db) => insert(db).returningAll());
        const row = await this.#ctx.write((q) => template.first(q, values));
        stored = row === undefined ? undefined : toCertificate(row);
      } else {
        const template = this.#ctx.templates.get('certificates.reserve', insert);
        await this.#ctx.write((q) => template.execute(q, values));
        stored = await this.getCertificate(reservation.serial);
      }
    } catch (err) {
      if (isUniqueViolation(err, this.#ctx.dialect)) throw serialInUse(reservation.serial);
      throw err;
    }
    if (stored === undefined) throw serialInUse(reservation.serial);
    return stored;
  }

  /** @inheritdoc */
  async recordPlanned(serial: string, planned: PlannedCertificate): Promise<CertificateRecord | undefined> {
    return this.#move(serial, ['reserved'], 'planned', {
      planned_tbs: toBuffer(planned.plannedTbs),
      not_before: toMillis(planned.notBefore),
      not_after: toMillis(planned.notAfter),
      updated_at: toMillis(planned.updatedAt),
    });
  }

  /** @inheritdoc */
  async recordPrecertificate(serial: string, der: Uint8Array, at: Date): Promise<CertificateRecord | undefined> {
    return this.#move(serial, ['planned'], 'precertificate', { precertificate_der: toBuffer(der), updated_at: toMillis(at) });
  }

  /** @inheritdoc */
  async recordIssued(serial: string, der: Uint8Array, at: Date): Promise<CertificateRecord | undefined> {
    return this.#move(serial, ['planned', 'precertificate'], 'issued', { certificate_der: toBuffer(der), updated_at: toMillis(at) });
  }

  /** @inheritdoc */
  async recordAbandoned(serial: string, at: Date): Promise<CertificateRecord | undefined> {
    return this.#move(serial, ['reserved', 'planned'], 'abandoned', { updated_at: toMillis(at) });
  }

  /**
   * One pipeline step: `UPDATE … WHERE serial = ? AND state IN (from)` and
   * the updated record — one statement with `RETURNING *`, else the update
   * and a read back in one transaction. The query is compiled once per step
   * (its columns and states are fixed), with the serial and values as slots.
   */
  async #move(
    serial: string,
    from: readonly CertificateState[],
    to: CertificateState,
    changes: Updateable<CertificatesTable>,
  ): Promise<CertificateRecord | undefined> {
    const columns = Object.keys(changes) as (keyof CertificatesTable)[];
    const shape = `${to}:${from.join(',')}:${columns.join(',')}`;
    const update = (db: Kysely<Schema>) =>
      db
        .updateTable('certificates')
        .set({ ...Object.fromEntries(columns.map((c) => [c, slot(`set.${c}`)])), state: to })
        .where('serial', '=', slot('serial'))
        .where('state', 'in', from);
    const values: Record<string, unknown> = { serial };
    for (const c of columns) values[`set.${c}`] = changes[c];
    if (this.#returning) {
      const template = this.#ctx.templates.get(`certificates.moveReturning:${shape}`, (db) => update(db).returningAll());
      const row = await this.#ctx.write((q) => template.first(q, values));
      return row === undefined ? undefined : toCertificate(row);
    }
    const template = this.#ctx.templates.get(`certificates.move:${shape}`, update);
    return this.#ctx.transaction(async (trx) => {
      if ((await template.affected(trx, values)) !== 1) return undefined;
      const row = await this.#bySerial().first(trx, { serial });
      return row === undefined ? undefined : toCertificate(row);
    });
  }

  #bySerial(): QueryTemplate<Selectable<CertificatesTable>> {
    return this.#ctx.templates.get('certificates.bySerial', (db) => db.selectFrom('certificates').selectAll().where('serial', '=', slot('serial')));
  }

  /** @inheritdoc */
  async getCertificate(serial: string): Promise<CertificateRecord | undefined> {
    const row = await this.#bySerial().first(this.#ctx.open(), { serial });
    return row === undefined ? undefined : toCertificate(row);
  }

  /** @inheritdoc Least recently updated first. */
  async listCertificatesByState(
    states: readonly CertificateState[],
    options: { updatedBefore: Date; limit: number },
  ): Promise<CertificateRecord[]> {
    const db = this.#ctx.open();
    if (states.length === 0) return [];
    const rows = await db
      .selectFrom('certificates')
      .selectAll()
      .where('state', 'in', states)
      .where('updated_at', '<', toMillis(options.updatedBefore))
      .orderBy('updated_at')
      .orderBy('serial')
      .limit(options.limit)
      .execute();
    return rows.map(toCertificate);
  }

  /** @inheritdoc Ascending by serial (keyset paging). */
  async listCertificatesByIssuer(
    issuerId: string,
    options: { notAfterFrom: Date; limit: number; cursor?: string },
  ): Promise<Page<CertificateRecord>> {
    const after = options.cursor === undefined ? undefined : decodeSerialCursor(options.cursor);
    const rows = await this.#ctx
      .open()
      .selectFrom('certificates')
      .selectAll()
      .where('issuer_id', '=', issuerId)
      .where('state', 'in', LISTED_BY_ISSUER)
      .where('not_after', '>=', toMillis(options.notAfterFrom))
      .$if(after !== undefined, (q) => q.where('serial', '>', after ?? ''))
      .orderBy('serial')
      .limit(options.limit + 1)
      .execute();
    const items = rows.slice(0, options.limit).map(toCertificate);
    const page: Page<CertificateRecord> = { items };
    const last = items[items.length - 1];
    if (rows.length > options.limit && last !== undefined) page.next = serialCursor(last.serial);
    return page;
  }

  /** @inheritdoc */
  async revoke(serial: string, reason: RevocationReason, revokedAt: Date): Promise<Revocation | undefined> {
    return this.#ctx.transaction(async (trx) => {
      const result = await trx
        .updateTable('certificates')
        .set({ revoked_at: toMillis(revokedAt), revocation_reason: reason })
        .where('serial', '=', serial)
        .where('state', 'in', REVOCABLE)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return undefined;
      const row = await trx.selectFrom('certificates').selectAll().where('serial', '=', serial).executeTakeFirst();
      return row === undefined ? undefined : toRevocation(row);
    });
  }

  /** @inheritdoc Only keyCompromise may be set (`badRevocationReason` otherwise); `revokedAt` is kept. */
  async updateRevocationReason(serial: string, from: RevocationReason, to: RevocationReason): Promise<Revocation | undefined> {
    if (to !== KEY_COMPROMISE) throw reRevocationNotKeyCompromise(to);
    return this.#ctx.transaction(async (trx) => {
      const result = await trx
        .updateTable('certificates')
        .set({ revocation_reason: to })
        .where('serial', '=', serial)
        .where('revoked_at', 'is not', null)
        .where('revocation_reason', '=', from)
        .where('revocation_reason', '<>', KEY_COMPROMISE)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return undefined;
      const row = await trx.selectFrom('certificates').selectAll().where('serial', '=', serial).executeTakeFirst();
      return row === undefined ? undefined : toRevocation(row);
    });
  }

  /** @inheritdoc By serial. */
  async listRevocations(issuerId: string, options: { shard?: number; notAfterFrom: Date }): Promise<Revocation[]> {
    const rows = await this.#ctx
      .open()
      .selectFrom('certificates')
      .selectAll()
      .where('issuer_id', '=', issuerId)
      .where('revoked_at', 'is not', null)
      .$if(options.shard !== undefined, (q) => q.where('crl_shard', '=', options.shard ?? 0))
      .where('not_after', '>=', toMillis(options.notAfterFrom))
      .orderBy('serial')
      .execute();
    return rows.map(toRevocation);
  }

  /** @inheritdoc The first entry for a key is kept. */
  async addBlockedKey(key: BlockedKey): Promise<void> {
    try {
      await this.#ctx.write((q) =>
        q
          .insertInto('blocked_keys')
          .values({
            spki_sha256: key.spkiSha256,
            reason: key.reason,
            added_at: toMillis(key.addedAt),
            source_serial: key.sourceSerial ?? null,
          })
          .execute(),
      );
    } catch (err) {
      if (!isUniqueViolation(err, this.#ctx.dialect)) throw err;
    }
  }

  /** @inheritdoc */
  async getBlockedKey(spkiSha256: string): Promise<BlockedKey | undefined> {
    const row = await this.#ctx.templates
      .get('blockedKeys.byHash', (db) => db.selectFrom('blocked_keys').selectAll().where('spki_sha256', '=', slot('spkiSha256')))
      .first(this.#ctx.open(), { spkiSha256 });
    return row === undefined ? undefined : toBlockedKey(row);
  }
}
