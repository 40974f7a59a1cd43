import { describe, expect, it } from 'vitest';
import { FakeClock, type RecoveryOutcome } from '@certwright/core';
import type { OrderRecoveryReport, OrderRecoveryRun } from '@certwright/acme';
import { recoverAtStart, SHARED_DATABASE_GRACE_MS } from '../src/start-recovery.js';

/*
 * Which interrupted work start-up recovery takes: on SQLite (one server owns
 * the file) everything in flight, on a shared database only what no other
 * node can still be working on. The crash itself is in crash-under-load.test.ts.
 */

const NOW = '2026-06-01T12:00:00.000Z';

/** Engines that record what they were asked and answer from `batches`. */
function engines(certificateBatches: RecoveryOutcome[][], orderBatches: OrderRecoveryReport[]) {
  const asked = { certificates: [] as { updatedBefore: Date; limit?: number }[], orders: [] as (OrderRecoveryRun | undefined)[], validations: 0 };
  const issuance = {
    recover: async (options: { updatedBefore: Date; limit?: number }) => {
      asked.certificates.push(options);
      return certificateBatches.shift() ?? [];
    },
  };
  const engine = {
    recover: async (run?: OrderRecoveryRun) => {
      asked.orders.push(run);
      return orderBatches.shift() ?? { completed: [], invalidated: [], skipped: [] };
    },
    recoverValidations: async () => {
      asked.validations++;
      return ['c1', 'c2'];
    },
  };
  return { issuance, engine, asked };
}

const outcomes = (n: number, action: RecoveryOutcome['action'], from = 0): RecoveryOutcome[] => Array.from({ length: n }, (_, i) => ({ serial: `${action}-${from + i}`, action }));

describe('start-up recovery', () => {
  it('on SQLite takes every record and order in flight, however recent, batch after batch', async () => {
    const { issuance, engine, asked } = engines([outcomes(100, 'abandoned'), outcomes(3, 'issued')], [{ completed: ['o1'], invalidated: ['o2'], skipped: ['o3'] }]);
    const report = await recoverAtStart(issuance, engine, 'sqlite', new FakeClock(NOW));
    expect(report).toEqual({ certificates: 103, orders: 2, validations: 2 });
    const justAfterNow = new Date(Date.parse(NOW) + 1);
    expect(asked.certificates).toEqual([{ updatedBefore: justAfterNow, limit: 100 }, { updatedBefore: justAfterNow, limit: 100 }]);
    expect(asked.orders).toEqual([{ updatedBefore: justAfterNow }]);
    expect(asked.validations).toBe(1);
  });

  it('on a shared database takes records older than the grace and orders past the engine timeout, and no validation', async () => {
    const { issuance, engine, asked } = engines([outcomes(1, 'issued')], []);
    expect(await recoverAtStart(issuance, engine, 'postgres', new FakeClock(NOW))).toEqual({ certificates: 1, orders: 0, validations: 0 });
    expect(asked.validations).toBe(0);
    expect(asked.certificates).toEqual([{ updatedBefore: new Date(Date.parse(NOW) - SHARED_DATABASE_GRACE_MS), limit: 100 }]);
    expect(asked.orders).toEqual([{}]);
  });

  it('stops when a full batch only holds records left as they are (precertificates), counting each once', async () => {
    const left = outcomes(100, 'left');
    const { issuance, engine, asked } = engines([left, left], []);
    expect(await recoverAtStart(issuance, engine, 'sqlite', new FakeClock(NOW))).toEqual({ certificates: 100, orders: 0, validations: 2 });
    expect(asked.certificates).toHaveLength(1);
  });
});
