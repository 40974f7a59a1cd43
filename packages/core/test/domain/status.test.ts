import { describe, expect, it } from 'vitest';
import { isCertwrightError } from '../../src/errors.js';
import {
  ACCOUNT_TRANSITIONS,
  AUTHORIZATION_TRANSITIONS,
  CHALLENGE_TRANSITIONS,
  ORDER_TRANSITIONS,
  canTransition,
  orderStatusFromAuthorizations,
  transitionAccount,
  transitionAuthorization,
  transitionChallenge,
  transitionOrder,
} from '../../src/domain/status.js';

/** Every (from, to) pair of a machine's statuses, split into legal and illegal by the machine itself. */
function pairs<S extends string>(machine: Readonly<Record<S, readonly S[]>>): { legal: [S, S][]; illegal: [S, S][] } {
  const statuses = Object.keys(machine) as S[];
  const legal: [S, S][] = [];
  const illegal: [S, S][] = [];
  for (const from of statuses) for (const to of statuses) (machine[from].includes(to) ? legal : illegal).push([from, to]);
  return { legal, illegal };
}

function expectConflict(fn: () => unknown, kind: string, from: string, to: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isCertwrightError(thrown, 'conflict'), `${kind} ${from} → ${to} should be refused`).toBe(true);
  expect(isCertwrightError(thrown) && thrown.detail).toBe(`The ${kind} cannot change from "${from}" to "${to}"`);
}

describe('RFC 8555 §7.1.6 status machines', () => {
  it('has exactly the legal transitions of the RFC state diagrams', () => {
    expect(pairs(ACCOUNT_TRANSITIONS).legal).toEqual([
      ['valid', 'deactivated'],
      ['valid', 'revoked'],
    ]);
    expect(pairs(ORDER_TRANSITIONS).legal).toEqual([
      ['pending', 'ready'],
      ['pending', 'invalid'],
      ['ready', 'processing'],
      ['ready', 'invalid'],
      ['processing', 'valid'],
      ['processing', 'invalid'],
    ]);
    expect(pairs(AUTHORIZATION_TRANSITIONS).legal).toEqual([
      ['pending', 'valid'],
      ['pending', 'invalid'],
      ['pending', 'deactivated'],
      ['pending', 'expired'],
      ['valid', 'deactivated'],
      ['valid', 'expired'],
      ['valid', 'revoked'],
    ]);
    expect(pairs(CHALLENGE_TRANSITIONS).legal).toEqual([
      ['pending', 'processing'],
      ['pending', 'invalid'],
      ['processing', 'valid'],
      ['processing', 'invalid'],
    ]);
  });

  const machines = [
    ['account', ACCOUNT_TRANSITIONS, transitionAccount],
    ['order', ORDER_TRANSITIONS, transitionOrder],
    ['authorization', AUTHORIZATION_TRANSITIONS, transitionAuthorization],
    ['challenge', CHALLENGE_TRANSITIONS, transitionChallenge],
  ] as const;

  for (const [kind, machine, transition] of machines) {
    const check = transition as (from: string, to: string) => string;
    const { legal, illegal } = pairs(machine as Readonly<Record<string, readonly string[]>>);

    it(`allows every legal ${kind} transition`, () => {
      for (const [from, to] of legal) {
        expect(check(from, to)).toBe(to);
        expect(canTransition(machine as Readonly<Record<string, readonly string[]>>, from, to)).toBe(true);
      }
    });

    it(`refuses every illegal ${kind} transition with conflict naming both statuses`, () => {
      expect(illegal.length).toBeGreaterThan(0);
      for (const [from, to] of illegal) {
        expectConflict(() => check(from, to), kind, from, to);
        expect(canTransition(machine as Readonly<Record<string, readonly string[]>>, from, to)).toBe(false);
      }
    });
  }

  it('refuses sample illegal moves: staying put, leaving a final state, skipping a step', () => {
    expectConflict(() => transitionOrder('ready', 'ready'), 'order', 'ready', 'ready');
    expectConflict(() => transitionOrder('valid', 'invalid'), 'order', 'valid', 'invalid');
    expectConflict(() => transitionOrder('pending', 'processing'), 'order', 'pending', 'processing');
    expectConflict(() => transitionOrder('pending', 'valid'), 'order', 'pending', 'valid');
    expectConflict(() => transitionAuthorization('pending', 'revoked'), 'authorization', 'pending', 'revoked');
    expectConflict(() => transitionAuthorization('invalid', 'valid'), 'authorization', 'invalid', 'valid');
    expectConflict(() => transitionChallenge('pending', 'valid'), 'challenge', 'pending', 'valid');
    expectConflict(() => transitionChallenge('invalid', 'pending'), 'challenge', 'invalid', 'pending');
    expectConflict(() => transitionAccount('deactivated', 'valid'), 'account', 'deactivated', 'valid');
    expectConflict(() => transitionAccount('revoked', 'deactivated'), 'account', 'revoked', 'deactivated');
  });

  it('reports an unknown from-status as serverInternal, and canTransition says false', () => {
    let thrown: unknown;
    try {
      transitionOrder('bogus' as 'pending', 'ready');
    } catch (e) {
      thrown = e;
    }
    expect(isCertwrightError(thrown, 'serverInternal')).toBe(true);
    expect(isCertwrightError(thrown) && thrown.detail).toContain('"bogus"');
    expect(canTransition(ORDER_TRANSITIONS, 'bogus' as 'pending', 'ready')).toBe(false);
  });
});

describe('orderStatusFromAuthorizations (RFC 8555 §7.1.6)', () => {
  it('is ready when every authorization is valid', () => {
    expect(orderStatusFromAuthorizations('pending', ['valid'])).toBe('ready');
    expect(orderStatusFromAuthorizations('pending', ['valid', 'valid', 'valid'])).toBe('ready');
  });

  it('stays pending while some authorization is pending and none failed', () => {
    expect(orderStatusFromAuthorizations('pending', ['valid', 'pending'])).toBe('pending');
    expect(orderStatusFromAuthorizations('pending', ['pending'])).toBe('pending');
  });

  it('is invalid when any authorization is invalid, deactivated, expired or revoked', () => {
    for (const failed of ['invalid', 'deactivated', 'expired', 'revoked'] as const) {
      expect(orderStatusFromAuthorizations('pending', ['valid', failed])).toBe('invalid');
      expect(orderStatusFromAuthorizations('pending', ['pending', failed, 'valid'])).toBe('invalid');
    }
  });

  it('never makes an order without authorizations ready', () => {
    expect(orderStatusFromAuthorizations('pending', [])).toBe('pending');
  });

  it('leaves orders that are no longer pending alone', () => {
    for (const status of ['ready', 'processing', 'valid', 'invalid'] as const) {
      expect(orderStatusFromAuthorizations(status, ['invalid'])).toBe(status);
      expect(orderStatusFromAuthorizations(status, ['pending'])).toBe(status);
    }
  });
});
