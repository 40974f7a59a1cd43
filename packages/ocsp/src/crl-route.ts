/**
 * Matching request paths to CRL shards. The path comes from the same URL
 * template the profile puts into certificates (`{issuerId}` and `{shard}`
 * placeholders), so what a relying party fetches is what the handler
 * serves.
 */

/** The default path when no template is configured. */
export const DEFAULT_CRL_PATH = '/crl/{issuerId}/{shard}.crl';

/** A compiled path matcher. */
export interface CrlRoute {
  /** The shard a request path names, or `undefined` when it is not a CRL path. */
  match(pathname: string): { issuerId: string; shard: number } | undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compiles a path (`/crl/{issuerId}/{shard}.crl`) or a full URL template
 * (`http://crl.example/{issuerId}/{shard}.crl`, whose path is used) into a
 * {@link CrlRoute}. `{issuerId}` matches issuer ids (URL-safe characters),
 * `{shard}` a decimal shard number without leading zeros.
 */
export function compileCrlRoute(template: string): CrlRoute {
  const path = /^https?:\/\//i.test(template) ? template.replace(/^https?:\/\/[^/]*/i, '') || '/' : template;
  if (!path.startsWith('/')) throw new RangeError(`CRL path must start with "/": ${template}`);
  if (!path.includes('{issuerId}')) throw new RangeError(`CRL path must contain {issuerId}: ${template}`);
  const names: ('issuerId' | 'shard')[] = [];
  const source = path
    .split(/(\{issuerId\}|\{shard\})/)
    .map((part) => {
      if (part === '{issuerId}') {
        names.push('issuerId');
        return '([A-Za-z0-9._-]{1,64})';
      }
      if (part === '{shard}') {
        names.push('shard');
        return '(0|[1-9][0-9]{0,5})';
      }
      return escapeRegExp(part);
    })
    .join('');
  if (new Set(names).size !== names.length) throw new RangeError(`CRL path must name each placeholder once: ${template}`);
  const re = new RegExp(`^${source}$`);
  return {
    match(pathname) {
      const m = re.exec(pathname);
      if (m === null) return undefined;
      let issuerId: string | undefined;
      let shard = 0;
      names.forEach((name, i) => {
        const value = m[i + 1]!;
        if (name === 'issuerId') issuerId = value;
        else shard = Number(value);
      });
      return issuerId === undefined ? undefined : { issuerId, shard };
    },
  };
}
