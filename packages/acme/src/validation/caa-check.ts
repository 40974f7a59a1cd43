/**
 * The CAA check (RFC 8659, RFC 8657): may this CA issue for an identifier,
 * for this account, after this validation method? Run at validation time
 * and again before issuance when the validation has grown old.
 *
 * Rules, in order:
 * 1. IP identifiers have no CAA (RFC 8738 §7); names under a `skipCaaFor`
 *    suffix are skipped by configuration (internal zones).
 * 2. The relevant record set is the first non-empty one climbing from the
 *    name (RFC 8659 §3). Any lookup failure other than NXDOMAIN/NODATA
 *    fails closed with a `dns` problem.
 * 3. A record with the issuer-critical flag and a tag this CA does not
 *    understand forbids issuance (RFC 8659 §4.1); unknown non-critical
 *    tags are ignored.
 * 4. For a wildcard, `issuewild` records decide when there are any, else
 *    `issue` records (RFC 8659 §4.3); for other names, `issue` records.
 *    No deciding record at all permits issuance.
 * 5. Issuance is permitted when one deciding record names one of the CA's
 *    issuer domain names and its `accounturi` (if any) equals the account
 *    URL (RFC 8657 §3) and its `validationmethods` (if any) lists the
 *    challenge type (RFC 8657 §4). Otherwise a `caa` problem names the
 *    domain and why each record did not authorize.
 * @module
 */
import { CertwrightError, findMatchingSuffix, normalizeSuffix } from '@certwright/core';
import type { Identifier } from '@certwright/core';
import { findRelevantCaaSet } from './caa-lookup.js';
import type { RelevantCaaSet } from './caa-lookup.js';
import { parseCaaIssueValue } from './caa-value.js';
import { DnsLookupError } from './dns-error.js';
import type { CaaRecord, DnsResolver } from './dns-resolver.js';

/** CAA configuration of the CA. */
export interface CaaConfig {
  /** The issuer domain names that identify this CA in CAA records (its `caaIdentities`), e.g. `['ca.corp.example']`. */
  readonly issuerDomains: readonly string[];
  /** Domain suffixes whose names skip CAA entirely (internal zones without CAA), e.g. `['corp.internal']`. */
  readonly skipCaaFor?: readonly string[];
}

/** Inputs of {@link checkCaa}. */
export interface CaaCheckInput {
  /** The identifier (for a wildcard authorization, its base name). */
  readonly identifier: Identifier;
  /** Whether the authorization is for `*.` + the identifier. */
  readonly wildcard: boolean;
  /** The account URL, compared with `accounturi` (RFC 8657 §3). */
  readonly accountUri: string;
  /** The challenge type used, compared with `validationmethods` (RFC 8657 §4). */
  readonly challengeType: string;
  readonly resolver: DnsResolver;
  readonly config: CaaConfig;
}

/** What the CAA check found, for the validation record. */
export type CaaCheckResult =
  | { readonly outcome: 'notApplicable'; readonly reason: string }
  | { readonly outcome: 'skipped'; readonly suffix: string }
  | { readonly outcome: 'noRecords' }
  | { readonly outcome: 'noIssueProperty'; readonly domain: string }
  | { readonly outcome: 'authorized'; readonly domain: string; readonly record: string };

/** CAA property tags this CA understands (RFC 8659 §4.2–4.4, RFC 9495, CA/B BR §3.2.2.8). */
export const KNOWN_CAA_TAGS: ReadonlySet<string> = new Set(['issue', 'issuewild', 'iodef', 'issuemail', 'issuevmc', 'contactemail', 'contactphone']);

const CRITICAL_FLAG = 0x80;

function show(record: CaaRecord): string {
  return `${record.flags} ${record.tag} ${JSON.stringify(record.value)}`;
}

/** Why one deciding record does not authorize this CA, or `undefined` when it does. */
function refusal(record: CaaRecord, input: CaaCheckInput, issuers: ReadonlySet<string>): string | undefined {
  const parsed = parseCaaIssueValue(record.value);
  if (!parsed.ok) return `the record ${show(record)} is malformed (${parsed.reason})`;
  if (parsed.issuer === undefined) return `the record ${show(record)} authorizes no issuer`;
  if (!issuers.has(parsed.issuer)) return `the record ${show(record)} names another issuer`;
  const accountUri = parsed.parameters.get('accounturi');
  if (accountUri !== undefined && accountUri !== input.accountUri) {
    return `the record ${show(record)} has accounturi ${accountUri}, not this account (${input.accountUri})`;
  }
  const methods = parsed.parameters.get('validationmethods');
  if (methods !== undefined && !methods.split(',').map((m) => m.trim()).includes(input.challengeType)) {
    return `the record ${show(record)} has validationmethods ${methods}, which does not include ${input.challengeType}`;
  }
  return undefined;
}

function lookupFailure(err: unknown, name: string): CertwrightError {
  const what = err instanceof DnsLookupError ? err.detail : 'DNS problem: CAA lookup failed';
  return new CertwrightError('dns', `${what} while checking CAA for ${name}; CAA checking fails closed, so issuance is not allowed until the lookup succeeds`, { cause: err });
}

/** Decides on a relevant record set (rules 3–5 of the module notes). */
function decide(set: RelevantCaaSet, input: CaaCheckInput, issuers: ReadonlySet<string>): CaaCheckResult {
  const forbid = (reason: string): never => {
    throw new CertwrightError('caa', `CAA record for ${set.domain} prevents issuance for ${input.wildcard ? '*.' : ''}${input.identifier.value}: ${reason}`);
  };
  for (const record of set.records) {
    if ((record.flags & CRITICAL_FLAG) !== 0 && !KNOWN_CAA_TAGS.has(record.tag.toLowerCase())) {
      forbid(`the record ${show(record)} has the unknown tag "${record.tag}" marked critical`);
    }
  }
  const withTag = (tag: string): CaaRecord[] => set.records.filter((r) => r.tag.toLowerCase() === tag);
  const wild = withTag('issuewild');
  const property = input.wildcard && wild.length > 0 ? 'issuewild' : 'issue';
  const deciding = property === 'issuewild' ? wild : withTag('issue');
  if (deciding.length === 0) return { outcome: 'noIssueProperty', domain: set.domain };
  const reasons: string[] = [];
  for (const record of deciding) {
    const reason = refusal(record, input, issuers);
    if (reason === undefined) return { outcome: 'authorized', domain: set.domain, record: show(record) };
    reasons.push(reason);
  }
  return forbid(`no ${property} record authorizes this CA (${[...issuers].join(', ')}): ${reasons.join('; ')}`);
}

/**
 * Checks CAA for one identifier (see the module notes for the rules).
 * Resolves with what was found when issuance is permitted; throws a `caa`
 * {@link CertwrightError} naming the domain and the refusing records, or a
 * `dns` one when a lookup failed (fail closed).
 */
export async function checkCaa(input: CaaCheckInput): Promise<CaaCheckResult> {
  if (input.identifier.type !== 'dns') return { outcome: 'notApplicable', reason: 'CAA does not apply to IP address identifiers (RFC 8738 §7)' };
  const wildcard = input.wildcard || input.identifier.value.startsWith('*.');
  const name = input.identifier.value.replace(/^\*\./, '');
  const skip = findMatchingSuffix(name, (input.config.skipCaaFor ?? []).map(normalizeSuffix));
  if (skip !== undefined) return { outcome: 'skipped', suffix: skip };
  const issuers = new Set(input.config.issuerDomains.map((d) => d.toLowerCase()));
  if (issuers.size === 0) throw new RangeError('checkCaa: config.issuerDomains must name at least one issuer domain');
  let set: RelevantCaaSet | undefined;
  try {
    set = await findRelevantCaaSet(name, input.resolver);
  } catch (err) {
    throw lookupFailure(err, name);
  }
  if (set === undefined) return { outcome: 'noRecords' };
  return decide(set, { ...input, wildcard, identifier: { type: 'dns', value: name } }, issuers);
}
