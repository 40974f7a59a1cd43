/**
 * Domain suffix lists for the identifier policy: normalization of the
 * configured entries and matching on label boundaries.
 * @module
 */
import { toAsciiName, validateDnsLabel } from './dns-name.js';

/**
 * Normalizes one configured suffix (such as `example.com`, `.corp` or
 * `bücher.example`) to lowercase A-labels without a leading dot. A suffix
 * may be a single label (`internal`). Throws a `RangeError` naming the
 * entry if it is not a valid DNS name: suffix lists are operator
 * configuration, not client input.
 */
export function normalizeSuffix(entry: string): string {
  const fail = (reason: string): never => {
    throw new RangeError(`Invalid domain suffix ${JSON.stringify(entry)}: ${reason}`);
  };
  if (typeof entry !== 'string') return fail('a suffix must be a string');
  const trimmed = entry.startsWith('.') ? entry.slice(1) : entry;
  if (trimmed === '') return fail('a suffix may not be empty');
  if (trimmed.endsWith('.')) return fail('a suffix may not end with a dot');
  const converted = toAsciiName(trimmed);
  if (!converted.ok) return fail(converted.reason);
  for (const label of converted.value.split('.')) {
    const reason = validateDnsLabel(label);
    if (reason !== undefined) return fail(reason);
  }
  return converted.value;
}

/**
 * True when `name` equals `suffix` or ends with `.` + `suffix`, so that
 * `example.com` matches `www.example.com` but not `badexample.com`. Both are
 * expected in normalized form.
 */
export function matchesSuffix(name: string, suffix: string): boolean {
  return name === suffix || name.endsWith(`.${suffix}`);
}

/** The first of `suffixes` that `name` matches (see {@link matchesSuffix}), or `undefined`. */
export function findMatchingSuffix(name: string, suffixes: readonly string[]): string | undefined {
  return suffixes.find((s) => matchesSuffix(name, s));
}
