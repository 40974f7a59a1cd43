/**
 * The full external request URL the engine compares the JWS `url` header
 * with (RFC 8555 §6.4), rebuilt from the request target without trusting
 * the `Host` header.
 * @module
 */
import type { AcmeHeaders } from '../engine/http-types.js';
import { normalizeAddress } from './options.js';
import type { ResolvedAdapterOptions } from './options.js';

/** What {@link externalUrl} needs from one request. */
export interface UrlInput {
  /** The request target as received: origin-form `/path?query` (absolute-form is reduced to its path). */
  readonly target: string;
  readonly headers: AcmeHeaders;
  readonly remoteAddress: string | undefined;
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*(.*)$/;

/** The value a proxy appended last: the one the nearest (trusted) proxy wrote. */
function lastValue(value: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(value) ? value.join(',') : value;
  if (joined === undefined) return undefined;
  const parts = joined.split(',');
  const last = parts[parts.length - 1]!.trim();
  return last === '' ? undefined : last;
}

function header(headers: AcmeHeaders, name: string): string | string[] | undefined {
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** The origin-form path and query of a request target. */
export function pathOf(target: string): string {
  if (target.startsWith('/')) return target;
  const absolute = ABSOLUTE_FORM.exec(target);
  if (absolute !== null) return absolute[1] === undefined || absolute[1] === '' ? '/' : absolute[1];
  return `/${target}`;
}

/**
 * The external URL of a request: the configured origin followed by the
 * request path and query. When the peer is a trusted proxy, a well-formed
 * `X-Forwarded-Proto` (`http`/`https`) and `X-Forwarded-Host` (host[:port])
 * replace the configured scheme and host; malformed values are ignored.
 */
export function externalUrl(options: ResolvedAdapterOptions, input: UrlInput): string {
  const path = pathOf(input.target);
  if (input.remoteAddress === undefined || !options.trustedProxies.has(normalizeAddress(input.remoteAddress))) return options.origin + path;
  const origin = new URL(options.origin);
  const proto = lastValue(header(input.headers, 'x-forwarded-proto'))?.toLowerCase();
  const host = lastValue(header(input.headers, 'x-forwarded-host'));
  const scheme = proto === 'http' || proto === 'https' ? proto : origin.protocol.slice(0, -1);
  const authority = host !== undefined && HOST.test(host) ? host.toLowerCase() : origin.host;
  return `${scheme}://${authority}${path}`;
}
