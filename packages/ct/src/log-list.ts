/**
 * The logs a CA submits to: URL, public key, operator and, for temporally
 * sharded logs, the window of certificate expiry dates the log accepts.
 * Everything is checked when the list is built, so a bad entry fails at
 * start-up rather than at the first issuance.
 * @module
 */
import { CertwrightError } from '@certwright/core';
import { parseCtLogKey } from './log-key.js';
import type { CtLogKey } from './log-key.js';

/** One log, as configured. */
export interface CtLogConfig {
  /** The log's base URL; the RFC 6962 §4 paths (`/ct/v1/add-chain`, …) are appended to it. */
  readonly url: string;
  /** The log's public key: PEM (`PUBLIC KEY`) or SubjectPublicKeyInfo DER. */
  readonly publicKey: string | Uint8Array;
  /** Who runs the log; policies may require SCTs from distinct operators. */
  readonly operator: string;
  /** A short name for logs and error details (default: the URL's host and path). */
  readonly name?: string;
  /** Temporal shard: the log accepts certificates whose notAfter is at or after this instant. */
  readonly acceptedFrom?: Date;
  /** Temporal shard: the log accepts certificates whose notAfter is before this instant. */
  readonly acceptedUntil?: Date;
}

/** A validated log. */
export interface CtLog {
  /** The base URL, without a trailing slash. */
  readonly url: string;
  readonly name: string;
  readonly operator: string;
  readonly key: CtLogKey;
  readonly acceptedFrom: Date | undefined;
  readonly acceptedUntil: Date | undefined;
}

function fail(what: string, rule: string): CertwrightError {
  return new CertwrightError('serverInternal', `${what}: ${rule}`);
}

function checkDate(what: string, field: string, value: unknown): Date | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw fail(what, `${field} must be a valid Date`);
  return value;
}

/**
 * Validates one log: an absolute http(s) URL without query or fragment, a
 * usable key (see {@link parseCtLogKey}), a non-empty operator, and a shard
 * window whose start is before its end. Errors are `serverInternal` naming
 * the log and the rule.
 */
export function defineCtLog(config: CtLogConfig): CtLog {
  let what = `CT log ${JSON.stringify(config.name ?? config.url)}`;
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw fail(what, 'url must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail(what, `url must be http or https, not ${url.protocol}`);
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw fail(what, 'url must have no query, fragment or credentials');
  }
  const base = url.href.replace(/\/+$/, '');
  const name = config.name ?? base.replace(/^https?:\/\//, '');
  what = `CT log ${JSON.stringify(name)}`;
  if (name.trim() === '') throw fail(what, 'name must not be empty');
  if (typeof config.operator !== 'string' || config.operator.trim() === '') throw fail(what, 'operator must be a non-empty string');
  const key = parseCtLogKey(config.publicKey, what);
  const acceptedFrom = checkDate(what, 'acceptedFrom', config.acceptedFrom);
  const acceptedUntil = checkDate(what, 'acceptedUntil', config.acceptedUntil);
  if (acceptedFrom !== undefined && acceptedUntil !== undefined && acceptedFrom.getTime() >= acceptedUntil.getTime()) {
    throw fail(what, 'acceptedFrom must be before acceptedUntil');
  }
  return Object.freeze({ url: base, name, operator: config.operator, key, acceptedFrom, acceptedUntil });
}

/** Validates a list of logs: each with {@link defineCtLog}, and no two with the same key (log id), URL or name. */
export function defineCtLogs(configs: readonly (CtLogConfig | CtLog)[]): CtLog[] {
  const logs = configs.map((c) => ('key' in c ? c : defineCtLog(c)));
  const seen = new Map<string, string>();
  for (const log of logs) {
    for (const [kind, value] of [['log id', Buffer.from(log.key.logId).toString('hex')], ['url', log.url], ['name', log.name]] as const) {
      const k = `${kind}\u0000${value}`;
      const other = seen.get(k);
      if (other !== undefined) throw fail(`CT log ${JSON.stringify(log.name)}`, `same ${kind} as CT log ${JSON.stringify(other)}`);
      seen.set(k, log.name);
    }
  }
  return logs;
}

/** Whether a temporally sharded log takes a certificate expiring at `notAfter` (window [acceptedFrom, acceptedUntil)). */
export function logAcceptsNotAfter(log: CtLog, notAfter: Date): boolean {
  const t = notAfter.getTime();
  if (log.acceptedFrom !== undefined && t < log.acceptedFrom.getTime()) return false;
  if (log.acceptedUntil !== undefined && t >= log.acceptedUntil.getTime()) return false;
  return true;
}
