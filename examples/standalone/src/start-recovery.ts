/**
 * Start-up recovery of `certwright serve` (ARCHITECTURE.md "Issuance as a
 * write-ahead pipeline"): first the issuance engine closes the write-ahead
 * records a crash left (`reserved` → abandoned, `planned` → signed from the
 * stored TBS and issued, `precertificate` left revocable), then the ACME
 * engine validates again the challenges left `processing` (RFC 8555
 * §7.5.1) and completes or invalidates the orders left `processing`.
 *
 * Which records and orders count as interrupted depends on who else may be
 * working on the database. A SQLite file belongs to one server (it holds the
 * data directory's lock, and keeps its nonces in memory for the same
 * reason), so at start nothing can be in flight: everything in flight was
 * interrupted, however recent. A PostgreSQL or MariaDB database may be shared
 * by several nodes, one of which may be issuing right now, so only work
 * untouched for a grace period is taken.
 * @module
 */
import { MINUTE, type Clock, type WriteAheadIssuanceEngine } from '@certwright/core';
import type { AcmeServer } from '@certwright/acme';
import type { SqlDialectName } from '@certwright/core/sql';

/** On a shared database: how long a write-ahead record may sit before start-up recovery takes it as interrupted. */
export const SHARED_DATABASE_GRACE_MS = 5 * MINUTE;

/** Write-ahead records and orders handled per call. */
const BATCH = 100;

/** What start-up recovery did. */
export interface StartRecoveryReport {
  /** Write-ahead records closed or left revocable. */
  readonly certificates: number;
  /** Orders completed or invalidated. */
  readonly orders: number;
  /** Challenge validations started again (they end in the background). */
  readonly validations: number;
}

/**
 * Recovers what a crash interrupted, before the server takes requests.
 * `dialect` is the store's: `sqlite` takes every record, order and
 * validation in flight; the others the issuance engine's records older than
 * {@link SHARED_DATABASE_GRACE_MS}, orders past the engine's processing
 * timeout and validations past its validation recovery timeout (`recover()`
 * goes by the time each validation started; a recent one may be another
 * node's, in progress).
 */
export async function recoverAtStart(
  issuance: Pick<WriteAheadIssuanceEngine, 'recover'>,
  engine: Pick<AcmeServer, 'recover' | 'recoverValidations'>,
  dialect: SqlDialectName,
  clock: Clock,
): Promise<StartRecoveryReport> {
  const ownedAlone = dialect === 'sqlite';
  const now = clock.now();
  const updatedBefore = ownedAlone ? new Date(now.getTime() + 1) : new Date(now.getTime() - SHARED_DATABASE_GRACE_MS);
  const certificates = new Set<string>();
  for (;;) {
    const outcomes = await issuance.recover({ updatedBefore, limit: BATCH });
    for (const outcome of outcomes) certificates.add(outcome.serial);
    // Records left as they are (precertificates) come back in every batch: stop when a batch changed nothing.
    if (outcomes.length < BATCH || outcomes.every((o) => o.action === 'left')) break;
  }
  // Validations first: taking one over restarts its clock, so recover() below does not take it a second time.
  let validations = ownedAlone ? (await engine.recoverValidations()).length : 0;
  let orders = 0;
  for (;;) {
    const report = await engine.recover(ownedAlone ? { updatedBefore } : {});
    const handled = report.completed.length + report.invalidated.length;
    orders += handled;
    validations += report.validations.restarted.length;
    if (handled < BATCH) break;
  }
  return { certificates: certificates.size, orders, validations };
}
