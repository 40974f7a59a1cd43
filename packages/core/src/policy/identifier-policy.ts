/**
 * The identifier policy: which identifiers this CA certifies, applied to
 * every new order (RFC 8555 §7.4) as data plus one typed callback.
 *
 * Decisions, stated once:
 * - Duplicates after normalization collapse into one identifier (as in
 *   Boulder): `Example.com` and `example.com` in one order name one
 *   identifier.
 * - More distinct identifiers than `maxNamesPerCertificate` is refused with
 *   one `malformed` error naming the limit, before any per-identifier rule.
 * - `normalize` checks syntax only (`malformed`, `unsupportedIdentifier`);
 *   `check` adds the policy rules (`rejectedIdentifier`) and reports every
 *   offender of either kind at once, as subproblems (RFC 8555 §6.7.1).
 * - An IPv4-mapped IPv6 identifier (`::ffff:10.0.0.1`) is refused: the
 *   client must ask for the IPv4 address it carries.
 * - A wildcard may not cover a whole top-level domain, even one missing from
 *   the Public Suffix List (`*.corp`).
 * @module
 */
import { CertwrightError, combineSubproblems, isCertwrightError } from '../errors.js';
import type { Subproblem } from '../errors.js';
import { compareIdentifiers, identifierKey, isWildcard } from '../identifier.js';
import type { Identifier } from '../identifier.js';
import { anyCidrContains, parseCidr } from './cidr.js';
import type { Cidr } from './cidr.js';
import { normalizeDnsName, wildcardBase } from './dns-name.js';
import { identifierError, identifierSubproblem, quoteValue } from './identifier-rejection.js';
import type { RequestedIdentifier } from './identifier-rejection.js';
import { formatIp, isIpv4Mapped, parseIp, parseIpDetailed, unmapIp } from './ip-address.js';
import { isPublicSuffix } from './public-suffix.js';
import { findMatchingSuffix, normalizeSuffix } from './suffix-list.js';

/** Default for {@link IdentifierPolicyConfig.maxNamesPerCertificate}, the limit Boulder applies. */
export const DEFAULT_MAX_NAMES_PER_CERTIFICATE = 100;

/** What a CA accepts as identifiers. Every field is optional. */
export interface IdentifierPolicyConfig {
  /**
   * If set, every DNS name (without its wildcard label) must equal one of
   * these suffixes or end with `.` + one of them; an empty list refuses every
   * DNS name. Entries may be Unicode and may start with a dot.
   */
  allowedSuffixes?: readonly string[];
  /** DNS names equal to or under any of these suffixes are refused; denial wins over allowance. */
  deniedSuffixes?: readonly string[];
  /**
   * CIDR ranges (`10.0.0.0/8`, `fd00::/8`) in which IP identifiers
   * (RFC 8738) are accepted; empty or absent refuses every IP identifier.
   */
  allowedIpRanges?: readonly string[];
  /** Most distinct identifiers in one order; default {@link DEFAULT_MAX_NAMES_PER_CERTIFICATE}. */
  maxNamesPerCertificate?: number;
  /**
   * Site rules, called for each identifier that passed every other rule,
   * in normalized form. Resolve with a string to refuse it (the string is
   * the reason shown to the client); resolve with nothing to accept it. A
   * rejection (thrown error) aborts the check and propagates unchanged.
   */
  extraCheck?: (id: Identifier) => Promise<void | string>;
}

/** An identifier policy built by {@link createIdentifierPolicy}. */
export interface IdentifierPolicy {
  /**
   * The canonical form of one identifier: DNS names as lowercase A-labels
   * without trailing dot, IP addresses in canonical text (RFC 5952 for
   * IPv6). Checks syntax only. Throws a {@link CertwrightError}
   * (`malformed` or `unsupportedIdentifier`) with one subproblem.
   */
  normalize(id: RequestedIdentifier): Identifier;
  /**
   * Normalizes, deduplicates and checks an order's identifiers against
   * every rule, and returns them sorted ({@link compareIdentifiers}).
   * Throws one {@link CertwrightError} with a subproblem for every offending
   * identifier (`malformed`, `unsupportedIdentifier` or
   * `rejectedIdentifier`), combined by {@link combineSubproblems}.
   */
  check(ids: readonly RequestedIdentifier[]): Promise<Identifier[]>;
}

/** The rule an identifier of the wrong shape breaks, showing what was sent (its JSON, cut at 200 characters). */
function malformedShape(sent: unknown): string {
  const json = JSON.stringify(sent) ?? String(sent);
  return `an identifier must be an object with string "type" and "value" fields, got ${json.length > 200 ? `${json.slice(0, 200)}…` : json}`;
}

function normalizeOne(id: RequestedIdentifier): Identifier {
  if (typeof id !== 'object' || id === null) {
    throw identifierError({ type: '', value: '' }, 'malformed', malformedShape(id));
  }
  const { type, value } = id as { type: unknown; value: unknown };
  if (typeof type !== 'string' || typeof value !== 'string') {
    throw identifierError(
      { type: typeof type === 'string' ? type : '', value: typeof value === 'string' ? value : '' },
      'malformed',
      malformedShape(id),
    );
  }
  if (type === 'dns') return { type: 'dns', value: normalizeDnsName(value) };
  if (type === 'ip') {
    const parsed = parseIpDetailed(value);
    if (!parsed.ok) throw identifierError(id, 'malformed', `not a valid IP address: ${parsed.reason}`);
    return { type: 'ip', value: formatIp(parsed.address) };
  }
  throw identifierError(id, 'unsupportedIdentifier', `identifier type ${quoteValue(type, 64)} is not supported; use "dns" or "ip"`);
}

interface CompiledConfig {
  allowedSuffixes: readonly string[] | undefined;
  deniedSuffixes: readonly string[];
  allowedIpRanges: readonly Cidr[];
  maxNames: number;
  extraCheck: ((id: Identifier) => Promise<void | string>) | undefined;
}

function compileConfig(config: IdentifierPolicyConfig): CompiledConfig {
  const maxNames = config.maxNamesPerCertificate ?? DEFAULT_MAX_NAMES_PER_CERTIFICATE;
  if (!Number.isSafeInteger(maxNames) || maxNames < 1) {
    throw new RangeError(`maxNamesPerCertificate must be a positive integer, got ${String(maxNames)}`);
  }
  if (config.extraCheck !== undefined && typeof config.extraCheck !== 'function') {
    throw new TypeError('extraCheck must be a function');
  }
  return {
    allowedSuffixes: config.allowedSuffixes?.map(normalizeSuffix),
    deniedSuffixes: (config.deniedSuffixes ?? []).map(normalizeSuffix),
    allowedIpRanges: (config.allowedIpRanges ?? []).map(parseCidr),
    maxNames,
    extraCheck: config.extraCheck,
  };
}

/** The DNS rules: public suffixes, wildcard placement, denied and allowed suffixes. */
function dnsRuleViolation(id: Identifier, cfg: CompiledConfig): string | undefined {
  const base = wildcardBase(id);
  const wildcard = isWildcard(id);
  if (isPublicSuffix(base)) {
    return wildcard
      ? `a wildcard may not sit directly under the public suffix ${JSON.stringify(base)}`
      : 'the name is a public suffix; certificates are issued only for names under one';
  }
  if (wildcard && !base.includes('.')) {
    return `a wildcard may not sit directly under the top-level domain ${JSON.stringify(base)}`;
  }
  const denied = findMatchingSuffix(base, cfg.deniedSuffixes);
  if (denied !== undefined) return `the name is under the denied suffix ${JSON.stringify(denied)}`;
  if (cfg.allowedSuffixes !== undefined && findMatchingSuffix(base, cfg.allowedSuffixes) === undefined) {
    return 'the name is not under any of the allowed suffixes';
  }
  return undefined;
}

/** The IP rules (RFC 8738): no IPv4-mapped form, and inside an allowed range. */
function ipRuleViolation(id: Identifier, cfg: CompiledConfig): string | undefined {
  const ip = parseIp(id.value);
  if (isIpv4Mapped(ip)) {
    return `an IPv4-mapped IPv6 address must be requested as the IPv4 address it carries (${JSON.stringify(formatIp(unmapIp(ip)))})`;
  }
  if (cfg.allowedIpRanges.length === 0) return 'IP address identifiers are not accepted (no allowed IP ranges are configured)';
  if (!anyCidrContains(cfg.allowedIpRanges, ip)) return 'the address is outside the allowed IP ranges';
  return undefined;
}

async function policySubproblem(id: Identifier, cfg: CompiledConfig): Promise<Subproblem | undefined> {
  const violation = id.type === 'dns' ? dnsRuleViolation(id, cfg) : ipRuleViolation(id, cfg);
  if (violation !== undefined) return identifierSubproblem(id, 'rejectedIdentifier', violation);
  if (cfg.extraCheck === undefined) return undefined;
  const reason = await cfg.extraCheck(id);
  if (typeof reason !== 'string') return undefined;
  return identifierSubproblem(id, 'rejectedIdentifier', reason === '' ? 'refused by site policy' : reason);
}

/**
 * Builds an identifier policy from its configuration (see
 * {@link IdentifierPolicyConfig}). Throws a `RangeError` or `TypeError`
 * at once for invalid configuration (a bad CIDR range or suffix, a
 * non-positive limit).
 */
export function createIdentifierPolicy(config: IdentifierPolicyConfig = {}): IdentifierPolicy {
  const cfg = compileConfig(config);

  async function check(ids: readonly RequestedIdentifier[]): Promise<Identifier[]> {
    if (!Array.isArray(ids)) throw new CertwrightError('malformed', 'the identifiers must be a list');
    if (ids.length === 0) throw new CertwrightError('malformed', 'an order must name at least one identifier');

    const problems: { index: number; subproblem: Subproblem }[] = [];
    const accepted = new Map<string, { index: number; id: Identifier }>();
    const refusedKeys = new Set<string>();
    ids.forEach((raw, index) => {
      try {
        const id = normalizeOne(raw);
        const key = identifierKey(id);
        if (!accepted.has(key)) accepted.set(key, { index, id });
      } catch (err) {
        if (!isCertwrightError(err)) throw err;
        for (const subproblem of err.subproblems) {
          const key = JSON.stringify([subproblem.identifier.type, subproblem.identifier.value]);
          if (refusedKeys.has(key)) continue;
          refusedKeys.add(key);
          problems.push({ index, subproblem });
        }
      }
    });

    const distinct = accepted.size + refusedKeys.size;
    if (distinct > cfg.maxNames) {
      throw new CertwrightError(
        'malformed',
        `too many identifiers: the order names ${distinct} distinct identifiers and the limit (maxNamesPerCertificate) is ${cfg.maxNames}`,
      );
    }

    const entries = [...accepted.values()];
    const verdicts = await Promise.all(entries.map((e) => policySubproblem(e.id, cfg)));
    verdicts.forEach((subproblem, i) => {
      if (subproblem !== undefined) problems.push({ index: entries[i]!.index, subproblem });
    });

    if (problems.length > 0) {
      problems.sort((a, b) => a.index - b.index);
      throw combineSubproblems(problems.map((p) => p.subproblem));
    }
    return entries.map((e) => e.id).sort(compareIdentifiers);
  }

  return { normalize: normalizeOne, check };
}
