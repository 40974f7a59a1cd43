import { describe, expect, it } from 'vitest';
import { FakeClock, type RecoveryOutcome } from '@certwright/core';
import type { OrderRecoveryRun, RecoveryReport } from '@certwright/acme';
import { recoverAtStart, SHARED_DATABASE_GRACE_MS } from '../src/start-recovery.js';

/*
 * Which interrupted work start-up recovery takes: on SQLite (one server owns
 * the file) everything in flight, on a shared database only what no other
 * node can still be working on. The crash itself is in crash-under-load.test.ts.
 */

const NOW = '2026-06-01T12:00:00.000Z';

/** Engines that record what they were asked and answer from `batches`. */
function engines(certificateBatches: RecoveryOutcome[][], orderBatches: RecoveryReport[]) {
  const asked = { certificates: [] as { updatedBefore: Date; limit?: number }[], orders: [] as (OrderRecoveryRun | undefined)[], validations: 0, calls: [] as string[] };
  const issuance = {
    recover: async (options: { updatedBefore: Date; limit?: number }) => {
      asked.certificates.push(options);
      return certificateBatches.shift() ?? [];
    },
  };
  const engine = {
    recover: async (run?: OrderRecoveryRun) => {
      asked.orders.push(run);
      asked.calls.push('recover');
      return orderBatches.shift() ?? { completed: [], invalidated: [], skipped: [], validations: { restarted: [], failed: [] } };
    },
    recoverValidations: async () => {
      asked.validations++;
      asked.calls.push('recoverValidations');
      return ['c1', 'c2'];
    },
  };
  return { issuance, engine, asked };
}

const outcomes = (n: number, action: RecoveryOutcome['action'], from = 0): RecoveryOutcome[] => Array.from({ length: n }, (_, i) => ({ serial: `${action}-${from + i}`, action }));

describe('start-up recovery', () => {
  it('on SQLite takes every record, validation and order in flight, however recent, batch after batch (validations before orders)', async () => {
    const { issuance, engine, asked } = engines(
      [outcomes(100, 'abandoned'), outcomes(3, 'issued')],
      [{ completed: ['o1'], invalidated: ['o2'], skipped: ['o3'], validations: { restarted: [], failed: [] } }],
    );
    const report = await recoverAtStart(issuance, engine, 'sqlite', new FakeClock(NOW));
    expect(report).toEqual({ certificates: 103, orders: 2, validations: 2 });
    const justAfterNow = new Date(Date.parse(NOW) + 1);
    expect(asked.certificates).toEqual([{ updatedBefore: justAfterNow, limit: 100 }, { updatedBefore: justAfterNow, limit: 100 }]);
    expect(asked.orders).toEqual([{ updatedBefore: justAfterNow }]);
    expect(asked.validations).toBe(1);
    // Taking a validation over restarts its clock: recover() that follows does not take it again.
    expect(asked.calls).toEqual(['recoverValidations', 'recover']);
  });

  it('on a shared database takes records older than the grace, and orders and validations past the engine timeouts only', async () => {
    const { issuance, engine, asked } = engines([outcomes(1, 'issued')], [{ completed: [], invalidated: [], skipped: [], validations: { restarted: ['c9'], failed: ['c8'] } }]);
    expect(await recoverAtStart(issuance, engine, 'postgres', new FakeClock(NOW))).toEqual({ certificates: 1, orders: 0, validations: 1 });
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
