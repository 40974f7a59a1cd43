/**
 * One run of the periodic crash recovery ({@link AcmeServer.recover}): the
 * orders left `processing` past the processing timeout (recovery.ts), then
 * the validations left `processing` past the validation recovery timeout
 * (validation-recovery.ts, RFC 8555 §7.5.1). Both go by stored times and
 * compare-and-set, so every node of a shared database may run it.
 * @module
 */
import type { EngineContext } from './context.js';
import { DEFAULT_RECOVERY_BATCH_SIZE, recoverOrders } from './recovery.js';
import type { OrderRecoveryReport, OrderRecoveryRun } from './recovery.js';
import { recoverStaleValidations } from './validation-recovery.js';
import type { ValidationRecoveryReport } from './validation-recovery.js';

/** What one {@link AcmeServer.recover} run did. */
export interface RecoveryReport extends OrderRecoveryReport {
  /** Validations taken over: challenges `processing` for longer than `recovery.validationProcessingTimeoutMs`. */
  readonly validations: ValidationRecoveryReport;
}

/**
 * Recovers one batch of interrupted orders and one of interrupted
 * validations. `run.updatedBefore` concerns orders only.
 */
export async function recoverInterrupted(ctx: EngineContext, run: OrderRecoveryRun = {}): Promise<RecoveryReport> {
  const orders = await recoverOrders(ctx, run);
  const processingBefore = new Date(ctx.clock.now().getTime() - ctx.validationProcessingTimeoutMs);
  const validations = await recoverStaleValidations(ctx, processingBefore, ctx.options.recovery?.batchSize ?? DEFAULT_RECOVERY_BATCH_SIZE);
  return { ...orders, validations };
}
