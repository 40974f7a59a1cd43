import type { Account, ChallengeType, Identifier, IdentifierType } from '@certwright/core';

/** What a {@link Validator} is asked to check for one challenge. */
export interface ValidationInput {
  /** The identifier being validated (never a wildcard: the base name of a wildcard authorization). */
  readonly identifier: Identifier;
  /**
   * Whether the authorization is for the wildcard of `identifier`: CAA then
   * consults `issuewild` before `issue` (RFC 8659 §4.3). The engine always
   * sets it; absent (a validator called directly) means not a wildcard.
   */
  readonly wildcard?: boolean;
  /** The challenge token (RFC 8555 §8.3–8.4). */
  readonly token: string;
  /** token "." base64url(JWK thumbprint) (RFC 8555 §8.1). */
  readonly keyAuthorization: string;
  /** The account that asked for validation. */
  readonly account: Account;
}

/** What a {@link Validator} observed, kept on the challenge as `validationRecord`. */
export interface ValidationResult {
  readonly record: unknown[];
}

/**
 * One challenge type's validation (RFC 8555 §8). `validate` resolves when
 * the identifier is proven and throws a `CertwrightError` (`connection`,
 * `dns`, `incorrectResponse`, `tls`, `caa`, `unauthorized`) otherwise.
 */
export interface Validator {
  /** The challenge type it validates, e.g. `http-01`. */
  readonly type: ChallengeType;
  /** The identifier types it can validate (`dns-01` cannot validate IPs, RFC 8738 §7). */
  readonly identifierTypes: readonly IdentifierType[];
  validate(input: ValidationInput): Promise<ValidationResult>;
}

/** The key authorization of a challenge: `token + "." + thumbprint` (RFC 8555 §8.1). */
export function keyAuthorization(token: string, accountThumbprint: string): string {
  return `${token}.${accountThumbprint}`;
}

/**
 * FOR TESTS AND EXAMPLES ONLY: a validator that approves every challenge of
 * `type` without any network access, recording that it did so. Never use it
 * in a CA that certifies anything real — it proves nothing about control of
 * the identifier.
 */
export function autoValidValidator(type: ChallengeType, identifierTypes?: readonly IdentifierType[]): Validator {
  const types: readonly IdentifierType[] = identifierTypes ?? (type === 'dns-01' ? ['dns'] : ['dns', 'ip']);
  return {
    type,
    identifierTypes: types,
    async validate(input) {
      return { record: [{ validator: 'autoValidValidator', type, identifier: input.identifier.value, note: 'approved without any network check (testing only)' }] };
    },
  };
}
