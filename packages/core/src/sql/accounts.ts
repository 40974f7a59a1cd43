import { CertwrightError } from '../errors.js';
import { ACCOUNT_TRANSITIONS } from '../domain/status.js';
import type { Account, EabKey } from '../domain/entities.js';
import { checkTransitionRequest } from '../store/transition-guard.js';
import { duplicateKey, eabKeyAlreadyBound, thumbprintInUse, unknownEabKey } from '../store/store-errors.js';
import type { AccountChanges, AccountStore, NewAccount } from '../store/types.js';
import type { Queryable, SqlContext } from './context.js';
import { isUniqueViolation } from './dialect.js';
import { slot } from './prepared-queries.js';
import { copyJson, toAccount, toBuffer, toEabKey, toJson, toMillis } from './rows.js';

/**
 * Accounts and EAB keys in SQL (RFC 8555 §7.3). Account creation with an EAB
 * key is one transaction whose bind step is a conditional UPDATE of the key
 * (`bound_account_id IS NULL`); account updates are compare-and-set on
 * `version`; thumbprint uniqueness is a unique constraint.
 */
export class SqlAccountStore implements AccountStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  /** @inheritdoc */
  async createAccount(account: NewAccount): Promise<Account> {
    try {
      await this.#ctx.transaction(async (trx) => {
        await this.#checkAccountKeys(trx, account.id, account.thumbprint);
        if (account.eabKeyId !== undefined) await this.#bindEabKey(trx, account.eabKeyId, account.id, account.createdAt);
        await trx
          .insertInto('accounts')
          .values({
            id: account.id,
            status: 'valid',
            jwk: toJson(account.jwk),
            thumbprint: account.thumbprint,
            contact: toJson(account.contact),
            terms_agreed: account.termsOfServiceAgreed ? 1 : 0,
            eab_key_id: account.eabKeyId ?? null,
            created_at: toMillis(account.createdAt),
            version: 1,
          })
          .execute();
      });
    } catch (err) {
      // A concurrent creation won the race between our check and our insert.
      if (isUniqueViolation(err, this.#ctx.dialect)) await this.#checkAccountKeys(this.#ctx.open(), account.id, account.thumbprint);
      throw err;
    }
    const stored = await this.getAccount(account.id);
    if (stored === undefined) throw new CertwrightError('serverInternal', `Account "${account.id}" vanished after its creation`);
    return stored;
  }

  /** Throws `conflict` if the thumbprint (first) or the id is taken. */
  async #checkAccountKeys(q: Queryable, id: string, thumbprint: string): Promise<void> {
    const taken = await q
      .selectFrom('accounts')
      .select(['id', 'thumbprint'])
      .where((eb) => eb.or([eb('id', '=', id), eb('thumbprint', '=', thumbprint)]))
      .execute();
    if (taken.some((r) => r.thumbprint === thumbprint)) throw thumbprintInUse(thumbprint);
    if (taken.length > 0) throw duplicateKey('account', id);
  }

  /** Binds an unbound EAB key to `accountId` (RFC 8555 §7.3.4); throws `unauthorized` if unknown or bound. */
  async #bindEabKey(trx: Queryable, keyId: string, accountId: string, at: Date): Promise<void> {
    const result = await trx
      .updateTable('eab_keys')
      .set({ bound_account_id: accountId, bound_at: toMillis(at) })
      .where('key_id', '=', keyId)
      .where('bound_account_id', 'is', null)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) return;
    const existing = await trx.selectFrom('eab_keys').select('key_id').where('key_id', '=', keyId).executeTakeFirst();
    throw existing === undefined ? unknownEabKey(keyId) : eabKeyAlreadyBound(keyId);
  }

  /** @inheritdoc */
  async getAccount(id: string): Promise<Account | undefined> {
    const row = await this.#ctx.templates
      .get('accounts.byId', (db) => db.selectFrom('accounts').selectAll().where('id', '=', slot('id')))
      .first(this.#ctx.open(), { id });
    return row === undefined ? undefined : toAccount(row);
  }

  /** @inheritdoc */
  async getAccountByThumbprint(thumbprint: string): Promise<Account | undefined> {
    const row = await this.#ctx.templates
      .get('accounts.byThumbprint', (db) => db.selectFrom('accounts').selectAll().where('thumbprint', '=', slot('thumbprint')))
      .first(this.#ctx.open(), { thumbprint });
    return row === undefined ? undefined : toAccount(row);
  }

  /** @inheritdoc */
  async updateAccount(id: string, expectedVersion: number, changes: AccountChanges): Promise<Account | undefined> {
    const current = await this.getAccount(id);
    if (current === undefined || current.version !== expectedVersion) return undefined;
    if (changes.status !== undefined && changes.status !== current.status) {
      checkTransitionRequest('account', ACCOUNT_TRANSITIONS, current.status, changes.status);
    }
    const thumbprint = changes.thumbprint ?? current.thumbprint;
    if (thumbprint !== current.thumbprint) {
      const owner = await this.getAccountByThumbprint(thumbprint);
      if (owner !== undefined && owner.id !== id) throw thumbprintInUse(thumbprint);
    }
    const next: Account = {
      ...current,
      status: changes.status ?? current.status,
      contact: changes.contact ?? current.contact,
      jwk: changes.jwk ?? current.jwk,
      thumbprint,
      version: current.version + 1,
    };
    let updated: number;
    try {
      const template = this.#ctx.templates
        .get('accounts.update', (db) =>
          db
            .updateTable('accounts')
            .set({
              status: slot('status'),
              contact: slot('contact'),
              jwk: slot('jwk'),
              thumbprint: slot('thumbprint'),
              version: slot<number>('version'),
            })
            .where('id', '=', slot('id'))
            .where('version', '=', slot<number>('expectedVersion')),
        );
      updated = await this.#ctx.write((q) =>
        template.affected(q, {
          status: next.status,
          contact: toJson(next.contact),
          jwk: toJson(next.jwk),
          thumbprint: next.thumbprint,
          version: next.version,
          id,
          expectedVersion,
        }),
      );
    } catch (err) {
      if (isUniqueViolation(err, this.#ctx.dialect)) throw thumbprintInUse(thumbprint);
      throw err;
    }
    // The version guard makes `current` the row we replaced, so `next` is what is stored now.
    return updated === 1 ? { ...next, jwk: copyJson(next.jwk), contact: copyJson(next.contact) } : undefined;
  }

  /** @inheritdoc */
  async createEabKey(key: Omit<EabKey, 'boundAccountId' | 'boundAt'>): Promise<EabKey> {
    try {
      await this.#ctx.write((q) =>
        q
          .insertInto('eab_keys')
          .values({
            key_id: key.keyId,
            hmac_key: toBuffer(key.hmacKey),
            label: key.label ?? null,
            created_at: toMillis(key.createdAt),
          })
          .execute(),
      );
    } catch (err) {
      if (isUniqueViolation(err, this.#ctx.dialect)) throw duplicateKey('external account binding key', key.keyId);
      throw err;
    }
    const stored = await this.getEabKey(key.keyId);
    if (stored === undefined) throw duplicateKey('external account binding key', key.keyId);
    return stored;
  }

  /** @inheritdoc */
  async getEabKey(keyId: string): Promise<EabKey | undefined> {
    const row = await this.#ctx.open().selectFrom('eab_keys').selectAll().where('key_id', '=', keyId).executeTakeFirst();
    return row === undefined ? undefined : toEabKey(row);
  }

  /** @inheritdoc EAB keys by key id. */
  async listEabKeys(): Promise<EabKey[]> {
    const rows = await this.#ctx.open().selectFrom('eab_keys').selectAll().orderBy('key_id').execute();
    return rows.map(toEabKey);
  }

  /** @inheritdoc */
  async deleteEabKey(keyId: string): Promise<boolean> {
    const result = await this.#ctx.write((q) =>
      q.deleteFrom('eab_keys').where('key_id', '=', keyId).where('bound_account_id', 'is', null).executeTakeFirst(),
    );
    return Number(result.numDeletedRows) === 1;
  }
}
