/**
 * The URL layout of the ACME server under its base URL, in both directions:
 * building resource URLs (RFC 8555 §7.1) and parsing a request URL into a
 * route.
 * @module
 */

/** Every URL the server hands out. */
export interface AcmeUrls {
  readonly base: string;
  readonly directory: string;
  readonly newNonce: string;
  readonly newAccount: string;
  readonly newOrder: string;
  readonly newAuthz: string;
  readonly revokeCert: string;
  readonly keyChange: string;
  readonly renewalInfo: string;
  /** The prefix of every account URL (the JWS `kid` prefix). */
  readonly accountPrefix: string;
  account(id: string): string;
  orders(accountId: string, cursor?: string): string;
  order(id: string): string;
  finalize(orderId: string): string;
  authorization(id: string): string;
  challenge(id: string): string;
  /** The certificate URL; `alternate` 1..n selects an alternate chain. */
  certificate(serial: string, alternate?: number): string;
}

/** A request URL resolved to a resource. */
export type Route =
  | { kind: 'directory' | 'newNonce' | 'newAccount' | 'newOrder' | 'newAuthz' | 'revokeCert' | 'keyChange' }
  | { kind: 'account' | 'authorization' | 'challenge' | 'order' | 'finalize'; id: string }
  | { kind: 'orders'; id: string; cursor: string | undefined }
  | { kind: 'certificate'; serial: string; alternate: number }
  | { kind: 'renewalInfo'; certId: string };

const ID = /^[A-Za-z0-9_-]{1,128}$/;
const SERIAL = /^[0-9a-f]{2,42}$/;
const CERT_ID = /^[A-Za-z0-9_.=-]{1,512}$/;

/**
 * Builds the URL set for `baseUrl` (e.g. `https://ca.example/acme`). Throws
 * `RangeError` unless it is an absolute http(s) URL without query or fragment.
 */
export function createAcmeUrls(baseUrl: string): AcmeUrls {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new RangeError(`baseUrl must be an absolute URL, got "${baseUrl}"`);
  }
  if ((parsed.protocol !== 'https:' && parsed.protocol !== 'http:') || parsed.search !== '' || parsed.hash !== '') {
    throw new RangeError(`baseUrl must be an http(s) URL without query or fragment, got "${baseUrl}"`);
  }
  const base = baseUrl.replace(/\/+$/, '');
  const at = (path: string): string => `${base}/${path}`;
  return {
    base,
    directory: at('directory'),
    newNonce: at('new-nonce'),
    newAccount: at('new-account'),
    newOrder: at('new-order'),
    newAuthz: at('new-authz'),
    revokeCert: at('revoke-cert'),
    keyChange: at('key-change'),
    renewalInfo: at('renewal-info'),
    accountPrefix: at('acct/'),
    account: (id) => at(`acct/${id}`),
    orders: (id, cursor) => at(`acct/${id}/orders`) + (cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`),
    order: (id) => at(`order/${id}`),
    finalize: (id) => at(`order/${id}/finalize`),
    authorization: (id) => at(`authz/${id}`),
    challenge: (id) => at(`chall/${id}`),
    certificate: (serial, alternate) => at(`cert/${serial}`) + (alternate === undefined || alternate === 0 ? '' : `/${alternate}`),
  };
}

const FIXED: Readonly<Record<string, Route>> = {
  directory: { kind: 'directory' },
  'new-nonce': { kind: 'newNonce' },
  'new-account': { kind: 'newAccount' },
  'new-order': { kind: 'newOrder' },
  'new-authz': { kind: 'newAuthz' },
  'revoke-cert': { kind: 'revokeCert' },
  'key-change': { kind: 'keyChange' },
};

/**
 * Resolves a full request URL to a route, or `undefined` when it names no
 * resource of this server (another origin, another path, a stray query).
 */
export function parseRoute(urls: AcmeUrls, requestUrl: string): Route | undefined {
  const prefix = urls.base + '/';
  if (!requestUrl.startsWith(prefix)) return undefined;
  const rest = requestUrl.slice(prefix.length);
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? undefined : rest.slice(q + 1);
  if (path.includes('#')) return undefined;
  const parts = path.split('/');
  if (parts[0] === 'acct' && parts.length === 3 && parts[2] === 'orders' && ID.test(parts[1]!)) {
    if (query === undefined) return { kind: 'orders', id: parts[1]!, cursor: undefined };
    const match = /^cursor=([A-Za-z0-9_%.~-]{1,512})$/.exec(query);
    if (match === null) return undefined;
    let cursor: string;
    try {
      cursor = decodeURIComponent(match[1]!);
    } catch {
      return undefined;
    }
    return { kind: 'orders', id: parts[1]!, cursor };
  }
  if (query !== undefined) return undefined;
  const fixed = parts.length === 1 ? FIXED[parts[0]!] : undefined;
  if (fixed !== undefined && Object.hasOwn(FIXED, parts[0]!)) return fixed;
  const [head, id, tail, extra] = parts;
  if (head === undefined || id === undefined || extra !== undefined) return undefined;
  if (head === 'renewal-info' && tail === undefined && CERT_ID.test(id)) return { kind: 'renewalInfo', certId: id };
  if (head === 'cert' && SERIAL.test(id)) {
    if (tail === undefined) return { kind: 'certificate', serial: id, alternate: 0 };
    return /^[1-9][0-9]{0,2}$/.test(tail) ? { kind: 'certificate', serial: id, alternate: Number(tail) } : undefined;
  }
  if (!ID.test(id)) return undefined;
  if (head === 'order' && tail === 'finalize') return { kind: 'finalize', id };
  if (tail !== undefined) return undefined;
  if (head === 'acct') return { kind: 'account', id };
  if (head === 'order') return { kind: 'order', id };
  if (head === 'authz') return { kind: 'authorization', id };
  if (head === 'chall') return { kind: 'challenge', id };
  return undefined;
}
