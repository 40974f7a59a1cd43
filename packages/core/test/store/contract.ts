import { describe, expect, it } from 'vitest';
import { isCertwrightError, type ErrorCode } from '../../src/errors.js';
import type { Order } from '../../src/domain/entities.js';
import type { NewOrder, Store } from '../../src/store/types.js';
import {
  at,
  BASE,
  bytes,
  D,
  dns,
  H,
  newAccount,
  newAuthorization,
  newId,
  newOrderWithAuthorizations,
  newReservation,
  newSerial,
} from './fixtures.js';

/** Opens a fresh, empty store for one test, with the function that releases it. */
export type OpenStore = () => Promise<{ store: Store; close: () => Promise<void> }>;

/** Awaits `promise`, expects a `CertwrightError` with `code` whose detail matches `detail`, and returns it. */
async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, detail: string | RegExp): Promise<void> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected a ${code} error, but the call resolved`);
  const err = outcome.error;
  expect(isCertwrightError(err, code), `expected code ${code}, got ${String(err)}`).toBe(true);
  if (isCertwrightError(err)) {
    if (typeof detail === 'string') expect(err.detail).toContain(detail);
    else expect(err.detail).toMatch(detail);
  }
}

/** Counts fulfilled and rejected outcomes of `Promise.allSettled`, and the fulfilled values that are not `undefined`/`false`. */
function tally<T>(results: PromiseSettledResult<T>[]): { winners: T[]; losers: number; rejected: unknown[] } {
  const winners: T[] = [];
  const rejected: unknown[] = [];
  let losers = 0;
  for (const r of results) {
    if (r.status === 'rejected') rejected.push(r.reason);
    else if (r.value === undefined || r.value === false) losers++;
    else winners.push(r.value);
  }
  return { winners, losers, rejected };
}

/**
 * The one behaviour contract of {@link Store}, run over every backend
 * (MemoryStore, SQLite, PostgreSQL, MariaDB). Every test opens a fresh store.
 *
 * Beyond the interface JSDoc it pins the choices every backend must share:
 * illegal status-machine transitions throw `conflict` (a row whose status is
 * not one of `from` gives `undefined`); challenges keep creation order;
 * `listOrdersByStatus`/`listCertificatesByState` return the least recently
 * updated first; certificates by issuer are listed by serial ascending
 * (planned, precertificate and issued only); nonces redeem while
 * `now < expires`; re-revocation only to keyCompromise, keeping `revokedAt`;
 * `addBlockedKey` keeps the first entry; a garbage cursor is `malformed`.
 */
export function storeContract(name: string, open: OpenStore): void {
  /** A test with a fresh store, closed afterwards. */
  const test = (title: string, body: (store: Store) => Promise<void>): void => {
    it(title, async () => {
      const { store, close } = await open();
      try {
        await body(store);
      } finally {
        await close();
      }
    });
  };

  /** Creates an account and an order for `names`, returning both. */
  async function orderFor(store: Store, names: string[], overrides: Partial<NewOrder> = {}) {
    const account = await store.createAccount(newAccount());
    const { order, authorizations } = newOrderWithAuthorizations(account.id, names, overrides);
    const created = await store.createOrder(order, authorizations, []);
    return { account, order: created, authorizations };
  }

  describe(name, () => {
    describe('accounts', () => {
      test('creates an account and reads it by id and by thumbprint', async (store) => {
        const input = newAccount({ contact: ['mailto:a@example.com', 'mailto:b@example.com'] });
        const created = await store.createAccount(input);
        expect(created).toMatchObject({
          id: input.id,
          status: 'valid',
          jwk: input.jwk,
          thumbprint: input.thumbprint,
          contact: input.contact,
          termsOfServiceAgreed: true,
          createdAt: input.createdAt,
        });
        expect(created.eabKeyId).toBeUndefined();
        expect(typeof created.version).toBe('number');
        expect(await store.getAccount(input.id)).toEqual(created);
        expect(await store.getAccountByThumbprint(input.thumbprint)).toEqual(created);
        expect(await store.getAccount(newId())).toBeUndefined();
        expect(await store.getAccountByThumbprint('unknown-thumbprint')).toBeUndefined();
      });

      test('a second account with the same thumbprint is a conflict and is not written', async (store) => {
        const first = await store.createAccount(newAccount());
        const second = newAccount({ thumbprint: first.thumbprint });
        await rejectsWith(store.createAccount(second), 'conflict', first.thumbprint);
        expect(await store.getAccount(second.id)).toBeUndefined();
        expect((await store.getAccountByThumbprint(first.thumbprint))?.id).toBe(first.id);
      });

      test('a second account with the same id is a conflict', async (store) => {
        const first = await store.createAccount(newAccount());
        await rejectsWith(store.createAccount(newAccount({ id: first.id })), 'conflict', first.id);
      });

      test('updateAccount is compare-and-set on the version', async (store) => {
        const created = await store.createAccount(newAccount());
        const updated = await store.updateAccount(created.id, created.version, { contact: ['mailto:new@example.com'] });
        expect(updated).toEqual({ ...created, contact: ['mailto:new@example.com'], version: created.version + 1 });
        expect(await store.getAccount(created.id)).toEqual(updated);
        // A stale version loses: nothing changes.
        expect(await store.updateAccount(created.id, created.version, { contact: [] })).toBeUndefined();
        expect(await store.getAccount(created.id)).toEqual(updated);
        expect(await store.updateAccount(newId(), 1, { contact: [] })).toBeUndefined();
      });

      test('key change moves the thumbprint; a thumbprint of another account is a conflict', async (store) => {
        const a = await store.createAccount(newAccount());
        const b = await store.createAccount(newAccount());
        const jwk = { kty: 'OKP', crv: 'Ed25519', x: newId() };
        const rolled = await store.updateAccount(a.id, a.version, { jwk, thumbprint: 'tp-rolled' });
        expect(rolled).toMatchObject({ jwk, thumbprint: 'tp-rolled', version: a.version + 1 });
        expect((await store.getAccountByThumbprint('tp-rolled'))?.id).toBe(a.id);
        expect(await store.getAccountByThumbprint(a.thumbprint)).toBeUndefined();

        await rejectsWith(
          store.updateAccount(a.id, rolled!.version, { jwk: b.jwk, thumbprint: b.thumbprint }),
          'conflict',
          b.thumbprint,
        );
        expect(await store.getAccount(a.id)).toEqual(rolled);
        expect((await store.getAccountByThumbprint(b.thumbprint))?.id).toBe(b.id);
      });

      test('deactivation is final: deactivated → valid is an illegal transition (conflict)', async (store) => {
        const a = await store.createAccount(newAccount());
        const deactivated = await store.updateAccount(a.id, a.version, { status: 'deactivated' });
        expect(deactivated?.status).toBe('deactivated');
        await rejectsWith(store.updateAccount(a.id, deactivated!.version, { status: 'valid' }), 'conflict', /"deactivated".*"valid"/);
        expect(await store.getAccount(a.id)).toEqual(deactivated);
      });

      test('returned and passed-in objects are copies', async (store) => {
        const input = newAccount({ contact: ['mailto:x@example.com'] });
        const created = await store.createAccount(input);
        input.contact.push('mailto:input@example.com');
        created.contact.push('mailto:output@example.com');
        created.jwk['x'] = 'changed';
        created.createdAt.setTime(0);
        const read = await store.getAccount(input.id);
        expect(read?.contact).toEqual(['mailto:x@example.com']);
        expect(read?.jwk['x']).not.toBe('changed');
        expect(read?.createdAt).toEqual(at(0));
      });

      test('EAB keys: create, read, list; a duplicate key id is a conflict', async (store) => {
        const hmacKey = bytes(1, 2, 3, 4, 5, 6, 7, 8);
        const created = await store.createEabKey({ keyId: 'kid-1', hmacKey, createdAt: at(0), label: 'team a' });
        expect(created).toEqual({ keyId: 'kid-1', hmacKey: bytes(1, 2, 3, 4, 5, 6, 7, 8), createdAt: at(0), label: 'team a' });
        hmacKey[0] = 99;
        expect(await store.getEabKey('kid-1')).toEqual(created);
        await store.createEabKey({ keyId: 'kid-2', hmacKey: bytes(9), createdAt: at(1) });
        await rejectsWith(store.createEabKey({ keyId: 'kid-1', hmacKey: bytes(7), createdAt: at(2) }), 'conflict', 'kid-1');
        expect((await store.getEabKey('kid-1'))?.hmacKey).toEqual(bytes(1, 2, 3, 4, 5, 6, 7, 8));
        const listed = await store.listEabKeys();
        expect(listed.map((k) => k.keyId).sort()).toEqual(['kid-1', 'kid-2']);
        expect(await store.getEabKey('kid-3')).toBeUndefined();
      });

      test('an EAB key binds at account creation', async (store) => {
        await store.createEabKey({ keyId: 'kid-1', hmacKey: bytes(1), createdAt: at(0) });
        const account = await store.createAccount(newAccount({ eabKeyId: 'kid-1', createdAt: at(60) }));
        expect(account.eabKeyId).toBe('kid-1');
        expect(await store.getEabKey('kid-1')).toMatchObject({ keyId: 'kid-1', boundAccountId: account.id, boundAt: at(60) });
      });

      test('an already bound EAB key is unauthorized and no account is written', async (store) => {
        await store.createEabKey({ keyId: 'kid-1', hmacKey: bytes(1), createdAt: at(0) });
        const first = await store.createAccount(newAccount({ eabKeyId: 'kid-1' }));
        const second = newAccount({ eabKeyId: 'kid-1' });
        await rejectsWith(store.createAccount(second), 'unauthorized', 'kid-1');
        expect(await store.getAccount(second.id)).toBeUndefined();
        expect(await store.getAccountByThumbprint(second.thumbprint)).toBeUndefined();
        expect((await store.getEabKey('kid-1'))?.boundAccountId).toBe(first.id);
      });

      test('an unknown EAB key is unauthorized and no account is written', async (store) => {
        const input = newAccount({ eabKeyId: 'no-such-kid' });
        await rejectsWith(store.createAccount(input), 'unauthorized', 'no-such-kid');
        expect(await store.getAccount(input.id)).toBeUndefined();
        expect(await store.getAccountByThumbprint(input.thumbprint)).toBeUndefined();
      });

      test('a thumbprint conflict leaves the EAB key unbound', async (store) => {
        const existing = await store.createAccount(newAccount());
        await store.createEabKey({ keyId: 'kid-1', hmacKey: bytes(1), createdAt: at(0) });
        await rejectsWith(store.createAccount(newAccount({ thumbprint: existing.thumbprint, eabKeyId: 'kid-1' })), 'conflict', 'thumbprint');
        const key = await store.getEabKey('kid-1');
        expect(key?.boundAccountId).toBeUndefined();
        expect(key?.boundAt).toBeUndefined();
      });

      test('deleteEabKey deletes only unbound keys', async (store) => {
        await store.createEabKey({ keyId: 'free', hmacKey: bytes(1), createdAt: at(0) });
        await store.createEabKey({ keyId: 'bound', hmacKey: bytes(2), createdAt: at(0) });
        await store.createAccount(newAccount({ eabKeyId: 'bound' }));
        expect(await store.deleteEabKey('free')).toBe(true);
        expect(await store.getEabKey('free')).toBeUndefined();
        expect(await store.deleteEabKey('free')).toBe(false);
        expect(await store.deleteEabKey('bound')).toBe(false);
        expect(await store.getEabKey('bound')).toBeDefined();
        expect(await store.deleteEabKey('unknown')).toBe(false);
      });
    });

    describe('orders', () => {
      test('createOrder writes new authorizations and links reused ones in identifier order', async (store) => {
        const account = await store.createAccount(newAccount());
        const reused = await store.createAuthorization(
          newAuthorization(account.id, dns('a.example.com'), { status: 'valid', expires: at(30 * D) }),
        );
        const identifiers = [dns('*.c.example.com'), dns('a.example.com'), dns('b.example.com')];
        const authB = newAuthorization(account.id, dns('b.example.com'));
        const authC = newAuthorization(account.id, dns('*.c.example.com'));
        const input = {
          id: newId(),
          accountId: account.id,
          identifiers,
          expires: at(7 * D),
          notBefore: at(H),
          notAfter: at(90 * D),
          profile: 'tlsserver',
          replaces: 'aki.serial',
          createdAt: at(10),
          status: 'pending' as const,
        };
        const order = await store.createOrder(input, [authB, authC], [reused.id]);
        expect(order).toEqual({
          ...input,
          authorizationIds: [authC.id, reused.id, authB.id],
          updatedAt: at(10),
        });
        expect(await store.getOrder(input.id)).toEqual(order);

        const storedC = await store.getAuthorization(authC.id);
        expect(storedC).toEqual({
          id: authC.id,
          accountId: account.id,
          identifier: dns('c.example.com'),
          wildcard: true,
          status: 'pending',
          expires: authC.expires,
          createdAt: authC.createdAt,
          challenges: authC.challenges.map((c) => ({ ...c, authorizationId: authC.id, status: 'pending' })),
        });
        expect((await store.getAuthorization(reused.id))?.status).toBe('valid');
        expect(await store.getOrder(newId())).toBeUndefined();
      });

      test('createOrder can create a ready order from reused authorizations only', async (store) => {
        const account = await store.createAccount(newAccount());
        const reused = await store.createAuthorization(newAuthorization(account.id, dns('a.example.com'), { status: 'valid' }));
        const { order } = newOrderWithAuthorizations(account.id, ['a.example.com'], { status: 'ready' });
        const created = await store.createOrder(order, [], [reused.id]);
        expect(created).toMatchObject({ status: 'ready', authorizationIds: [reused.id] });
      });

      test('createOrder is all-or-nothing: a repeated challenge id writes nothing', async (store) => {
        const account = await store.createAccount(newAccount());
        const { order, authorizations } = newOrderWithAuthorizations(account.id, ['a.example.com', 'b.example.com']);
        const [a, b] = authorizations as [(typeof authorizations)[0], (typeof authorizations)[0]];
        const repeated = a.challenges[0]!.id;
        b.challenges[1]!.id = repeated;
        await rejectsWith(store.createOrder(order, authorizations, []), 'conflict', repeated);
        expect(await store.getOrder(order.id)).toBeUndefined();
        expect(await store.getAuthorization(a.id)).toBeUndefined();
        expect(await store.getAuthorization(b.id)).toBeUndefined();
        expect(await store.getChallenge(repeated)).toBeUndefined();
        expect(await store.getChallenge(b.challenges[0]!.id)).toBeUndefined();
      });

      test('createOrder is all-or-nothing: an unknown reused authorization writes nothing', async (store) => {
        const account = await store.createAccount(newAccount());
        const { order, authorizations } = newOrderWithAuthorizations(account.id, ['a.example.com', 'b.example.com']);
        const missing = newId();
        await rejectsWith(store.createOrder(order, authorizations.slice(0, 1), [missing]), 'conflict', missing);
        expect(await store.getOrder(order.id)).toBeUndefined();
        expect(await store.getAuthorization(authorizations[0]!.id)).toBeUndefined();
        expect(await store.getChallenge(authorizations[0]!.challenges[0]!.id)).toBeUndefined();
      });

      test('createOrder is all-or-nothing: an existing authorization or challenge id writes nothing', async (store) => {
        const account = await store.createAccount(newAccount());
        const existing = await store.createAuthorization(newAuthorization(account.id, dns('x.example.com')));
        const first = newOrderWithAuthorizations(account.id, ['a.example.com', 'b.example.com']);
        first.authorizations[1]!.id = existing.id;
        await rejectsWith(store.createOrder(first.order, first.authorizations, []), 'conflict', existing.id);
        expect(await store.getOrder(first.order.id)).toBeUndefined();
        expect(await store.getAuthorization(first.authorizations[0]!.id)).toBeUndefined();
        expect((await store.getAuthorization(existing.id))?.identifier).toEqual(dns('x.example.com'));

        const second = newOrderWithAuthorizations(account.id, ['a.example.com', 'b.example.com']);
        second.authorizations[1]!.challenges[0]!.id = existing.challenges[0]!.id;
        await rejectsWith(store.createOrder(second.order, second.authorizations, []), 'conflict', existing.challenges[0]!.id);
        expect(await store.getOrder(second.order.id)).toBeUndefined();
        expect(await store.getAuthorization(second.authorizations[0]!.id)).toBeUndefined();
        expect((await store.getChallenge(existing.challenges[0]!.id))?.authorizationId).toBe(existing.id);
      });

      test('createOrder is all-or-nothing: an existing order id writes nothing', async (store) => {
        const { account, order } = await orderFor(store, ['a.example.com']);
        const again = newOrderWithAuthorizations(account.id, ['b.example.com'], { id: order.id });
        await rejectsWith(store.createOrder(again.order, again.authorizations, []), 'conflict', order.id);
        expect(await store.getAuthorization(again.authorizations[0]!.id)).toBeUndefined();
        expect(await store.getOrder(order.id)).toEqual(order);
      });

      test('createOrder refuses authorizations that do not match the identifiers', async (store) => {
        const account = await store.createAccount(newAccount());
        const missing = newOrderWithAuthorizations(account.id, ['a.example.com', 'b.example.com']);
        await rejectsWith(store.createOrder(missing.order, missing.authorizations.slice(0, 1), []), 'serverInternal', 'dns:b.example.com');
        expect(await store.getOrder(missing.order.id)).toBeUndefined();
        expect(await store.getAuthorization(missing.authorizations[0]!.id)).toBeUndefined();

        // A non-wildcard authorization cannot serve a wildcard identifier.
        const wildcard = newOrderWithAuthorizations(account.id, ['*.example.com']);
        const plain = newAuthorization(account.id, dns('example.com'));
        await rejectsWith(store.createOrder(wildcard.order, [plain], []), 'serverInternal', 'dns:*.example.com');
        expect(await store.getAuthorization(plain.id)).toBeUndefined();

        // Another account's authorization cannot be reused.
        const other = await store.createAccount(newAccount());
        const foreign = await store.createAuthorization(newAuthorization(other.id, dns('c.example.com'), { status: 'valid' }));
        const stolen = newOrderWithAuthorizations(account.id, ['c.example.com']);
        await rejectsWith(store.createOrder(stolen.order, [], [foreign.id]), 'serverInternal', foreign.id);
        expect(await store.getOrder(stolen.order.id)).toBeUndefined();
      });

      test('listOrdersByAccount pages newest first with an opaque cursor', async (store) => {
        const account = await store.createAccount(newAccount());
        const other = await store.createAccount(newAccount());
        const seconds = [0, 60, 120, 180, 180, 240, 300];
        const ids: string[] = [];
        for (const s of seconds) {
          const { order, authorizations } = newOrderWithAuthorizations(account.id, [`n${s}-${ids.length}.example.com`], { createdAt: at(s) });
          ids.push((await store.createOrder(order, authorizations, [])).id);
        }
        const foreign = newOrderWithAuthorizations(other.id, ['foreign.example.com'], { createdAt: at(200) });
        await store.createOrder(foreign.order, foreign.authorizations, []);

        const pages: Order[][] = [];
        let cursor: string | undefined;
        const nexts: (string | undefined)[] = [];
        do {
          const page = await store.listOrdersByAccount(account.id, cursor === undefined ? { limit: 3 } : { limit: 3, cursor });
          pages.push(page.items);
          nexts.push(page.next);
          cursor = page.next;
        } while (cursor !== undefined && pages.length < 10);

        expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
        expect(nexts[0]).toEqual(expect.any(String));
        expect(nexts[1]).toEqual(expect.any(String));
        expect(nexts[2]).toBeUndefined();
        const all = pages.flat();
        expect(new Set(all.map((o) => o.id)).size).toBe(7);
        expect([...all.map((o) => o.id)].sort()).toEqual([...ids].sort());
        const times = all.map((o) => o.createdAt.getTime());
        expect(times).toEqual([...times].sort((x, y) => y - x));
        expect(all[0]).toEqual(await store.getOrder(all[0]!.id));

        const exact = await store.listOrdersByAccount(account.id, { limit: 7 });
        expect(exact.items).toHaveLength(7);
        expect(exact.next).toBeUndefined();
        expect(await store.listOrdersByAccount(newId(), { limit: 3 })).toEqual({ items: [] });
      });

      test('listOrdersByAccount refuses a garbage cursor as malformed', async (store) => {
        const account = await store.createAccount(newAccount());
        await rejectsWith(store.listOrdersByAccount(account.id, { limit: 3, cursor: 'not a cursor!' }), 'malformed', 'cursor');
        await rejectsWith(store.listOrdersByAccount(account.id, { limit: 3, cursor: 'bm9wZQ' }), 'malformed', 'cursor');
      });

      test('transitionOrder: legal moves succeed, a stale from gives undefined, an illegal move is a conflict', async (store) => {
        const { order } = await orderFor(store, ['a.example.com']);
        const ready = await store.transitionOrder(order.id, 'pending', 'ready', { updatedAt: at(100) });
        expect(ready).toEqual({ ...order, status: 'ready', updatedAt: at(100) });
        expect(await store.getOrder(order.id)).toEqual(ready);

        expect(await store.transitionOrder(order.id, 'pending', 'ready', { updatedAt: at(200) })).toBeUndefined();
        expect(await store.transitionOrder(order.id, ['pending'], 'invalid', { updatedAt: at(200) })).toBeUndefined();
        await rejectsWith(store.transitionOrder(order.id, 'ready', 'pending', { updatedAt: at(200) }), 'conflict', /order.*"ready".*"pending"/);
        await rejectsWith(store.transitionOrder(order.id, ['ready', 'processing'], 'processing', { updatedAt: at(200) }), 'conflict', '"processing"');
        await rejectsWith(store.transitionOrder(order.id, 'valid', 'invalid', { updatedAt: at(200) }), 'conflict', '"valid"');
        expect(await store.getOrder(order.id)).toEqual(ready);

        const invalid = await store.transitionOrder(order.id, ['pending', 'ready'], 'invalid', { updatedAt: at(300) });
        expect(invalid?.status).toBe('invalid');
        expect(await store.transitionOrder(newId(), 'pending', 'ready', { updatedAt: at(300) })).toBeUndefined();
      });

      test('transitionOrder stores the certificate serial and the error', async (store) => {
        const { order } = await orderFor(store, ['a.example.com'], { status: 'ready' });
        const serial = newSerial();
        const processing = await store.transitionOrder(order.id, 'ready', 'processing', { certificateSerial: serial, updatedAt: at(100) });
        expect(processing).toMatchObject({ status: 'processing', certificateSerial: serial, updatedAt: at(100) });
        const valid = await store.transitionOrder(order.id, 'processing', 'valid', { updatedAt: at(200) });
        expect(valid).toMatchObject({ status: 'valid', certificateSerial: serial, updatedAt: at(200) });
        expect(await store.getOrderByCertificateSerial(serial)).toEqual(valid);
        expect(await store.getOrderByCertificateSerial(newSerial())).toBeUndefined();

        const failed = await orderFor(store, ['b.example.com']);
        const error = {
          type: 'urn:ietf:params:acme:error:unauthorized',
          detail: 'Authorization failed',
          status: 403,
          subproblems: [{ type: 'urn:ietf:params:acme:error:dns', detail: 'NXDOMAIN', identifier: dns('b.example.com') }],
        };
        const invalid = await store.transitionOrder(failed.order.id, 'pending', 'invalid', { error, updatedAt: at(50) });
        expect(invalid?.error).toEqual(error);
        expect((await store.getOrder(failed.order.id))?.error).toEqual(error);
      });

      test('listOrdersByStatus returns orders in a status updated before a time, least recently updated first', async (store) => {
        const made: Order[] = [];
        for (const s of [300, 100, 200, 400]) {
          const { order } = await orderFor(store, [`s${s}.example.com`], { status: 'ready' });
          made.push((await store.transitionOrder(order.id, 'ready', 'processing', { updatedAt: at(s) }))!);
        }
        await orderFor(store, ['pending.example.com'], { createdAt: at(0) });
        const [o300, o100, o200] = made as [Order, Order, Order, Order];
        const listed = await store.listOrdersByStatus('processing', { updatedBefore: at(400), limit: 10 });
        expect(listed.map((o) => o.id)).toEqual([o100.id, o200.id, o300.id]);
        const limited = await store.listOrdersByStatus('processing', { updatedBefore: at(400), limit: 2 });
        expect(limited.map((o) => o.id)).toEqual([o100.id, o200.id]);
        expect(await store.listOrdersByStatus('valid', { updatedBefore: at(1000), limit: 10 })).toEqual([]);
        expect(await store.listOrdersByStatus('processing', { updatedBefore: at(100), limit: 10 })).toEqual([]);
      });

      test('listChallengesByStatus returns the challenges in a status by id, at most limit', async (store) => {
        const { authorizations } = await orderFor(store, ['a.example.com', 'b.example.com', 'c.example.com']);
        const started = [];
        for (const authz of authorizations) started.push((await store.transitionChallenge(authz.challenges[0]!.id, 'pending', 'processing'))!);
        await store.transitionChallenge(started[2]!.id, 'processing', 'valid', { validatedAt: at(5) });
        const processing = started.slice(0, 2).sort((a, b) => (a.id < b.id ? -1 : 1));
        expect(await store.listChallengesByStatus('processing', { limit: 10 })).toEqual(processing);
        expect(await store.listChallengesByStatus('processing', { limit: 1 })).toEqual(processing.slice(0, 1));
        expect((await store.listChallengesByStatus('valid', { limit: 10 })).map((c) => c.id)).toEqual([started[2]!.id]);
        expect(await store.listChallengesByStatus('invalid', { limit: 10 })).toEqual([]);
      });

      test('findOrderReplacing finds an order naming the certificate in replaces, ignoring invalid orders', async (store) => {
        const { order } = await orderFor(store, ['a.example.com'], { replaces: 'aki.cert1' });
        expect((await store.findOrderReplacing('aki.cert1'))?.id).toBe(order.id);
        expect(await store.findOrderReplacing('aki.cert2')).toBeUndefined();
        await store.transitionOrder(order.id, 'pending', 'invalid', { updatedAt: at(10) });
        expect(await store.findOrderReplacing('aki.cert1')).toBeUndefined();
        const second = await orderFor(store, ['a.example.com'], { replaces: 'aki.cert1', status: 'ready' });
        await store.transitionOrder(second.order.id, 'ready', 'processing', { updatedAt: at(10) });
        expect((await store.findOrderReplacing('aki.cert1'))?.id).toBe(second.order.id);
      });

      test('listPendingOrdersByAuthorization lists the pending orders using an authorization, oldest first', async (store) => {
        const account = await store.createAccount(newAccount());
        const shared = await store.createAuthorization(newAuthorization(account.id, dns('shared.example.com')));
        const create = async (names: string[], createdAt: Date): Promise<Order> => {
          const { order, authorizations } = newOrderWithAuthorizations(account.id, names, { createdAt });
          return store.createOrder(order, authorizations.slice(1), [shared.id]);
        };
        const newer = await create(['shared.example.com', 'b.example.com'], at(20));
        const older = await create(['shared.example.com'], at(10));
        const invalid = await create(['shared.example.com', 'c.example.com'], at(5));
        await store.transitionOrder(invalid.id, 'pending', 'invalid', { updatedAt: at(30) });
        const unrelated = await orderFor(store, ['shared.example.com']);

        expect(await store.listPendingOrdersByAuthorization(shared.id, 10)).toEqual([older, newer]);
        expect(await store.listPendingOrdersByAuthorization(shared.id, 1)).toEqual([older]);
        expect((await store.listPendingOrdersByAuthorization(newer.authorizationIds[1]!, 10)).map((o) => o.id)).toEqual([newer.id]);
        expect((await store.listPendingOrdersByAuthorization(unrelated.order.authorizationIds[0]!, 10)).map((o) => o.id)).toEqual([unrelated.order.id]);
        expect(await store.listPendingOrdersByAuthorization(newId(), 10)).toEqual([]);
      });

      test('getOrder and getAuthorizations read links and challenges in position order', async (store) => {
        const names = ['a.example.com', '*.b.example.com', 'c.example.com', 'd.example.com'];
        const { order, authorizations } = await orderFor(store, names);
        expect((await store.getOrder(order.id))?.authorizationIds).toEqual(authorizations.map((a) => a.id));
        const ids = [authorizations[2]!.id, newId(), authorizations[0]!.id, authorizations[2]!.id, authorizations[1]!.id];
        const read = await store.getAuthorizations(ids);
        expect(read.map((a) => a.id)).toEqual([authorizations[2]!.id, authorizations[0]!.id, authorizations[2]!.id, authorizations[1]!.id]);
        expect(read[0]).not.toBe(read[2]);
        expect(read[0]).toEqual(read[2]);
        for (const a of read) {
          const input = authorizations.find((i) => i.id === a.id)!;
          expect(a.challenges.map((c) => c.id)).toEqual(input.challenges.map((c) => c.id));
        }
        const many = await orderFor(store, Array.from({ length: 20 }, (_, i) => `n${i}.example.com`));
        const all = await store.getAuthorizations(many.authorizations.map((a) => a.id).reverse());
        expect(all.map((a) => a.id)).toEqual(many.authorizations.map((a) => a.id).reverse());
        expect(all.every((a) => a.challenges.length === 2)).toBe(true);
        const bare = await store.createAuthorization(newAuthorization(many.account.id, dns('bare.example.com'), { challenges: [] }));
        expect(await store.getAuthorizations([bare.id])).toEqual([{ ...bare, challenges: [] }]);
      });

      test('returned orders are copies', async (store) => {
        const { order } = await orderFor(store, ['a.example.com']);
        order.identifiers.push(dns('evil.example.com'));
        order.authorizationIds.push('evil');
        order.expires.setTime(0);
        const read = await store.getOrder(order.id);
        expect(read?.identifiers).toEqual([dns('a.example.com')]);
        expect(read?.authorizationIds).toHaveLength(1);
        expect(read?.expires).toEqual(at(7 * D));
      });
    });

    describe('authorizations and challenges', () => {
      test('getAuthorization returns the challenges in creation order', async (store) => {
        const { authorizations } = await orderFor(store, ['a.example.com']);
        const input = authorizations[0]!;
        const read = await store.getAuthorization(input.id);
        expect(read?.challenges.map((c) => [c.id, c.type, c.token, c.status])).toEqual(
          input.challenges.map((c) => [c.id, c.type, c.token, 'pending']),
        );
        expect(await store.getChallenge(input.challenges[1]!.id)).toEqual({ ...input.challenges[1], authorizationId: input.id, status: 'pending' });
        expect(await store.getAuthorization(newId())).toBeUndefined();
        expect(await store.getChallenge(newId())).toBeUndefined();
      });

      test('getAuthorizations keeps the requested order and leaves out unknown ids', async (store) => {
        const { authorizations } = await orderFor(store, ['a.example.com', 'b.example.com', 'c.example.com']);
        const [a, b, c] = authorizations.map((x) => x.id) as [string, string, string];
        const read = await store.getAuthorizations([c, newId(), a, b]);
        expect(read.map((x) => x.id)).toEqual([c, a, b]);
        expect(read[0]?.challenges).toHaveLength(2);
        expect(await store.getAuthorizations([])).toEqual([]);
      });

      test('findReusableAuthorization: valid, same account, same wildcard flag, long enough, the latest-expiring', async (store) => {
        const account = await store.createAccount(newAccount());
        const other = await store.createAccount(newAccount());
        const make = (accountId: string, name: string, status: 'pending' | 'valid', expiresDays: number) =>
          store.createAuthorization(newAuthorization(accountId, dns(name), { status, expires: at(expiresDays * D) }));
        const a10 = await make(account.id, 'example.com', 'valid', 10);
        const a20 = await make(account.id, 'example.com', 'valid', 20);
        await make(account.id, 'example.com', 'pending', 30);
        const wild = await make(account.id, '*.example.com', 'valid', 40);
        const foreign = await make(other.id, 'example.com', 'valid', 50);
        await make(account.id, 'www.example.com', 'valid', 60);
        const deactivated = await make(account.id, 'example.com', 'valid', 70);
        await store.transitionAuthorization(deactivated.id, 'valid', 'deactivated');

        expect((await store.findReusableAuthorization(account.id, dns('example.com'), false, at(5 * D)))?.id).toBe(a20.id);
        expect((await store.findReusableAuthorization(account.id, dns('example.com'), false, at(20 * D)))?.id).toBe(a20.id);
        expect(await store.findReusableAuthorization(account.id, dns('example.com'), false, at(25 * D))).toBeUndefined();
        expect((await store.findReusableAuthorization(account.id, dns('example.com'), true, at(5 * D)))?.id).toBe(wild.id);
        expect((await store.findReusableAuthorization(other.id, dns('example.com'), false, at(5 * D)))?.id).toBe(foreign.id);
        expect(await store.findReusableAuthorization(account.id, dns('other.example.com'), false, at(0))).toBeUndefined();
        expect(await store.findReusableAuthorization(account.id, { type: 'ip', value: 'example.com' }, false, at(0))).toBeUndefined();
        const found = await store.findReusableAuthorization(account.id, dns('example.com'), false, at(5 * D));
        expect(found).toEqual(await store.getAuthorization(a20.id));
        expect(found?.challenges).toHaveLength(2);
        expect(a10.id).not.toBe(a20.id);
      });

      test('transitionAuthorization follows the status machine', async (store) => {
        const { authorizations } = await orderFor(store, ['a.example.com']);
        const id = authorizations[0]!.id;
        const valid = await store.transitionAuthorization(id, 'pending', 'valid');
        expect(valid?.status).toBe('valid');
        expect(valid?.challenges).toHaveLength(2);
        expect(await store.transitionAuthorization(id, 'pending', 'valid')).toBeUndefined();
        expect(await store.transitionAuthorization(id, ['pending'], 'deactivated')).toBeUndefined();
        await rejectsWith(store.transitionAuthorization(id, 'valid', 'pending'), 'conflict', /authorization.*"valid".*"pending"/);
        await rejectsWith(store.transitionAuthorization(id, ['valid', 'revoked'], 'deactivated'), 'conflict', '"revoked"');
        expect((await store.getAuthorization(id))?.status).toBe('valid');
        expect((await store.transitionAuthorization(id, ['valid'], 'revoked'))?.status).toBe('revoked');
        expect(await store.transitionAuthorization(newId(), 'pending', 'valid')).toBeUndefined();
      });

      test('transitionChallenge stores validatedAt, error and validation record', async (store) => {
        const { authorizations } = await orderFor(store, ['a.example.com']);
        const http = authorizations[0]!.challenges[0]!;
        const dns01 = authorizations[0]!.challenges[1]!;
        const processing = await store.transitionChallenge(http.id, 'pending', 'processing');
        expect(processing?.status).toBe('processing');
        const record = [{ url: 'http://a.example.com/.well-known/acme-challenge/x', addressUsed: '192.0.2.1', addressesResolved: ['192.0.2.1'] }];
        const valid = await store.transitionChallenge(http.id, 'processing', 'valid', { validatedAt: at(30), validationRecord: record });
        expect(valid).toMatchObject({ status: 'valid', validatedAt: at(30), validationRecord: record });
        expect(await store.getChallenge(http.id)).toEqual(valid);

        const error = { type: 'urn:ietf:params:acme:error:dns', detail: 'No TXT record', status: 400 };
        const invalid = await store.transitionChallenge(dns01.id, ['pending', 'processing'], 'invalid', { error });
        expect(invalid).toMatchObject({ status: 'invalid', error });
        expect(invalid?.validatedAt).toBeUndefined();
        const statuses = (await store.getAuthorization(authorizations[0]!.id))?.challenges.map((c) => c.status);
        expect(statuses).toEqual(['valid', 'invalid']);

        expect(await store.transitionChallenge(http.id, 'pending', 'processing')).toBeUndefined();
        await rejectsWith(store.transitionChallenge(http.id, 'valid', 'processing'), 'conflict', /challenge.*"valid".*"processing"/);
        expect(await store.transitionChallenge(newId(), 'pending', 'processing')).toBeUndefined();
      });

      test('createAuthorization creates a stand-alone authorization; ids must be unused', async (store) => {
        const account = await store.createAccount(newAccount());
        const input = newAuthorization(account.id, dns('pre.example.com'), { status: 'pending', expires: at(3 * D) });
        const created = await store.createAuthorization(input);
        expect(created).toEqual({
          id: input.id,
          accountId: account.id,
          identifier: dns('pre.example.com'),
          wildcard: false,
          status: 'pending',
          expires: at(3 * D),
          createdAt: input.createdAt,
          challenges: input.challenges.map((c) => ({ ...c, authorizationId: input.id, status: 'pending' })),
        });
        expect(await store.getAuthorization(input.id)).toEqual(created);

        await rejectsWith(store.createAuthorization(newAuthorization(account.id, dns('x.example.com'), { id: input.id })), 'conflict', input.id);
        const clash = newAuthorization(account.id, dns('y.example.com'));
        clash.challenges[1]!.id = input.challenges[0]!.id;
        await rejectsWith(store.createAuthorization(clash), 'conflict', input.challenges[0]!.id);
        expect(await store.getAuthorization(clash.id)).toBeUndefined();
        expect(await store.getChallenge(clash.challenges[0]!.id)).toBeUndefined();
      });
    });

    describe('certificates', () => {
      test('reserveSerial records a reserved serial', async (store) => {
        const input = newReservation('issuer-a', { accountId: 'acct', orderId: 'ord', profile: 'tlsserver', crlShard: 3, createdAt: at(5) });
        const reserved = await store.reserveSerial(input);
        expect(reserved).toEqual({ ...input, state: 'reserved', updatedAt: at(5) });
        expect(await store.getCertificate(input.serial)).toEqual(reserved);
        expect(await store.getCertificate(newSerial())).toBeUndefined();
      });

      test('a serial is unique across issuers: a second reservation is a conflict and writes nothing', async (store) => {
        const first = await store.reserveSerial(newReservation('issuer-a'));
        await rejectsWith(store.reserveSerial(newReservation('issuer-b', { serial: first.serial })), 'conflict', first.serial);
        expect(await store.getCertificate(first.serial)).toEqual(first);
      });

      test('reserved → planned → precertificate → issued stores each step', async (store) => {
        const { serial } = await store.reserveSerial(newReservation('issuer-a'));
        const planned = await store.recordPlanned(serial, { plannedTbs: bytes(1, 2), notBefore: at(0), notAfter: at(90 * D), updatedAt: at(1) });
        expect(planned).toMatchObject({ state: 'planned', plannedTbs: bytes(1, 2), notBefore: at(0), notAfter: at(90 * D), updatedAt: at(1) });
        const pre = await store.recordPrecertificate(serial, bytes(3, 4), at(2));
        expect(pre).toMatchObject({ state: 'precertificate', precertificateDer: bytes(3, 4), plannedTbs: bytes(1, 2), updatedAt: at(2) });
        const issued = await store.recordIssued(serial, bytes(5, 6), at(3));
        expect(issued).toMatchObject({ state: 'issued', certificateDer: bytes(5, 6), precertificateDer: bytes(3, 4), updatedAt: at(3) });
        expect(await store.getCertificate(serial)).toEqual(issued);
      });

      test('planned → issued without a precertificate', async (store) => {
        const { serial } = await store.reserveSerial(newReservation('issuer-a'));
        await store.recordPlanned(serial, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(D), updatedAt: at(1) });
        const issued = await store.recordIssued(serial, bytes(9), at(2));
        expect(issued?.state).toBe('issued');
        expect(issued?.precertificateDer).toBeUndefined();
      });

      test('steps out of order give undefined and change nothing', async (store) => {
        const { serial } = await store.reserveSerial(newReservation('issuer-a'));
        expect(await store.recordPrecertificate(serial, bytes(1), at(1))).toBeUndefined();
        expect(await store.recordIssued(serial, bytes(1), at(1))).toBeUndefined();
        await store.recordPlanned(serial, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(D), updatedAt: at(1) });
        expect(await store.recordPlanned(serial, { plannedTbs: bytes(2), notBefore: at(0), notAfter: at(D), updatedAt: at(2) })).toBeUndefined();
        await store.recordIssued(serial, bytes(3), at(3));
        expect(await store.recordPrecertificate(serial, bytes(4), at(4))).toBeUndefined();
        expect(await store.recordIssued(serial, bytes(5), at(5))).toBeUndefined();
        expect(await store.getCertificate(serial)).toMatchObject({ state: 'issued', plannedTbs: bytes(1), certificateDer: bytes(3), updatedAt: at(3) });
        const unknown = newSerial();
        expect(await store.recordPlanned(unknown, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(D), updatedAt: at(1) })).toBeUndefined();
        expect(await store.recordPrecertificate(unknown, bytes(1), at(1))).toBeUndefined();
        expect(await store.recordIssued(unknown, bytes(1), at(1))).toBeUndefined();
        expect(await store.recordAbandoned(unknown, at(1))).toBeUndefined();
        expect(await store.getCertificate(unknown)).toBeUndefined();
      });

      test('abandoned only from reserved or planned', async (store) => {
        const reserved = await store.reserveSerial(newReservation('issuer-a'));
        expect(await store.recordAbandoned(reserved.serial, at(1))).toMatchObject({ state: 'abandoned', updatedAt: at(1) });
        expect(await store.recordPlanned(reserved.serial, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(D), updatedAt: at(2) })).toBeUndefined();
        expect(await store.recordAbandoned(reserved.serial, at(2))).toBeUndefined();

        const planned = await store.reserveSerial(newReservation('issuer-a'));
        await store.recordPlanned(planned.serial, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(D), updatedAt: at(1) });
        expect((await store.recordAbandoned(planned.serial, at(2)))?.state).toBe('abandoned');
        expect(await store.recordIssued(planned.serial, bytes(1), at(3))).toBeUndefined();

        const pre = await store.reserveSerial(newReservation('issuer-a'));
        await store.recordPlanned(pre.serial, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(D), updatedAt: at(1) });
        await store.recordPrecertificate(pre.serial, bytes(2), at(2));
        expect(await store.recordAbandoned(pre.serial, at(3))).toBeUndefined();
        await store.recordIssued(pre.serial, bytes(3), at(4));
        expect(await store.recordAbandoned(pre.serial, at(5))).toBeUndefined();
        expect((await store.getCertificate(pre.serial))?.state).toBe('issued');
      });

      test('listCertificatesByState: given states, updated before a time, least recently updated first', async (store) => {
        const r1 = await store.reserveSerial(newReservation('issuer-a', { createdAt: at(30) }));
        const r2 = await store.reserveSerial(newReservation('issuer-b', { createdAt: at(10) }));
        const p = await store.reserveSerial(newReservation('issuer-a', { createdAt: at(0) }));
        await store.recordPlanned(p.serial, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(D), updatedAt: at(20) });
        const late = await store.reserveSerial(newReservation('issuer-a', { createdAt: at(100) }));
        const listed = await store.listCertificatesByState(['reserved', 'planned'], { updatedBefore: at(100), limit: 10 });
        expect(listed.map((c) => c.serial)).toEqual([r2.serial, p.serial, r1.serial]);
        expect((await store.listCertificatesByState(['reserved'], { updatedBefore: at(100), limit: 1 })).map((c) => c.serial)).toEqual([r2.serial]);
        expect((await store.listCertificatesByState(['reserved'], { updatedBefore: at(101), limit: 10 })).map((c) => c.serial)).toEqual([
          r2.serial,
          r1.serial,
          late.serial,
        ]);
        expect(await store.listCertificatesByState(['issued'], { updatedBefore: at(1000), limit: 10 })).toEqual([]);
      });

      test('listCertificatesByIssuer pages planned-or-later certificates by serial, filtered by notAfter', async (store) => {
        const expected: string[] = [];
        const plan = async (issuerId: string, notAfterDays: number, then?: 'issued' | 'abandoned' | 'precertificate') => {
          const { serial } = await store.reserveSerial(newReservation(issuerId));
          await store.recordPlanned(serial, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(notAfterDays * D), updatedAt: at(1) });
          if (then === 'issued') await store.recordIssued(serial, bytes(2), at(2));
          if (then === 'precertificate') await store.recordPrecertificate(serial, bytes(2), at(2));
          if (then === 'abandoned') await store.recordAbandoned(serial, at(2));
          return serial;
        };
        expected.push(await plan('issuer-a', 90, 'issued'));
        expected.push(await plan('issuer-a', 90));
        expected.push(await plan('issuer-a', 30, 'precertificate'));
        expected.push(await plan('issuer-a', 10, 'issued'));
        expected.push(await plan('issuer-a', 10, 'issued'));
        await plan('issuer-a', 1, 'issued'); // expires before notAfterFrom
        await plan('issuer-a', 90, 'abandoned'); // never signed
        await store.reserveSerial(newReservation('issuer-a')); // only reserved
        await plan('issuer-b', 90, 'issued'); // another issuer
        expected.sort();

        const serials: string[] = [];
        const sizes: number[] = [];
        let cursor: string | undefined;
        let last: string | undefined;
        do {
          const page = await store.listCertificatesByIssuer('issuer-a', cursor === undefined ? { notAfterFrom: at(10 * D), limit: 2 } : { notAfterFrom: at(10 * D), limit: 2, cursor });
          sizes.push(page.items.length);
          serials.push(...page.items.map((c) => c.serial));
          cursor = page.next;
          last = page.next;
        } while (cursor !== undefined && sizes.length < 10);
        expect(sizes).toEqual([2, 2, 1]);
        expect(last).toBeUndefined();
        expect(serials).toEqual(expected);
        await rejectsWith(store.listCertificatesByIssuer('issuer-a', { notAfterFrom: at(0), limit: 2, cursor: '!!' }), 'malformed', 'cursor');
        expect(await store.listCertificatesByIssuer('issuer-c', { notAfterFrom: at(0), limit: 2 })).toEqual({ items: [] });
      });

      test('revoke: once, only something that may have been signed', async (store) => {
        const { serial } = await store.reserveSerial(newReservation('issuer-a', { crlShard: 2 }));
        expect(await store.revoke(serial, 1, at(5))).toBeUndefined(); // reserved: never signed
        await store.recordPlanned(serial, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(90 * D), updatedAt: at(1) });
        await store.recordIssued(serial, bytes(2), at(2));
        const revocation = await store.revoke(serial, 4, at(10));
        expect(revocation).toEqual({ serial, issuerId: 'issuer-a', revokedAt: at(10), reason: 4, crlShard: 2, notAfter: at(90 * D) });
        expect(await store.getCertificate(serial)).toMatchObject({ state: 'issued', revokedAt: at(10), revocationReason: 4 });
        expect(await store.revoke(serial, 1, at(20))).toBeUndefined();
        expect(await store.getCertificate(serial)).toMatchObject({ revokedAt: at(10), revocationReason: 4 });
        expect(await store.revoke(newSerial(), 1, at(20))).toBeUndefined();

        const planned = await store.reserveSerial(newReservation('issuer-a'));
        await store.recordPlanned(planned.serial, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(D), updatedAt: at(1) });
        expect((await store.revoke(planned.serial, 0, at(3)))?.reason).toBe(0);

        const abandoned = await store.reserveSerial(newReservation('issuer-a'));
        await store.recordAbandoned(abandoned.serial, at(1));
        expect(await store.revoke(abandoned.serial, 0, at(3))).toBeUndefined();
      });

      test('updateRevocationReason re-revokes for keyCompromise only, compare-and-set on the old reason', async (store) => {
        const { serial } = await store.reserveSerial(newReservation('issuer-a'));
        await store.recordPlanned(serial, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(90 * D), updatedAt: at(1) });
        expect(await store.updateRevocationReason(serial, 4, 1)).toBeUndefined(); // not revoked
        await store.recordIssued(serial, bytes(2), at(2));
        await store.revoke(serial, 4, at(10));
        await rejectsWith(store.updateRevocationReason(serial, 4, 5), 'badRevocationReason', 'keyCompromise');
        expect(await store.updateRevocationReason(serial, 0, 1)).toBeUndefined(); // stale reason
        const updated = await store.updateRevocationReason(serial, 4, 1);
        expect(updated).toMatchObject({ serial, reason: 1, revokedAt: at(10) });
        expect(await store.getCertificate(serial)).toMatchObject({ revocationReason: 1, revokedAt: at(10) });
        expect(await store.updateRevocationReason(serial, 4, 1)).toBeUndefined();
        expect(await store.updateRevocationReason(serial, 1, 1)).toBeUndefined(); // already keyCompromise
        expect(await store.updateRevocationReason(newSerial(), 4, 1)).toBeUndefined();
      });

      test('listRevocations by issuer, optionally by shard, expiring at or after a time', async (store) => {
        const revoked = async (issuerId: string, crlShard: number, notAfterDays: number) => {
          const { serial } = await store.reserveSerial(newReservation(issuerId, { crlShard }));
          await store.recordPlanned(serial, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(notAfterDays * D), updatedAt: at(1) });
          await store.recordIssued(serial, bytes(2), at(2));
          await store.revoke(serial, 0, at(3));
          return serial;
        };
        const a0 = await revoked('issuer-a', 0, 90);
        const a1 = await revoked('issuer-a', 1, 90);
        const a1old = await revoked('issuer-a', 1, 5);
        await revoked('issuer-b', 0, 90);
        const notRevoked = await store.reserveSerial(newReservation('issuer-a'));
        await store.recordPlanned(notRevoked.serial, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(90 * D), updatedAt: at(1) });

        const all = await store.listRevocations('issuer-a', { notAfterFrom: at(10 * D) });
        expect(all.map((r) => r.serial).sort()).toEqual([a0, a1].sort());
        const shard1 = await store.listRevocations('issuer-a', { shard: 1, notAfterFrom: at(0) });
        expect(shard1.map((r) => r.serial).sort()).toEqual([a1, a1old].sort());
        expect(shard1.find((r) => r.serial === a1)).toEqual({ serial: a1, issuerId: 'issuer-a', revokedAt: at(3), reason: 0, crlShard: 1, notAfter: at(90 * D) });
        expect(await store.listRevocations('issuer-c', { notAfterFrom: at(0) })).toEqual([]);
      });

      test('blocked keys: add is idempotent and keeps the first entry', async (store) => {
        const key = { spkiSha256: 'ab'.repeat(32), reason: 'keyCompromise', addedAt: at(1), sourceSerial: newSerial() };
        await store.addBlockedKey(key);
        await store.addBlockedKey({ spkiSha256: key.spkiSha256, reason: 'again', addedAt: at(2) });
        expect(await store.getBlockedKey(key.spkiSha256)).toEqual(key);
        await store.addBlockedKey({ spkiSha256: 'cd'.repeat(32), reason: 'weak key', addedAt: at(3) });
        expect(await store.getBlockedKey('cd'.repeat(32))).toEqual({ spkiSha256: 'cd'.repeat(32), reason: 'weak key', addedAt: at(3) });
        expect(await store.getBlockedKey('ef'.repeat(32))).toBeUndefined();
      });

      test('returned certificate bytes are copies', async (store) => {
        const { serial } = await store.reserveSerial(newReservation('issuer-a'));
        const tbs = bytes(1, 2, 3);
        const planned = await store.recordPlanned(serial, { plannedTbs: tbs, notBefore: at(0), notAfter: at(D), updatedAt: at(1) });
        tbs[0] = 9;
        planned!.plannedTbs![1] = 9;
        planned!.identifiers.push(dns('evil.example.com'));
        const read = await store.getCertificate(serial);
        expect(read?.plannedTbs).toEqual(bytes(1, 2, 3));
        expect(read?.identifiers).toEqual([dns('www.example.com')]);
      });
    });

    describe('nonces', () => {
      test('a nonce redeems once', async (store) => {
        await store.issueNonce('nonce-1', at(60));
        expect(await store.redeemNonce('nonce-1', at(0))).toBe(true);
        expect(await store.redeemNonce('nonce-1', at(0))).toBe(false);
      });

      test('an expired nonce is not redeemable (expired at its expiry instant)', async (store) => {
        await store.issueNonce('nonce-1', at(60));
        await store.issueNonce('nonce-2', at(60));
        expect(await store.redeemNonce('nonce-1', at(60))).toBe(false);
        expect(await store.redeemNonce('nonce-2', at(61))).toBe(false);
        expect(await store.redeemNonce('nonce-2', at(0))).toBe(false);
      });

      test('a batch of nonces is stored in one write, each redeeming once; a taken value fails the whole batch', async (store) => {
        if (store.issueNonces === undefined) throw new Error('the store must offer issueNonces');
        const batch = Array.from({ length: 64 }, (_, i) => `batch-${i}`);
        await store.issueNonces(batch, at(60));
        for (const value of batch) expect(await store.redeemNonce(value, at(0))).toBe(true);
        expect(await store.redeemNonce('batch-0', at(0))).toBe(false);
        await store.issueNonce('taken', at(60));
        await rejectsWith(store.issueNonces(['fresh-1', 'taken', 'fresh-2'], at(60)), 'conflict', /nonce/);
        expect(await store.redeemNonce('fresh-1', at(0))).toBe(false);
        expect(await store.redeemNonce('fresh-2', at(0))).toBe(false);
        await rejectsWith(store.issueNonces(['twice', 'twice'], at(60)), 'conflict', 'twice');
        expect(await store.redeemNonce('twice', at(0))).toBe(false);
        await store.issueNonces([], at(60));
      });

      test('an unknown nonce is not redeemable; issuing a value twice is a conflict', async (store) => {
        expect(await store.redeemNonce('never-issued', at(0))).toBe(false);
        await store.issueNonce('nonce-1', at(60));
        await rejectsWith(store.issueNonce('nonce-1', at(120)), 'conflict', 'nonce-1');
        expect(await store.redeemNonce('nonce-1', at(59))).toBe(true);
      });
    });

    describe('retention', () => {
      test('purgeExpired removes expired nonces, orders and authorizations in bounded batches', async (store) => {
        const account = await store.createAccount(newAccount());
        for (let i = 0; i < 5; i++) await store.issueNonce(`old-${i}`, at(i));
        await store.issueNonce('fresh', at(2 * D));
        const expired: { orderId: string; authorizationId: string; challengeId: string }[] = [];
        for (let i = 0; i < 5; i++) {
          const { order, authorizations } = newOrderWithAuthorizations(account.id, [`old${i}.example.com`], { expires: at(H + i) });
          authorizations[0]!.expires = at(H + i);
          await store.createOrder(order, authorizations, []);
          expired.push({ orderId: order.id, authorizationId: authorizations[0]!.id, challengeId: authorizations[0]!.challenges[0]!.id });
        }
        // Unexpired order.
        const fresh = newOrderWithAuthorizations(account.id, ['fresh.example.com'], { expires: at(3 * D) });
        await store.createOrder(fresh.order, fresh.authorizations, []);
        // Expired but valid with a certificate: kept, with its authorization.
        const issued = newOrderWithAuthorizations(account.id, ['issued.example.com'], { expires: at(H), status: 'ready' });
        issued.authorizations[0]!.expires = at(H);
        issued.authorizations[0]!.status = 'valid';
        await store.createOrder(issued.order, issued.authorizations, []);
        await store.transitionOrder(issued.order.id, 'ready', 'processing', { certificateSerial: newSerial(), updatedAt: at(10) });
        await store.transitionOrder(issued.order.id, 'processing', 'valid', { updatedAt: at(20) });

        const before = at(D);
        const results = [];
        for (let i = 0; i < 4; i++) results.push(await store.purgeExpired(before, 2));
        expect(results).toEqual([
          { nonces: 2, orders: 2, authorizations: 2 },
          { nonces: 2, orders: 2, authorizations: 2 },
          { nonces: 1, orders: 1, authorizations: 1 },
          { nonces: 0, orders: 0, authorizations: 0 },
        ]);
        for (const e of expired) {
          expect(await store.getOrder(e.orderId)).toBeUndefined();
          expect(await store.getAuthorization(e.authorizationId)).toBeUndefined();
          expect(await store.getChallenge(e.challengeId)).toBeUndefined();
        }
        expect(await store.getOrder(fresh.order.id)).toBeDefined();
        expect(await store.getAuthorization(fresh.authorizations[0]!.id)).toBeDefined();
        expect((await store.getOrder(issued.order.id))?.status).toBe('valid');
        expect(await store.getAuthorization(issued.authorizations[0]!.id)).toBeDefined();
        expect(await store.redeemNonce('fresh', at(0))).toBe(true);
      });

      test('purgeExpired keeps an expired authorization still linked to a kept order, and removes stand-alone ones', async (store) => {
        const account = await store.createAccount(newAccount());
        const shared = await store.createAuthorization(newAuthorization(account.id, dns('shared.example.com'), { status: 'valid', expires: at(H) }));
        const alone = await store.createAuthorization(newAuthorization(account.id, dns('alone.example.com'), { expires: at(H) }));
        const old = newOrderWithAuthorizations(account.id, ['shared.example.com'], { expires: at(H), status: 'ready' });
        await store.createOrder(old.order, [], [shared.id]);
        const kept = newOrderWithAuthorizations(account.id, ['shared.example.com'], { expires: at(3 * D), status: 'ready' });
        await store.createOrder(kept.order, [], [shared.id]);

        expect(await store.purgeExpired(at(D), 10)).toEqual({ nonces: 0, orders: 1, authorizations: 1 });
        expect(await store.getOrder(old.order.id)).toBeUndefined();
        expect(await store.getAuthorization(alone.id)).toBeUndefined();
        expect(await store.getChallenge(alone.challenges[0]!.id)).toBeUndefined();
        expect(await store.getAuthorization(shared.id)).toBeDefined();
        expect(await store.getOrder(kept.order.id)).toBeDefined();
        // Nothing expires before an instant earlier than every expiry.
        expect(await store.purgeExpired(at(H), 10)).toEqual({ nonces: 0, orders: 0, authorizations: 0 });
      });
    });

    // Roles added by a migration name the schema version they need. The
    // compatibility check (scripts/schema-compat.mjs) runs an older release's
    // copy of this suite on a newer schema, never the reverse, so these tests
    // run wherever the code that contains them runs.
    describe('rate-limit buckets (needs schema version 2)', () => {
      const T0 = BASE.getTime();

      test('a missing bucket is undefined; the first write creates version 1 and reads back exactly', async (store) => {
        expect(await store.getBucket('newOrdersPerAccount:acct-1')).toBeUndefined();
        const tokens = 0.1 + 0.2;
        expect(await store.compareAndSetBucket('newOrdersPerAccount:acct-1', undefined, { tokens, updatedAtMs: T0 + 123, fullAtMs: T0 + 29_877 })).toBe(true);
        expect(await store.getBucket('newOrdersPerAccount:acct-1')).toEqual({ tokens, updatedAtMs: T0 + 123, fullAtMs: T0 + 29_877, version: 1 });
      });

      test('token counts round-trip bit for bit', async (store) => {
        const values = [0, 1, 2 / 3, 1e-9, 4.999999999999999, 299.99999999999994, Math.PI * 1e6, Number.MIN_VALUE, 2 ** 53 - 1];
        for (const [i, tokens] of values.entries()) {
          expect(await store.compareAndSetBucket(`k${i}`, undefined, { tokens, updatedAtMs: T0, fullAtMs: T0 })).toBe(true);
        }
        for (const [i, tokens] of values.entries()) expect((await store.getBucket(`k${i}`))?.tokens).toBe(tokens);
      });

      test('compare-and-set writes only over the expected version', async (store) => {
        const key = 'certificatesPerDomain:example.com';
        await store.compareAndSetBucket(key, undefined, { tokens: 4, updatedAtMs: T0, fullAtMs: T0 + 1000 });
        // No row expected, but one exists; a stale or future version.
        expect(await store.compareAndSetBucket(key, undefined, { tokens: 0, updatedAtMs: T0 + 1, fullAtMs: T0 + 9 })).toBe(false);
        expect(await store.compareAndSetBucket(key, 0, { tokens: 0, updatedAtMs: T0 + 1, fullAtMs: T0 + 9 })).toBe(false);
        expect(await store.compareAndSetBucket(key, 2, { tokens: 0, updatedAtMs: T0 + 1, fullAtMs: T0 + 9 })).toBe(false);
        expect(await store.getBucket(key)).toEqual({ tokens: 4, updatedAtMs: T0, fullAtMs: T0 + 1000, version: 1 });
        expect(await store.compareAndSetBucket(key, 1, { tokens: 3.5, updatedAtMs: T0 + 2, fullAtMs: T0 + 2000 })).toBe(true);
        expect(await store.compareAndSetBucket(key, 2, { tokens: 2.5, updatedAtMs: T0 + 3, fullAtMs: T0 + 3000 })).toBe(true);
        expect(await store.getBucket(key)).toEqual({ tokens: 2.5, updatedAtMs: T0 + 3, fullAtMs: T0 + 3000, version: 3 });
        // A version for a key with no row writes nothing.
        expect(await store.compareAndSetBucket('other', 1, { tokens: 1, updatedAtMs: T0, fullAtMs: T0 })).toBe(false);
        expect(await store.getBucket('other')).toBeUndefined();
      });

      test('keys compare byte-wise: keys differing only in case are different buckets', async (store) => {
        await store.compareAndSetBucket('newAccountsPerIp:AbC', undefined, { tokens: 1, updatedAtMs: T0, fullAtMs: T0 });
        expect(await store.getBucket('newAccountsPerIp:abc')).toBeUndefined();
        expect(await store.compareAndSetBucket('newAccountsPerIp:abc', undefined, { tokens: 2, updatedAtMs: T0, fullAtMs: T0 })).toBe(true);
        expect((await store.getBucket('newAccountsPerIp:AbC'))?.tokens).toBe(1);
        expect((await store.getBucket('newAccountsPerIp:abc'))?.tokens).toBe(2);
      });

      test('10 concurrent first writes, then 10 concurrent writes over one version: exactly one of each wins', async (store) => {
        const first = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => store.compareAndSetBucket('race', undefined, { tokens: i, updatedAtMs: T0, fullAtMs: T0 })),
        );
        expect(first.filter((r) => r.status === 'rejected')).toEqual([]);
        expect(first.filter((r) => r.status === 'fulfilled' && r.value)).toHaveLength(1);
        const second = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => store.compareAndSetBucket('race', 1, { tokens: 10 + i, updatedAtMs: T0 + 1, fullAtMs: T0 })),
        );
        expect(second.filter((r) => r.status === 'rejected')).toEqual([]);
        const winner = second.findIndex((r) => r.status === 'fulfilled' && r.value);
        expect(second.filter((r) => r.status === 'fulfilled' && r.value)).toHaveLength(1);
        expect(await store.getBucket('race')).toEqual({ tokens: 10 + winner, updatedAtMs: T0 + 1, fullAtMs: T0, version: 2 });
      });

      test('purgeFullBuckets deletes at most limit buckets full before the instant, keeping the rest', async (store) => {
        for (let i = 0; i < 5; i++) await store.compareAndSetBucket(`full-${i}`, undefined, { tokens: 0, updatedAtMs: T0, fullAtMs: T0 + i });
        await store.compareAndSetBucket('at-limit', undefined, { tokens: 0, updatedAtMs: T0, fullAtMs: T0 + 10 });
        await store.compareAndSetBucket('later', undefined, { tokens: 0, updatedAtMs: T0, fullAtMs: T0 + 11 });
        expect(await store.purgeFullBuckets(T0 + 10, 3)).toBe(3);
        expect(await store.purgeFullBuckets(T0 + 10, 3)).toBe(2);
        expect(await store.purgeFullBuckets(T0 + 10, 3)).toBe(0);
        for (let i = 0; i < 5; i++) expect(await store.getBucket(`full-${i}`)).toBeUndefined();
        expect((await store.getBucket('at-limit'))?.fullAtMs).toBe(T0 + 10);
        expect((await store.getBucket('later'))?.fullAtMs).toBe(T0 + 11);
      });
    });

    describe('CRL numbers (needs schema version 2)', () => {
      test('current is 0 before the first number; next counts 1, 2, 3 and current follows', async (store) => {
        const scope = { issuerId: 'issuer-a', shard: 0 };
        expect(await store.currentCrlNumber(scope)).toBe(0n);
        expect(await store.nextCrlNumber(scope)).toBe(1n);
        expect(await store.nextCrlNumber(scope)).toBe(2n);
        expect(await store.currentCrlNumber(scope)).toBe(2n);
        expect(await store.nextCrlNumber(scope)).toBe(3n);
        expect(await store.currentCrlNumber(scope)).toBe(3n);
      });

      test('every issuer and shard counts on its own (issuer ids compare byte-wise)', async (store) => {
        await store.nextCrlNumber({ issuerId: 'issuer-a', shard: 0 });
        await store.nextCrlNumber({ issuerId: 'issuer-a', shard: 0 });
        expect(await store.nextCrlNumber({ issuerId: 'issuer-a', shard: 1 })).toBe(1n);
        expect(await store.nextCrlNumber({ issuerId: 'Issuer-A', shard: 0 })).toBe(1n);
        expect(await store.nextCrlNumber({ issuerId: 'issuer-a/0', shard: 7 })).toBe(1n);
        expect(await store.currentCrlNumber({ issuerId: 'issuer-a', shard: 0 })).toBe(2n);
        expect(await store.currentCrlNumber({ issuerId: 'issuer-b', shard: 0 })).toBe(0n);
      });

      test('20 concurrent next() on one scope give 20 distinct consecutive numbers', async (store) => {
        const scope = { issuerId: 'issuer-race', shard: 3 };
        const numbers = await Promise.all(Array.from({ length: 20 }, () => store.nextCrlNumber(scope)));
        expect([...numbers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i + 1)));
        expect(await store.currentCrlNumber(scope)).toBe(20n);
        expect(await store.nextCrlNumber(scope)).toBe(21n);
      });
    });

    describe('validation start (needs schema version 3)', () => {
      /** Starts the validation of the first challenge of an order for each name, at the given instants (undefined: unrecorded). */
      async function started(store: Store, starts: (number | undefined)[]) {
        const { authorizations } = await orderFor(store, starts.map((_, i) => `v${i}.example.com`));
        const challenges = [];
        for (const [i, authz] of authorizations.entries()) {
          const start = starts[i];
          challenges.push((await store.transitionChallenge(authz.challenges[0]!.id, 'pending', 'processing', start === undefined ? {} : { processingAt: at(start) }))!);
        }
        return challenges;
      }

      test('pending → processing records processingAt; every read returns it; later transitions keep it', async (store) => {
        const [challenge] = await started(store, [7]);
        expect(challenge!.processingAt).toEqual(at(7));
        expect((await store.getChallenge(challenge!.id))?.processingAt).toEqual(at(7));
        expect((await store.getAuthorization(challenge!.authorizationId))?.challenges[0]?.processingAt).toEqual(at(7));
        const valid = await store.transitionChallenge(challenge!.id, 'processing', 'valid', { validatedAt: at(9) });
        expect(valid).toMatchObject({ status: 'valid', processingAt: at(7), validatedAt: at(9) });
        const [unrecorded] = await started(store, [undefined]);
        expect(unrecorded).not.toHaveProperty('processingAt');
      });

      test('listChallengesByStatus with processingBefore lists only challenges started before it, by id; unknown starts are left out', async (store) => {
        const [early, onTime, late, unknown] = await started(store, [10, 20, 30, undefined]);
        const byId = (list: { id: string }[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));
        expect(await store.listChallengesByStatus('processing', { limit: 10, processingBefore: at(20) })).toEqual([early]);
        expect(await store.listChallengesByStatus('processing', { limit: 10, processingBefore: at(31) })).toEqual(byId([early!, onTime!, late!]));
        expect(await store.listChallengesByStatus('processing', { limit: 1, processingBefore: at(31) })).toEqual(byId([early!, onTime!, late!]).slice(0, 1));
        expect((await store.listChallengesByStatus('processing', { limit: 10 })).map((c) => c.id).sort()).toEqual([early!, onTime!, late!, unknown!].map((c) => c.id).sort());
        await store.transitionChallenge(early!.id, 'processing', 'invalid', { error: { type: 'urn:ietf:params:acme:error:connection', detail: 'x', status: 400 } });
        expect(await store.listChallengesByStatus('processing', { limit: 10, processingBefore: at(20) })).toEqual([]);
      });

      test('reclaimChallenge moves processingAt only from the expected start (none recorded included) and only while processing', async (store) => {
        const [known, unknown, done] = await started(store, [10, undefined, 10]);
        expect(await store.reclaimChallenge(known!.id, at(11), at(50))).toBeUndefined();
        expect(await store.reclaimChallenge(known!.id, undefined, at(50))).toBeUndefined();
        expect(await store.reclaimChallenge(known!.id, at(10), at(50))).toEqual({ ...known, processingAt: at(50) });
        expect(await store.getChallenge(known!.id)).toEqual({ ...known, processingAt: at(50) });
        expect(await store.reclaimChallenge(known!.id, at(10), at(60))).toBeUndefined();
        expect(await store.reclaimChallenge(unknown!.id, at(10), at(50))).toBeUndefined();
        expect(await store.reclaimChallenge(unknown!.id, undefined, at(50))).toEqual({ ...unknown, processingAt: at(50) });
        await store.transitionChallenge(done!.id, 'processing', 'valid', { validatedAt: at(12) });
        expect(await store.reclaimChallenge(done!.id, at(10), at(50))).toBeUndefined();
        expect(await store.reclaimChallenge('no-such-challenge', at(10), at(50))).toBeUndefined();
      });

      test('10 concurrent reclaims of one start: exactly one wins', async (store) => {
        const [challenge] = await started(store, [10]);
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.reclaimChallenge(challenge!.id, at(10), at(100 + i))));
        const { winners, losers, rejected } = tally(results);
        expect(rejected).toEqual([]);
        expect(winners).toHaveLength(1);
        expect(losers).toBe(9);
        expect(await store.getChallenge(challenge!.id)).toEqual(winners[0]);
      });
    });

    describe('races (compare-and-set under concurrency)', () => {
      test('20 concurrent ready → processing: exactly one wins', async (store) => {
        const { order } = await orderFor(store, ['a.example.com'], { status: 'ready' });
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store.transitionOrder(order.id, 'ready', 'processing', { certificateSerial: `0${i}`, updatedAt: at(i) })),
        );
        const { winners, losers, rejected } = tally(results);
        expect(rejected).toEqual([]);
        expect(winners).toHaveLength(1);
        expect(losers).toBe(19);
        expect(await store.getOrder(order.id)).toEqual(winners[0]);
      });

      test('2 concurrent redemptions of one nonce: exactly one succeeds', async (store) => {
        await store.issueNonce('nonce-race', at(60));
        const results = await Promise.allSettled([store.redeemNonce('nonce-race', at(0)), store.redeemNonce('nonce-race', at(0))]);
        const { winners, losers, rejected } = tally(results);
        expect(rejected).toEqual([]);
        expect(winners).toEqual([true]);
        expect(losers).toBe(1);
      });

      test('2 concurrent reservations of one serial: one succeeds, one is a conflict', async (store) => {
        const serial = newSerial();
        const results = await Promise.allSettled([
          store.reserveSerial(newReservation('issuer-a', { serial })),
          store.reserveSerial(newReservation('issuer-b', { serial })),
        ]);
        const { winners, rejected } = tally(results);
        expect(winners).toHaveLength(1);
        expect(rejected).toHaveLength(1);
        expect(isCertwrightError(rejected[0], 'conflict')).toBe(true);
        expect((await store.getCertificate(serial))?.issuerId).toBe(winners[0]!.issuerId);
      });

      test('10 concurrent account creations with one thumbprint: exactly one succeeds', async (store) => {
        const thumbprint = `tp-${newId()}`;
        const inputs = Array.from({ length: 10 }, () => newAccount({ thumbprint }));
        const results = await Promise.allSettled(inputs.map((a) => store.createAccount(a)));
        const { winners, rejected } = tally(results);
        expect(winners).toHaveLength(1);
        expect(rejected).toHaveLength(9);
        expect(rejected.every((e) => isCertwrightError(e, 'conflict'))).toBe(true);
        expect((await store.getAccountByThumbprint(thumbprint))?.id).toBe(winners[0]!.id);
        const written = await Promise.all(inputs.map((a) => store.getAccount(a.id)));
        expect(written.filter((a) => a !== undefined)).toHaveLength(1);
      });

      test('5 concurrent account creations with one EAB key: exactly one binds it', async (store) => {
        await store.createEabKey({ keyId: 'kid-race', hmacKey: bytes(1), createdAt: at(0) });
        const inputs = Array.from({ length: 5 }, () => newAccount({ eabKeyId: 'kid-race' }));
        const results = await Promise.allSettled(inputs.map((a) => store.createAccount(a)));
        const { winners, rejected } = tally(results);
        expect(winners).toHaveLength(1);
        expect(rejected).toHaveLength(4);
        expect(rejected.every((e) => isCertwrightError(e, 'unauthorized'))).toBe(true);
        expect((await store.getEabKey('kid-race'))?.boundAccountId).toBe(winners[0]!.id);
      });

      test('5 concurrent account updates with one version: exactly one wins', async (store) => {
        const account = await store.createAccount(newAccount());
        const results = await Promise.allSettled(
          Array.from({ length: 5 }, (_, i) => store.updateAccount(account.id, account.version, { contact: [`mailto:${i}@example.com`] })),
        );
        const { winners, losers, rejected } = tally(results);
        expect(rejected).toEqual([]);
        expect(winners).toHaveLength(1);
        expect(losers).toBe(4);
        expect((await store.getAccount(account.id))?.version).toBe(account.version + 1);
      });

      test('2 concurrent challenge transitions pending → processing: one wins', async (store) => {
        const { authorizations } = await orderFor(store, ['a.example.com']);
        const id = authorizations[0]!.challenges[0]!.id;
        const results = await Promise.allSettled([
          store.transitionChallenge(id, 'pending', 'processing'),
          store.transitionChallenge(id, 'pending', 'processing'),
        ]);
        const { winners, losers, rejected } = tally(results);
        expect(rejected).toEqual([]);
        expect(winners).toHaveLength(1);
        expect(losers).toBe(1);
      });

      test('5 concurrent revocations: one wins', async (store) => {
        const { serial } = await store.reserveSerial(newReservation('issuer-a'));
        await store.recordPlanned(serial, { plannedTbs: bytes(1), notBefore: at(0), notAfter: at(D), updatedAt: at(1) });
        await store.recordIssued(serial, bytes(2), at(2));
        const results = await Promise.allSettled(
          ([0, 1, 3, 4, 5] as const).map((reason, i) => store.revoke(serial, reason, at(10 + i))),
        );
        const { winners, losers, rejected } = tally(results);
        expect(rejected).toEqual([]);
        expect(winners).toHaveLength(1);
        expect(losers).toBe(4);
        expect(await store.getCertificate(serial)).toMatchObject({ revokedAt: winners[0]!.revokedAt, revocationReason: winners[0]!.reason });
      });
    });
  });
}
