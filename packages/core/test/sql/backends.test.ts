import { describe, expect, it } from 'vitest';
import { isCertwrightError } from '../../src/errors.js';
import { at, bytes, newAccount, newOrderWithAuthorizations, newReservation, newSerial } from '../store/fixtures.js';
import { openFreshMysql, openFreshPostgres, openTempSqlite } from './databases.js';
import type { OpenedStore } from './databases.js';

/*
 * What the SQL backends must get right beyond the shared store contract:
 * keys compare byte-wise (MariaDB's default collations ignore case and would
 * merge base64url thumbprints that differ only in case), large documents and
 * byte arrays survive, and timestamps keep millisecond precision.
 */
function backendSuite(name: string, open: () => Promise<OpenedStore>): void {
  describe(`SQL specifics on ${name}`, () => {
    it('thumbprints and nonces that differ only in case are different keys', async () => {
      const { store, close } = await open();
      try {
        const a = await store.createAccount(newAccount({ thumbprint: 'AbCdEf-_0123' }));
        const b = await store.createAccount(newAccount({ thumbprint: 'abcdef-_0123' }));
        expect((await store.getAccountByThumbprint('AbCdEf-_0123'))?.id).toBe(a.id);
        expect((await store.getAccountByThumbprint('abcdef-_0123'))?.id).toBe(b.id);
        await store.issueNonce('NonceX', at(60));
        await store.issueNonce('noncex', at(60));
        expect(await store.redeemNonce('NONCEX', at(0))).toBe(false);
        expect(await store.redeemNonce('NonceX', at(0))).toBe(true);
        expect(await store.redeemNonce('noncex', at(0))).toBe(true);
      } finally {
        await close();
      }
    });

    it('a duplicate in another case is still a conflict only for the exact key', async () => {
      const { store, close } = await open();
      try {
        await store.createEabKey({ keyId: 'Key-1', hmacKey: bytes(1, 2, 3), createdAt: at(0) });
        await store.createEabKey({ keyId: 'key-1', hmacKey: bytes(4), createdAt: at(0) });
        const err = await store.createEabKey({ keyId: 'key-1', hmacKey: bytes(5), createdAt: at(0) }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isCertwrightError(err, 'conflict')).toBe(true);
        expect(isCertwrightError(err) && err.detail).toContain('key-1');
        expect((await store.listEabKeys()).map((k) => k.keyId)).toEqual(['Key-1', 'key-1']);
      } finally {
        await close();
      }
    });

    it('an empty `from` list matches no row (and is no SQL syntax error)', async () => {
      const { store, close } = await open();
      try {
        const account = await store.createAccount(newAccount());
        const { order, authorizations } = newOrderWithAuthorizations(account.id, ['a.example.com']);
        await store.createOrder(order, authorizations, []);
        const challenge = authorizations[0]!.challenges[0]!;
        expect(await store.transitionOrder(order.id, [], 'invalid', { updatedAt: at(1) })).toBeUndefined();
        expect(await store.transitionAuthorization(authorizations[0]!.id, [], 'invalid')).toBeUndefined();
        expect(await store.transitionChallenge(challenge.id, [], 'invalid')).toBeUndefined();
        expect(await store.listCertificatesByState([], { updatedBefore: at(10), limit: 10 })).toEqual([]);
        expect(await store.getAuthorizations([])).toEqual([]);
        expect((await store.getOrder(order.id))?.status).toBe('pending');
      } finally {
        await close();
      }
    });

    it('keeps millisecond timestamps, large documents and byte arrays intact', async () => {
      const { store, close } = await open();
      try {
        const created = new Date('2026-03-01T12:00:00.123Z');
        const contact = Array.from({ length: 400 }, (_, i) => `mailto:user${i}@${'x'.repeat(150)}.example`);
        const account = await store.createAccount(newAccount({ createdAt: created, contact }));
        expect(await store.getAccount(account.id)).toMatchObject({ createdAt: created, contact });
        const serial = newSerial();
        await store.reserveSerial(newReservation('issuer-1', { serial }));
        const tbs = new Uint8Array(200_000).map((_, i) => (i * 7) % 256);
        const planned = await store.recordPlanned(serial, { plannedTbs: tbs, notBefore: at(0), notAfter: at(90 * 86400), updatedAt: at(1) });
        expect(planned?.plannedTbs).toEqual(tbs);
        expect(planned?.plannedTbs).toBeInstanceOf(Uint8Array);
        expect(Buffer.isBuffer(planned?.plannedTbs)).toBe(false);
      } finally {
        await close();
      }
    });

    it('a CRL number row records when it was last handed out, in the database clock\'s milliseconds', async () => {
      const { store, close } = await open();
      try {
        const before = Date.now();
        await store.nextCrlNumber({ issuerId: 'issuer-a', shard: 2 });
        const row = await store.db.selectFrom('crl_numbers').selectAll().executeTakeFirstOrThrow();
        expect({ issuerId: row.issuer_id, shard: Number(row.shard), number: BigInt(row.number) }).toEqual({ issuerId: 'issuer-a', shard: 2, number: 1n });
        // The database runs on this machine: its clock agrees with ours to well within a minute.
        expect(Math.abs(Number(row.updated_at) - before)).toBeLessThan(60_000);
      } finally {
        await close();
      }
    });
  });
}

backendSuite('SQLite', openTempSqlite);
const pgUrl = process.env['CERTWRIGHT_TEST_POSTGRES_URL'];
if (pgUrl !== undefined && pgUrl !== '') backendSuite('PostgreSQL', () => openFreshPostgres(pgUrl));
const myUrl = process.env['CERTWRIGHT_TEST_MYSQL_URL'];
if (myUrl !== undefined && myUrl !== '') backendSuite('MariaDB', () => openFreshMysql(myUrl));
