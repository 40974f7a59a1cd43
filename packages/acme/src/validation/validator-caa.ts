/**
 * CAA as part of a challenge validation: the validators run the CAA check
 * (RFC 8659) alongside the method's own check when configured, so an
 * authorization only becomes valid when both pass.
 * @module
 */
import type { Account } from '@certwright/core';
import type { ValidationInput } from '../engine/validator.js';
import { checkCaa } from './caa-check.js';
import type { CaaCheckResult, CaaConfig } from './caa-check.js';
import type { DnsResolver } from './dns-resolver.js';

/** CAA options of a validator. */
export interface ValidatorCaaOptions {
  readonly config: CaaConfig;
  /** The account URL for `accounturi` (RFC 8657 §3), e.g. `(a) => urls.account(a.id)`. */
  readonly accountUri: (account: Account) => string;
  /** The resolver for CAA lookups; defaults to the validator's resolver. */
  readonly resolver?: DnsResolver;
}

/**
 * What a validator receives: the engine's {@link ValidationInput}, whose
 * `wildcard` flag selects `issuewild` records (RFC 8659 §4.3).
 */
export type ValidationRequest = ValidationInput;

/**
 * Runs `method` and, when `caa` is configured, the CAA check in parallel.
 * A method failure is reported first; otherwise a CAA failure; otherwise
 * the method's records followed by a `{ caa: … }` record.
 */
export async function validateWithCaa(
  type: string,
  input: ValidationRequest,
  resolver: DnsResolver,
  caa: ValidatorCaaOptions | undefined,
  method: () => Promise<unknown[]>,
): Promise<{ record: unknown[] }> {
  const caaCheck: Promise<CaaCheckResult | undefined> =
    caa === undefined
      ? Promise.resolve(undefined)
      : checkCaa({
          identifier: input.identifier,
          wildcard: input.wildcard ?? false,
          accountUri: caa.accountUri(input.account),
          challengeType: type,
          resolver: caa.resolver ?? resolver,
          config: caa.config,
        });
  const [methodResult, caaResult] = await Promise.allSettled([method(), caaCheck]);
  if (methodResult.status === 'rejected') throw methodResult.reason;
  if (caaResult.status === 'rejected') throw caaResult.reason;
  return { record: caaResult.value === undefined ? methodResult.value : [...methodResult.value, { caa: caaResult.value }] };
}
