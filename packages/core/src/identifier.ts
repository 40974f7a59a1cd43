/**
 * An ACME identifier (RFC 8555 §9.7.7): a DNS name, or an IP address
 * (RFC 8738). Values are kept in their normalized form: DNS names lowercase
 * A-labels without a trailing dot, IP addresses in canonical text form.
 */
export interface Identifier {
  type: IdentifierType;
  value: string;
}

/** Identifier types this CA understands (RFC 8555 §9.7.7, RFC 8738 §3). */
export type IdentifierType = 'dns' | 'ip';

/** A stable string key for an identifier, for maps and uniqueness checks. */
export function identifierKey(id: Identifier): string {
  return `${id.type}:${id.value}`;
}

/** True when the identifier is a wildcard DNS name (`*.example.com`). */
export function isWildcard(id: Identifier): boolean {
  return id.type === 'dns' && id.value.startsWith('*.');
}

/** Compares identifiers by type, then value; for canonical ordering. */
export function compareIdentifiers(a: Identifier, b: Identifier): number {
  if (a.type !== b.type) return a.type < b.type ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}
