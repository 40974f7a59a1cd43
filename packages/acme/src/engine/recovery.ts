/**
 * Crash recovery of orders (ARCHITECTURE.md "Issuance as a write-ahead
 * pipeline"): an order left `processing` by a crash — last updated longer
 * ago than the processing timeout, and not being issued by this process —
 * is completed from its certificate's write-ahead record or marked invalid:
 *
 * - record `issued` → the order becomes valid with its serial;
 * - record `planned` → the issuance engine's `recover` signs the stored TBS;
 *   issued → valid, otherwise invalid;
 * - record `reserved` → abandoned (the serial is burnt, never reused) and
 *   the order invalid; `abandoned`, `precertificate` (its SCTs are lost; it
 *   stays revocable) or no record → invalid.
 *
 * An invalid order carries `serverInternal` "issuance was interrupted;
 * please finalize a new order". Every order change is a compare-and-set
 * from `processing`, so a late issuance and a recovery cannot both win.
 * @module
 */
import type { CertificateRecord, CertificateState, Order, ProblemDocument } from '@certwright/core';
import type { EngineContext } from './context.js';

/** Default {@link AcmeRecoveryOptions.processingTimeoutMs}: 10 minutes. */
export const DEFAULT_PROCESSING_TIMEOUT_MS = 10 * 60_000;
/** Default {@link AcmeRecoveryOptions.batchSize}. */
export const DEFAULT_RECOVERY_BATCH_SIZE = 100;
/** Default {@link AcmeRecoveryOptions.certificateScanLimit}. */
export const DEFAULT_CERTIFICATE_SCAN_LIMIT = 10_000;

/** What {@link recoverOrders} did, by order id. */
export interface OrderRecoveryReport {
  /** Orders completed: now valid with a certificate. */
  readonly completed: readonly string[];
  /** Orders marked invalid. */
  readonly invalidated: readonly string[];
  /** Orders left as they were: issued by this process now, or changed by someone else meanwhile. */
  readonly skipped: readonly string[];
}

const INTERRUPTED: ProblemDocument = {
  type: 'urn:ietf:params:acme:error:serverInternal',
  detail: 'issuance was interrupted; please finalize a new order',
  status: 500,
};

/** Every certificate state, the in-flight ones first (few rows), for the default lookup by order. */
const SCAN_ORDER: readonly (readonly CertificateState[])[] = [['reserved', 'planned', 'precertificate'], ['issued'], ['abandoned']];

/**
 * The default lookup of an order's certificate record: a bounded scan of
 * `listCertificatesByState`, newest records of an order winning.
 */
function scanForOrder(ctx: EngineContext, limit: number): (orderId: string) => Promise<CertificateRecord | undefined> {
  return async (orderId) => {
    const before = new Date(ctx.clock.now().getTime() + 1);
    for (const states of SCAN_ORDER) {
      const records = await ctx.store.listCertificatesByState(states, { updatedBefore: before, limit });
      const mine = records.filter((r) => r.orderId === orderId);
      if (mine.length > 0) return mine.reduce((a, b) => (b.createdAt.getTime() >= a.createdAt.getTime() ? b : a));
    }
    return undefined;
  };
}

type Outcome = 'completed' | 'invalidated' | 'skipped';

async function markValid(ctx: EngineContext, order: Order, serial: string): Promise<Outcome> {
  const moved = await ctx.store.transitionOrder(order.id, 'processing', 'valid', { certificateSerial: serial, updatedAt: ctx.clock.now() });
  if (moved === undefined) return 'skipped';
  ctx.logger({ level: 'warn', event: 'acme.order.recovered', order: order.id, account: order.accountId, serial });
  return 'completed';
}

async function markInvalid(ctx: EngineContext, order: Order, why: string): Promise<Outcome> {
  const moved = await ctx.store.transitionOrder(order.id, 'processing', 'invalid', { error: INTERRUPTED, updatedAt: ctx.clock.now() });
  if (moved === undefined) return 'skipped';
  ctx.logger({ level: 'warn', event: 'acme.order.interrupted', order: order.id, account: order.accountId, reason: why });
  return 'invalidated';
}

async function recoverOne(ctx: EngineContext, order: Order, find: (orderId: string) => Promise<CertificateRecord | undefined>): Promise<Outcome> {
  const record = await find(order.id);
  if (record === undefined) return markInvalid(ctx, order, 'no certificate record');
  switch (record.state) {
    case 'issued':
      return markValid(ctx, order, record.serial);
    case 'planned': {
      const engine = ctx.options.recovery?.issuance ?? recoveryOf(ctx.issuance);
      if (engine === undefined) return markInvalid(ctx, order, `certificate ${record.serial} planned; no issuance recovery configured`);
      await engine.recover({ updatedBefore: new Date(record.updatedAt.getTime() + 1) });
      const after = await ctx.store.getCertificate(record.serial);
      if (after?.state === 'issued') return markValid(ctx, order, record.serial);
      return markInvalid(ctx, order, `certificate ${record.serial} could not be completed (${after?.state ?? 'gone'})`);
    }
    case 'reserved':
      await ctx.store.recordAbandoned(record.serial, ctx.clock.now());
      return markInvalid(ctx, order, `serial ${record.serial} reserved, never signed; abandoned`);
    case 'precertificate':
    case 'abandoned':
      return markInvalid(ctx, order, `certificate ${record.serial} is ${record.state}`);
  }
}

/** The `recover` capability of an issuance engine, when it has one. */
function recoveryOf(issuance: object): { recover: (options: { updatedBefore: Date }) => Promise<unknown> } | undefined {
  const recover = (issuance as { recover?: unknown }).recover;
  return typeof recover === 'function' ? { recover: (options) => (recover as (o: { updatedBefore: Date }) => Promise<unknown>).call(issuance, options) } : undefined;
}

/** How one {@link recoverOrders} run picks its orders. */
export interface OrderRecoveryRun {
  /**
   * Take orders `processing` since before this instant as interrupted.
   * Default: now minus `recovery.processingTimeoutMs`. A host that knows no
   * other process can be issuing from its store (a start-up on a database it
   * owns alone) may pass the current time: every such order was interrupted.
   */
  readonly updatedBefore?: Date;
}

/**
 * Recovers up to one batch of interrupted orders (see the module comment).
 * Errors of one order are logged and the order skipped; the others go on.
 */
export async function recoverOrders(ctx: EngineContext, run: OrderRecoveryRun = {}): Promise<OrderRecoveryReport> {
  const options = ctx.options.recovery ?? {};
  const timeout = options.processingTimeoutMs ?? DEFAULT_PROCESSING_TIMEOUT_MS;
  const find = options.findCertificateByOrder ?? scanForOrder(ctx, options.certificateScanLimit ?? DEFAULT_CERTIFICATE_SCAN_LIMIT);
  const cutoff = run.updatedBefore ?? new Date(ctx.clock.now().getTime() - timeout);
  const stuck = await ctx.store.listOrdersByStatus('processing', { updatedBefore: cutoff, limit: options.batchSize ?? DEFAULT_RECOVERY_BATCH_SIZE });
  const report = { completed: [] as string[], invalidated: [] as string[], skipped: [] as string[] };
  for (const order of stuck) {
    let outcome: Outcome = 'skipped';
    if (!ctx.issuing.has(order.id)) {
      try {
        outcome = await recoverOne(ctx, order, find);
      } catch (err) {
        ctx.logger({ level: 'error', event: 'acme.order.recoveryFailed', order: order.id, error: err instanceof Error ? err.message : String(err) });
      }
    }
    report[outcome].push(order.id);
  }
  return report;
}
