import { describe, expect, it } from 'vitest';
import { isCertwrightError, type ErrorCode } from '../../src/errors.js';
import { ORDER_TRANSITIONS } from '../../src/domain/status.js';
import { checkNewOrderIds, linkOrderAuthorizations } from '../../src/store/order-links.js';
import {
  decodeCursor,
  decodeOrderCursor,
  decodeSerialCursor,
  encodeCursor,
  orderCursor,
  serialCursor,
} from '../../src/store/page-cursor.js';
import { checkTransitionRequest } from '../../src/store/transition-guard.js';
import { at, dns, newAuthorization, newId, newOrderWithAuthorizations } from './fixtures.js';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to throw');
}

function expectError(fn: () => unknown, code: ErrorCode, detail: string): void {
  const err = thrownBy(fn);
  expect(isCertwrightError(err, code), String(err)).toBe(true);
  expect(isCertwrightError(err) && err.detail).toContain(detail);
}

describe('page cursors', () => {
  it('round-trip order and serial keys', () => {
    const order = { createdAt: at(42), id: newId() };
    const cursor = orderCursor(order);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeOrderCursor(cursor)).toEqual(order);
    expect(decodeSerialCursor(serialCursor('7f01'))).toBe('7f01');
    expect(decodeCursor(encodeCursor([1, 'a', 2]), ['n', 's', 'n'])).toEqual([1, 'a', 2]);
  });

  it('refuse cursors that are not base64url, not JSON, or of another shape, as malformed', () => {
    const garbage = [
      'not base64url!',
      '',
      Buffer.from('{"a":1').toString('base64url'),
      encodeCursor(['x']),
      encodeCursor([1, 2]),
      encodeCursor([1, 'a', 'extra']),
      Buffer.from('{"0":1,"1":"a"}').toString('base64url'),
    ];
    for (const cursor of garbage) expectError(() => decodeOrderCursor(cursor), 'malformed', 'Invalid page cursor');
    expectError(() => decodeSerialCursor(encodeCursor([12])), 'malformed', 'Invalid page cursor');
  });
});

describe('checkTransitionRequest', () => {
  it('returns the from statuses as a list when every one may move to the target', () => {
    expect(checkTransitionRequest('order', ORDER_TRANSITIONS, 'ready', 'processing')).toEqual(['ready']);
    expect(checkTransitionRequest('order', ORDER_TRANSITIONS, ['pending', 'ready', 'processing'], 'invalid')).toEqual([
      'pending',
      'ready',
      'processing',
    ]);
    expect(checkTransitionRequest('order', ORDER_TRANSITIONS, [], 'invalid')).toEqual([]);
  });

  it('throws conflict naming the first from status that may not move to the target', () => {
    expectError(() => checkTransitionRequest('order', ORDER_TRANSITIONS, ['ready', 'valid'], 'invalid'), 'conflict', 'The order cannot change from "valid" to "invalid"');
    expectError(() => checkTransitionRequest('order', ORDER_TRANSITIONS, 'pending', 'processing'), 'conflict', '"pending" to "processing"');
  });
});

describe('createOrder input checks', () => {
  it('accept distinct ids', () => {
    const { authorizations } = newOrderWithAuthorizations('acct', ['a.example', 'b.example']);
    expect(() => checkNewOrderIds(authorizations, [newId()])).not.toThrow();
  });

  it('refuse a repeated authorization id, including a reused id equal to a new one, as conflict', () => {
    const { authorizations } = newOrderWithAuthorizations('acct', ['a.example', 'b.example']);
    const [a, b] = [authorizations[0]!, authorizations[1]!];
    expectError(() => checkNewOrderIds(authorizations, [a.id]), 'conflict', a.id);
    expectError(() => checkNewOrderIds([a, { ...b, id: a.id }], []), 'conflict', a.id);
    const reused = newId();
    expectError(() => checkNewOrderIds([a], [reused, reused]), 'conflict', reused);
  });

  it('refuse a repeated challenge id as conflict', () => {
    const a = newAuthorization('acct', dns('a.example'));
    const id = a.challenges[0]!.id;
    a.challenges[1]!.id = id;
    expectError(() => checkNewOrderIds([a], []), 'conflict', id);
  });
});

describe('linkOrderAuthorizations', () => {
  const order = newOrderWithAuthorizations('acct', ['*.example.com', 'example.com', 'www.example.com']).order;

  it('lists authorization ids in identifier order, wildcards matched to wildcard authorizations', () => {
    const plain = newAuthorization('acct', dns('example.com'));
    const www = newAuthorization('acct', dns('www.example.com'));
    const wild = newAuthorization('acct', dns('*.example.com'));
    expect(linkOrderAuthorizations(order, [www, plain, wild])).toEqual([wild.id, plain.id, www.id]);
  });

  it('refuses a missing, a surplus, a doubled or a foreign authorization as serverInternal', () => {
    const plain = newAuthorization('acct', dns('example.com'));
    const www = newAuthorization('acct', dns('www.example.com'));
    const wild = newAuthorization('acct', dns('*.example.com'));
    expectError(() => linkOrderAuthorizations(order, [plain, www]), 'serverInternal', 'no authorization for dns:*.example.com');
    const extra = newAuthorization('acct', dns('mail.example.com'));
    expectError(() => linkOrderAuthorizations(order, [plain, www, wild, extra]), 'serverInternal', extra.id);
    const twice = newAuthorization('acct', dns('www.example.com'));
    expectError(() => linkOrderAuthorizations(order, [plain, www, wild, twice]), 'serverInternal', 'two authorizations for dns:www.example.com');
    const foreign = newAuthorization('other', dns('www.example.com'));
    expectError(() => linkOrderAuthorizations(order, [plain, foreign, wild]), 'serverInternal', foreign.id);
  });

  it('does not let an IP identifier match a DNS authorization of the same text', () => {
    const ipOrder = { ...order, identifiers: [{ type: 'ip' as const, value: '192.0.2.1' }] };
    const asDns = newAuthorization('acct', dns('192.0.2.1'));
    expectError(() => linkOrderAuthorizations(ipOrder, [asDns]), 'serverInternal', 'ip:192.0.2.1');
    const asIp = newAuthorization('acct', { type: 'ip', value: '192.0.2.1' });
    expect(linkOrderAuthorizations(ipOrder, [asIp])).toEqual([asIp.id]);
  });
});
