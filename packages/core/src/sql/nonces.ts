import { duplicateKey } from '../store/store-errors.js';
import type { NonceStore } from '../store/types.js';
import type { SqlContext } from './context.js';
import { isUniqueViolation } from './dialect.js';
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
      await this.#ctx.open().insertInto('nonces').values({ value, expires: toMillis(expires) }).execute();
    } catch (err) {
      if (isUniqueViolation(err, this.#ctx.dialect)) throw duplicateKey('nonce', value);
      throw err;
    }
  }

  /** @inheritdoc An expired nonce is removed too, but does not redeem. */
  async redeemNonce(value: string, now: Date): Promise<boolean> {
    const db = this.#ctx.open();
    const redeemed = await db.deleteFrom('nonces').where('value', '=', value).where('expires', '>', toMillis(now)).executeTakeFirst();
    if (Number(redeemed.numDeletedRows) === 1) return true;
    await db.deleteFrom('nonces').where('value', '=', value).execute();
    return false;
  }
}
