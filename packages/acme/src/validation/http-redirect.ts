/**
 * The redirect rules of http-01 validation (RFC 8555 §8.3 lets the server
 * follow redirects; these are the limits): only 301, 302, 307 and 308; only
 * http and https; only the allowed ports; a bounded number of hops; no URL
 * visited twice. The target's addresses are checked separately by the
 * connection policy, like the first hop's.
 * @module
 */
import { CertwrightError, normalizeDnsNameDetailed, tryParseIp } from '@certwright/core';
import type { ConnectionPolicy } from './connection-policy.js';

/** Redirect statuses that are followed. 303 and the rest are failures. */
export const FOLLOWED_REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 307, 308]);

/** The default redirect limit: at most 10 redirects per validation. */
export const DEFAULT_MAX_REDIRECTS = 10;

/** The redirect state of one validation. */
export interface RedirectState {
  /** URLs requested so far (without fragments). */
  readonly visited: Set<string>;
  /** Redirects followed so far. */
  count: number;
}

function urlKey(url: URL): string {
  const copy = new URL(url.href);
  copy.hash = '';
  return copy.href;
}

/** Starts the redirect state with the first URL. */
export function startRedirects(first: URL): RedirectState {
  return { visited: new Set([urlKey(first)]), count: 0 };
}

/** The port a URL connects to. */
export function urlPort(url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/** The host of a URL without IPv6 brackets. */
export function urlHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Applies the redirect rules to a 3xx response from `from` and returns the
 * next URL. Throws `connection` naming the rule broken: a missing or bad
 * Location, a scheme other than http/https, a port outside
 * `allowedRedirectPorts`, a host that is not a DNS name or IP address, a
 * URL already visited (loop), or more than `maxRedirects` redirects.
 * The caller handles non-followed statuses (see {@link FOLLOWED_REDIRECT_STATUSES}).
 */
export function nextRedirect(from: URL, location: string | undefined, state: RedirectState, policy: ConnectionPolicy, maxRedirects: number): URL {
  const fail = (rule: string): never => {
    throw new CertwrightError('connection', `Redirect from ${from.href} refused: ${rule}`);
  };
  if (location === undefined || location === '') return fail('the response has no Location header');
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return fail('the Location header is not a valid URL');
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') return fail(`only http and https redirects are followed, not ${next.protocol.slice(0, -1)}`);
  if (next.username !== '' || next.password !== '') return fail('a redirect URL may not carry credentials');
  const port = urlPort(next);
  if (!policy.redirectPortAllowed(port)) return fail(`port ${port} is not an allowed redirect port (${policy.ports.allowedRedirectPorts.join(', ')})`);
  const host = urlHost(next);
  if (tryParseIp(host) === undefined) {
    const name = normalizeDnsNameDetailed(host);
    if (!name.ok || name.value.startsWith('*.')) return fail(`the redirect host ${JSON.stringify(host)} is not a valid DNS name`);
  }
  state.count += 1;
  if (state.count > maxRedirects) return fail(`too many redirects (more than ${maxRedirects})`);
  const key = urlKey(next);
  if (state.visited.has(key)) return fail(`redirect loop: ${key} was already requested`);
  state.visited.add(key);
  return next;
}
