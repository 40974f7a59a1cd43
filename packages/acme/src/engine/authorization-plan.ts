/**
 * Which challenges an authorization offers and how a new one is built
 * (RFC 8555 §7.1.4, §8; RFC 8738 §7).
 * @module
 */
import { addMs, randomId } from '@certwright/core';
import type { ChallengeType, Identifier, NewAuthorization } from '@certwright/core';
import type { EngineContext } from './context.js';

/** Random bytes in a challenge token: 256 bits (RFC 8555 §8.3 asks for at least 128). */
export const TOKEN_BYTES = 32;

/**
 * The challenge types offered for an identifier: a wildcard gets only
 * `dns-01` (RFC 8555 §7.1.3); an IP address never gets `dns-01`
 * (RFC 8738 §7); otherwise every configured validator whose identifier types
 * include the identifier's type, in configuration order.
 */
export function challengeTypesFor(ctx: EngineContext, identifier: Identifier, wildcard: boolean): ChallengeType[] {
  const types: ChallengeType[] = [];
  for (const v of ctx.validators) {
    if (!v.identifierTypes.includes(identifier.type)) continue;
    if (wildcard && v.type !== 'dns-01') continue;
    if (identifier.type === 'ip' && v.type === 'dns-01') continue;
    if (!types.includes(v.type)) types.push(v.type);
  }
  return types;
}

/** Splits an order identifier into the authorization identifier and its wildcard flag (`*.example.com` → `example.com`, true). */
export function authorizationIdentifier(id: Identifier): { identifier: Identifier; wildcard: boolean } {
  if (id.type === 'dns' && id.value.startsWith('*.')) return { identifier: { type: 'dns', value: id.value.slice(2) }, wildcard: true };
  return { identifier: { type: id.type, value: id.value }, wildcard: false };
}

/** A new pending authorization with one challenge per type; stored expiry is the valid-authorization lifetime (see state.ts). */
export function buildAuthorization(ctx: EngineContext, accountId: string, identifier: Identifier, wildcard: boolean, types: readonly ChallengeType[], now: Date): NewAuthorization {
  return {
    id: randomId(ctx.random),
    accountId,
    identifier,
    wildcard,
    status: 'pending',
    expires: addMs(now, ctx.lifetimes.authorization),
    createdAt: now,
    challenges: types.map((type) => ({ id: randomId(ctx.random), type, token: randomId(ctx.random, TOKEN_BYTES) })),
  };
}

/** When a new authorization stops being usable while pending. */
export function pendingExpiry(ctx: EngineContext, now: Date): Date {
  return addMs(now, Math.min(ctx.lifetimes.pendingAuthorization, ctx.lifetimes.authorization));
}
