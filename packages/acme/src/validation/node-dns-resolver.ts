/**
 * The default {@link DnsResolver}: Node's `node:dns` `Resolver` (c-ares)
 * pointed at explicitly configured servers. It asks those servers directly —
 * UDP first, TCP when an answer is truncated, as c-ares does — and never
 * the host's stub resolver, `/etc/hosts` or an OS cache.
 * @module
 */
import { Resolver } from 'node:dns/promises';
import type { CaaRecord as NodeCaaRecord } from 'node:dns';
import { tryParseIp } from '@certwright/core';
import { DnsLookupError } from './dns-error.js';
import type { DnsFailureKind, DnsRecordType } from './dns-error.js';
import type { CaaRecord, DnsResolver } from './dns-resolver.js';

/** Options of {@link createNodeDnsResolver}. */
export interface NodeDnsResolverOptions {
  /**
   * The recursive resolvers to ask, as `ip`, `ip:port` or `[ipv6]:port`
   * (for example `['10.0.0.53', '127.0.0.1:8053']`). Required: validation
   * never falls back to the host's resolver configuration.
   */
  readonly servers: readonly string[];
  /** Timeout of one attempt, in milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** Attempts per server before giving up (default 2). */
  readonly tries?: number;
}

/** The host part of a configured server entry, for validation. */
function serverHost(entry: string): string {
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    return close < 0 ? entry : entry.slice(1, close);
  }
  const colons = entry.split(':').length - 1;
  return colons === 1 ? entry.slice(0, entry.indexOf(':')) : entry;
}

const KINDS: Readonly<Record<string, DnsFailureKind>> = {
  ENOTFOUND: 'nxdomain',
  ENODATA: 'nodata',
  ESERVFAIL: 'servfail',
  ETIMEOUT: 'timeout',
  EREFUSED: 'refused',
  ECONNREFUSED: 'refused',
};

/** Maps a c-ares error to a {@link DnsLookupError}. */
function lookupError(err: unknown, name: string, type: DnsRecordType): DnsLookupError {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  return new DnsLookupError(KINDS[code] ?? 'error', name, type, err);
}

function toCaaRecord(record: NodeCaaRecord): CaaRecord | undefined {
  const entries = Object.entries(record).filter(([key]) => key !== 'critical');
  const first = entries[0];
  if (first === undefined || typeof first[1] !== 'string') return undefined;
  return { flags: record.critical, tag: first[0], value: first[1] };
}

/**
 * Creates a resolver over `node:dns` asking only `options.servers`.
 * Throws a `RangeError` naming the entry when a server is not an IP
 * address (with an optional port) or the list is empty.
 */
export function createNodeDnsResolver(options: NodeDnsResolverOptions): DnsResolver {
  if (options.servers.length === 0) throw new RangeError('createNodeDnsResolver: at least one DNS server must be configured');
  for (const entry of options.servers) {
    if (tryParseIp(serverHost(entry)) === undefined) {
      throw new RangeError(`createNodeDnsResolver: DNS server ${JSON.stringify(entry)} is not an IP address with an optional port`);
    }
  }
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 5000, tries: options.tries ?? 2 });
  resolver.setServers([...options.servers]);

  const query = async <T>(name: string, type: DnsRecordType, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      throw lookupError(err, name, type);
    }
  };

  return {
    resolveA: (name) => query(name, 'A', () => resolver.resolve4(name)),
    resolveAaaa: (name) => query(name, 'AAAA', () => resolver.resolve6(name)),
    resolveTxt: (name) => query(name, 'TXT', async () => (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''))),
    resolveCaa: (name) =>
      query(name, 'CAA', async () => (await resolver.resolveCaa(name)).map(toCaaRecord).filter((r): r is CaaRecord => r !== undefined)),
    resolveCname: (name) => query(name, 'CNAME', () => resolver.resolveCname(name)),
  };
}
