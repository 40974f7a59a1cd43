/**
 * The rate limits the ACME engine enforces, and their configuration. Every
 * limit is a token bucket (the shape of Boulder's limits): a bucket holds at
 * most `count` tokens and refills at `count / periodSeconds` tokens per
 * second, so a client may spend `count` at once and then `count` per period.
 * A limit that is not configured is not enforced.
 * @module
 */

/**
 * The limits, each named after what it counts and what it is keyed by:
 * - `newAccountsPerIp`: accounts created (newAccount, RFC 8555 §7.3) per
 *   client address (IPv4 address, IPv6 /64);
 * - `newOrdersPerAccount`: orders created (newOrder, §7.4) per account;
 * - `failedValidationsPerAccountIdentifier`: failed challenge validations
 *   per account and identifier; an exhausted bucket refuses new orders for
 *   that identifier;
 * - `certificatesPerDomain`: certificates issued per registered domain
 *   (the Public Suffix List's registrable domain; an IP identifier is its
 *   own domain); checked at newOrder, counted when finalize starts issuing and
 *   given back when issuance fails.
 */
export type RateLimitName = 'newAccountsPerIp' | 'newOrdersPerAccount' | 'failedValidationsPerAccountIdentifier' | 'certificatesPerDomain';

/** Every {@link RateLimitName}, in a fixed order. */
export const RATE_LIMIT_NAMES: readonly RateLimitName[] = ['newAccountsPerIp', 'newOrdersPerAccount', 'failedValidationsPerAccountIdentifier', 'certificatesPerDomain'];

/** How many events a limit allows per period. */
export interface RateLimitSetting {
  /** Bucket capacity: events allowed at once, and per period. A positive integer. */
  readonly count: number;
  /** The period in which `count` tokens refill. Positive. */
  readonly periodSeconds: number;
}

/** One configured limit. */
export interface RateLimitRule extends RateLimitSetting {
  readonly name: RateLimitName;
}

/** The limits to enforce; a name left out is not limited. */
export type RateLimitRules = Partial<Readonly<Record<RateLimitName, RateLimitSetting>>>;

/**
 * Checks `rules` and returns them as a lookup by name. Throws `RangeError`
 * naming the limit when a count is not a positive integer or a period is
 * not a positive finite number.
 */
export function compileRules(rules: RateLimitRules): ReadonlyMap<RateLimitName, RateLimitRule> {
  const compiled = new Map<RateLimitName, RateLimitRule>();
  for (const name of Object.keys(rules) as RateLimitName[]) {
    if (!RATE_LIMIT_NAMES.includes(name)) throw new RangeError(`Unknown rate limit "${name}"; known: ${RATE_LIMIT_NAMES.join(', ')}`);
    const setting = rules[name];
    if (setting === undefined) continue;
    if (!Number.isSafeInteger(setting.count) || setting.count <= 0) throw new RangeError(`Rate limit ${name}: count must be a positive integer, got ${setting.count}`);
    if (!Number.isFinite(setting.periodSeconds) || setting.periodSeconds <= 0) throw new RangeError(`Rate limit ${name}: periodSeconds must be a positive number, got ${setting.periodSeconds}`);
    compiled.set(name, { name, count: setting.count, periodSeconds: setting.periodSeconds });
  }
  return compiled;
}

/** Refill rate of a rule, tokens per millisecond. */
export function refillPerMs(rule: RateLimitSetting): number {
  return rule.count / (rule.periodSeconds * 1000);
}
