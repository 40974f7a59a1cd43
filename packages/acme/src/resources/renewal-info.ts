/**
 * ACME Renewal Information (RFC 9773 §4): GET `<renewalInfo>/<certID>`
 * returns `suggestedWindow` — the middle third of the validity period, or,
 * for a revoked certificate, a window from the revocation until now (renew
 * immediately) — with `Retry-After`. A malformed certID is `malformed`
 * (400); an unknown certificate 404.
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { EngineContext } from '../engine/context.js';
import { parseCertId } from '../engine/certificate-info.js';
import { findByCertId } from '../engine/certificate-lookup.js';
import { jsonResponse } from '../engine/responses.js';
import type { ResponseParts } from '../engine/responses.js';

/** The suggested renewal window for a certificate valid from `notBefore` to `notAfter`, as of `now`. */
export function suggestedWindow(notBefore: Date, notAfter: Date, revokedAt: Date | undefined, now: Date): { start: Date; end: Date } {
  if (revokedAt !== undefined) {
    const start = new Date(Math.min(revokedAt.getTime(), now.getTime()));
    return { start, end: new Date(Math.max(now.getTime(), start.getTime() + 1000)) };
  }
  const span = notAfter.getTime() - notBefore.getTime();
  return { start: new Date(notBefore.getTime() + Math.floor(span / 3)), end: new Date(notBefore.getTime() + Math.floor((2 * span) / 3)) };
}

/** GET renewalInfo for one certificate. */
export async function getRenewalInfo(ctx: EngineContext, certIdText: string): Promise<ResponseParts> {
  const certId = parseCertId(certIdText);
  const found = await findByCertId(ctx, certId);
  if (found === undefined) throw new CertwrightError('notFound', 'This CA issued no certificate with that certificate id');
  const window = suggestedWindow(found.info.notBefore, found.info.notAfter, found.record.revokedAt, ctx.clock.now());
  return jsonResponse(200, { suggestedWindow: { start: window.start.toISOString(), end: window.end.toISOString() } }, { retryAfterSeconds: ctx.renewalInfoRetryAfterSeconds });
}
