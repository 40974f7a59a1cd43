/**
 * Finding the relevant CAA record set (RFC 8659 §3): starting at the name
 * and climbing towards (not including) the root, the first node with a
 * non-empty CAA record set wins. CNAMEs at each node are followed by the
 * recursive resolver. An authoritative empty answer moves one label up; any
 * other failure stops the search, so the caller can fail closed.
 * @module
 */
import { DnsLookupError } from './dns-error.js';
import type { CaaRecord, DnsResolver } from './dns-resolver.js';

/** The relevant record set and the node it was found at. */
export interface RelevantCaaSet {
  /** The domain whose CAA records apply. */
  readonly domain: string;
  /** Its records (never empty). */
  readonly records: readonly CaaRecord[];
}

/** The nodes searched for `name`, from the name itself up to its top-level domain. */
export function caaSearchNodes(name: string): string[] {
  const labels = name.toLowerCase().replace(/\.$/, '').split('.');
  return labels.map((_, i) => labels.slice(i).join('.'));
}

/**
 * Climbs from `name` (a wildcard's `*.` already removed) to its top-level
 * domain and returns the first non-empty CAA record set, or `undefined`
 * when every node is empty. Rethrows a {@link DnsLookupError} for any failure
 * other than NXDOMAIN/NODATA.
 */
export async function findRelevantCaaSet(name: string, resolver: DnsResolver): Promise<RelevantCaaSet | undefined> {
  for (const domain of caaSearchNodes(name)) {
    let records: CaaRecord[];
    try {
      records = await resolver.resolveCaa(domain);
    } catch (err) {
      if (err instanceof DnsLookupError && err.isEmptyAnswer) continue;
      throw err;
    }
    if (records.length > 0) return { domain, records };
  }
  return undefined;
}
