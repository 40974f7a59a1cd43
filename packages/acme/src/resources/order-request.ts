/**
 * Checks of a newOrder payload other than identifiers (RFC 8555 §7.4):
 * profile selection (draft-ietf-acme-profiles), requested validity, and
 * ARI `replaces` (RFC 9773 §5).
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { Account, Identifier } from '@certwright/core';
import type { EngineContext } from '../engine/context.js';
import { parseCertId } from '../engine/certificate-info.js';
import { findByCertId } from '../engine/certificate-lookup.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 date-time (RFC 8555 §7.1.3 `notBefore`/`notAfter`); `malformed` naming `field` otherwise. */
export function parseTimestamp(value: unknown, field: string): Date | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !RFC3339.test(value)) throw new CertwrightError('malformed', `'${field}' must be an RFC 3339 date-time string`);
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new CertwrightError('malformed', `'${field}' ${JSON.stringify(value)} is not a valid date-time`);
  return date;
}

/** The profile the order uses: the requested one if offered (else `invalidProfile`), or the default. */
export function selectProfile(ctx: EngineContext, requested: unknown): string | undefined {
  if (requested === undefined) return ctx.defaultProfile;
  if (typeof requested !== 'string') throw new CertwrightError('malformed', "'profile' must be a string");
  if (!ctx.profiles.has(requested)) {
    const offered = [...ctx.profiles.keys()];
    throw new CertwrightError('invalidProfile', `Profile ${JSON.stringify(requested.slice(0, 64))} is not offered${offered.length > 0 ? `; offered: ${offered.join(', ')}` : ' (this server offers no profiles)'}`);
  }
  return requested;
}

/**
 * Checks requested validity against the profile: `notBefore` not in the
 * past and not after the order expires; `notAfter` after `notBefore` (or
 * now) and, when the profile sets `maxValiditySeconds`, within it.
 * Violations are `malformed` naming the rule.
 */
export function checkValidityRequest(ctx: EngineContext, profile: string | undefined, notBefore: Date | undefined, notAfter: Date | undefined, orderExpires: Date): void {
  const now = ctx.clock.now();
  if (notBefore !== undefined) {
    if (notBefore.getTime() < now.getTime()) throw new CertwrightError('malformed', `'notBefore' ${notBefore.toISOString()} is in the past`);
    if (notBefore.getTime() > orderExpires.getTime()) throw new CertwrightError('malformed', `'notBefore' ${notBefore.toISOString()} is after the order would expire (${orderExpires.toISOString()})`);
  }
  if (notAfter !== undefined) {
    const start = notBefore ?? now;
    if (notAfter.getTime() <= start.getTime()) throw new CertwrightError('malformed', `'notAfter' ${notAfter.toISOString()} is not after ${notBefore === undefined ? 'now' : "'notBefore'"}`);
    const max = profile === undefined ? undefined : ctx.profiles.get(profile)?.maxValiditySeconds;
    if (max !== undefined && notAfter.getTime() - start.getTime() > max * 1000) {
      throw new CertwrightError('malformed', `The requested validity exceeds the ${max} seconds profile ${JSON.stringify(profile)} allows`);
    }
  }
}

/**
 * Checks ARI `replaces` (RFC 9773 §5): a well-formed certificate id of an
 * issued certificate of this account that no other live order replaces
 * (`alreadyReplaced`, 409). An unknown certificate is `malformed`; another
 * account's certificate is `unauthorized`.
 */
export async function checkReplaces(ctx: EngineContext, account: Account, value: unknown, identifiers: readonly Identifier[]): Promise<string | undefined> {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new CertwrightError('malformed', "'replaces' must be a string ARI certificate id");
  const certId = parseCertId(value);
  const found = await findByCertId(ctx, certId);
  if (found === undefined) throw new CertwrightError('malformed', `'replaces' names no certificate issued by this CA (RFC 9773 §5)`);
  if (found.record.accountId !== account.id) throw new CertwrightError('unauthorized', "'replaces' names a certificate that was not issued to the requesting account (RFC 9773 §5)");
  const names = new Set(identifiers.map((i) => `${i.type}:${i.value}`));
  if (!found.record.identifiers.some((i) => names.has(`${i.type}:${i.value}`))) {
    throw new CertwrightError('malformed', "'replaces' names a certificate that shares no identifier with this order (RFC 9773 §5)");
  }
  const replacing = await ctx.store.findOrderReplacing(value);
  if (replacing !== undefined) throw new CertwrightError('alreadyReplaced', `The certificate ${value} is already replaced by another order (RFC 9773 §5)`);
  return value;
}
