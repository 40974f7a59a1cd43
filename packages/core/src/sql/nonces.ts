import { duplicateKey } from '../store/store-errors.js';
import type { NonceStore } from '../store/types.js';
import type { SqlContext } from './context.js';
import { isUniqueViolation } from './dialect.js';
import { slot } from './prepared-queries.js';
import { toMillis } from './rows.js';

/**
 * Anti-replay nonces in SQL (RFC 8555 §7.2), shared by every server
 * instance on the database. Redemption is one
 * `DELETE … WHERE value = ? AND expires > ?`: of two racing redemptions only
 * one deletes the row, so only one succeeds.
 */
export class SqlNonceStore implements NonceStore {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  /** @inheritdoc Throws `conflict` if the value was already issued. */
  async issueNonce(value: string, expires: Date): Promise<void> {
    try {
      const insert = this.#ctx.templates.get('nonces.insert', (db) => db.insertInto('nonces').values({ value: slot('value'), expires: slot<number>('expires') }));
      await this.#ctx.write((q) => insert.execute(q, { value, expires: toMillis(expires) }));
    } catch (err) {
      if (isUniqueViolation(err, this.#ctx.dialect)) throw duplicateKey('nonce', value);
      throw err;
    }
  }

  /**
   * @inheritdoc One multi-row INSERT (compiled once per batch size): atomic,
   * so a taken value fails the whole batch with `conflict` naming it when
   * the database says which, else naming the batch.
   */
  async issueNonces(values: readonly string[], expires: Date): Promise<void> {
    if (values.length === 0) return;
    if (new Set(values).size !== values.length) {
      throw duplicateKey('nonce', values.find((v, i) => values.indexOf(v) !== i)!);
    }
    const slots: Record<string, unknown> = { expires: toMillis(expires) };
    values.forEach((v, i) => (slots[`value${i}`] = v));
    const insert = this.#ctx.templates.get(`nonces.insertMany:${values.length}`, (db) =>
      db.insertInto('nonces').values(values.map((_, i) => ({ value: slot(`value${i}`), expires: slot<number>('expires') }))),
    );
    try {
      await this.#ctx.write((q) => insert.execute(q, slots));
    } catch (err) {
      if (!isUniqueViolation(err, this.#ctx.dialect)) throw err;
      const taken = values.find((v) => (err as Error).message.includes(v));
      throw duplicateKey('nonce', taken ?? `one of ${values.length} new nonces`);
    }
  }

  /** @inheritdoc An expired nonce is removed too, but does not redeem. */
  async redeemNonce(value: string, now: Date): Promise<boolean> {
    const redeem = this.#ctx.templates.get('nonces.redeem', (q) => q.deleteFrom('nonces').where('value', '=', slot('value')).where('expires', '>', slot<number>('now')));
    const remove = this.#ctx.templates.get('nonces.delete', (q) => q.deleteFrom('nonces').where('value', '=', slot('value')));
    return this.#ctx.write(async (q) => {
      if ((await redeem.affected(q, { value, now: toMillis(now) })) === 1) return true;
      await remove.execute(q, { value });
      return false;
    });
  }
}
