/**
 * Public suffix detection from the ICANN section of the Public Suffix List
 * (https://publicsuffix.org), as shipped by the `tldts` package. The private
 * section (`github.io` and the like) is ignored, and so are top-level
 * domains the list does not know: an internal CA's `corp` or `internal` is
 * not a public suffix.
 * @module
 */
import { parse } from 'tldts';

const ICANN_ONLY = {
  allowPrivateDomains: false,
  extractHostname: false,
  validateHostname: false,
  detectIp: false,
  mixedInputs: false,
} as const;

/**
 * True when `name` (a lowercase A-label DNS name, without wildcard) is
 * itself a public suffix in the ICANN section of the Public Suffix List,
 * such as `com`, `co.uk` or `xn--p1ai`; `example.com` is not.
 */
export function isPublicSuffix(name: string): boolean {
  if (name === '') return false;
  const result = parse(name, ICANN_ONLY);
  return result.isIcann === true && result.publicSuffix === name;
}

/**
 * The registrable domain of `name` (a lowercase A-label DNS name, without
 * wildcard): the public suffix of the ICANN section of the Public Suffix List
 * plus one label, e.g. `example.co.uk` for `www.example.co.uk`. Names under a
 * top-level domain the list does not know (an internal `corp`) count the
 * last label as the suffix, so `a.b.corp` gives `b.corp`. `undefined` when
 * `name` is itself a public suffix or a single label. Used to group rate limits by
 * registered domain, as Boulder's certificates-per-domain limit does.
 */
export function registrableDomain(name: string): string | undefined {
  if (name === '') return undefined;
  return parse(name, ICANN_ONLY).domain ?? undefined;
}
