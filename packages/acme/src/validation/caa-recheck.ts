/**
 * Rechecking CAA before issuance (CA/B Baseline Requirements §3.2.2.8:
 * CAA is checked within 8 hours of issuance). Every identifier of the order
 * whose validation is older than the allowed age is rechecked on its own —
 * the 2020 Let's Encrypt CAA incident came from rechecking one identifier
 * N times instead of each of the N identifiers once.
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { Authorization, Identifier, Subproblem } from '@certwright/core';
import { checkCaa } from './caa-check.js';
import type { CaaCheckResult, CaaConfig } from './caa-check.js';
import type { DnsResolver } from './dns-resolver.js';

/** What {@link recheckCaaForOrder} needs besides the authorizations. */
export interface CaaRecheckOptions {
  /** The account URL (RFC 8657 `accounturi`). */
  readonly accountUri: string;
  readonly resolver: DnsResolver;
  readonly config: CaaConfig;
}

/** The outcome for one rechecked identifier. */
export interface CaaRecheckEntry {
  readonly identifier: Identifier;
  readonly wildcard: boolean;
  /** When its challenge was validated. */
  readonly validatedAt: Date | undefined;
  readonly result: CaaCheckResult | undefined;
}

/** The outcome of {@link recheckCaaForOrder}. */
export interface CaaRecheckOutcome {
  /** Identifiers that were rechecked, each once, with what was found. */
  readonly rechecked: readonly CaaRecheckEntry[];
  /** Identifiers whose validation was recent enough not to need a recheck. */
  readonly fresh: readonly Identifier[];
  /** One subproblem per identifier that failed its recheck (RFC 8555 §6.7.1); empty when issuance may go on. */
  readonly subproblems: readonly Subproblem[];
}

function validatedChallenge(authz: Authorization): { type: string; validatedAt: Date } | undefined {
  const challenge = authz.challenges.find((c) => c.status === 'valid' && c.validatedAt !== undefined);
  return challenge === undefined ? undefined : { type: challenge.type, validatedAt: challenge.validatedAt! };
}

function subproblemOf(err: unknown, identifier: Identifier): Subproblem {
  if (err instanceof CertwrightError) return { code: err.code, detail: err.detail, identifier };
  return { code: 'serverInternal', detail: `CAA recheck for ${identifier.value} failed`, identifier };
}

/**
 * Rechecks CAA for EACH authorization whose validation happened more than
 * `maxAgeMs` before `now` (an authorization without a validated challenge
 * is reported as a subproblem), in parallel, and returns per-identifier
 * subproblems. Turn them into one error with `combineSubproblems` from
 * `@certwright/core` when any are present.
 */
export async function recheckCaaForOrder(
  authorizations: readonly Authorization[],
  now: Date,
  maxAgeMs: number,
  options: CaaRecheckOptions,
): Promise<CaaRecheckOutcome> {
  const fresh: Identifier[] = [];
  const stale: { authz: Authorization; challenge: { type: string; validatedAt: Date } | undefined }[] = [];
  for (const authz of authorizations) {
    const challenge = validatedChallenge(authz);
    if (challenge !== undefined && now.getTime() - challenge.validatedAt.getTime() <= maxAgeMs) fresh.push(authz.identifier);
    else stale.push({ authz, challenge });
  }
  const outcomes = await Promise.all(
    stale.map(async ({ authz, challenge }): Promise<{ entry: CaaRecheckEntry; problem?: Subproblem }> => {
      const base = { identifier: authz.identifier, wildcard: authz.wildcard, validatedAt: challenge?.validatedAt, result: undefined };
      if (challenge === undefined) {
        const detail = `The authorization for ${authz.identifier.value} has no validated challenge to recheck CAA for`;
        return { entry: base, problem: { code: 'unauthorized', detail, identifier: authz.identifier } };
      }
      try {
        const result = await checkCaa({
          identifier: authz.identifier,
          wildcard: authz.wildcard,
          accountUri: options.accountUri,
          challengeType: challenge.type,
          resolver: options.resolver,
          config: options.config,
        });
        return { entry: { ...base, result } };
      } catch (err) {
        return { entry: base, problem: subproblemOf(err, authz.identifier) };
      }
    }),
  );
  const rechecked = outcomes.map((o) => o.entry);
  const subproblems = outcomes.flatMap((o) => (o.problem === undefined ? [] : [o.problem]));
  return { rechecked, fresh, subproblems };
}
