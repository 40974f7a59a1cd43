/**
 * How the identifier policy reports a refused identifier: one ACME
 * subproblem (RFC 8555 §6.7.1) per offender, whose detail starts with the
 * offending value and names the rule it broke.
 * @module
 */
import { combineSubproblems } from '../errors.js';
import type { CertwrightError, ErrorCode, Subproblem } from '../errors.js';
import type { Identifier, IdentifierType } from '../identifier.js';

/**
 * An identifier as a client sent it in a new-order request (RFC 8555
 * §7.1.3), before normalization: its type may be one certwright does not
 * support and its value may be in any case or in Unicode.
 */
export interface RequestedIdentifier {
  type: string;
  value: string;
}

/** Invisible and control code points, escaped in details so that they cannot hide or reorder text. */
const INVISIBLE = /\p{C}/gu;

/**
 * A client-supplied value quoted for a detail message: JSON string syntax,
 * invisible and control code points escaped (`\u200e`), shortened past
 * `maxLength` code units.
 */
export function quoteValue(value: string, maxLength = 256): string {
  const shown = value.length > maxLength ? `${value.slice(0, maxLength)}…` : value;
  return JSON.stringify(shown).replace(INVISIBLE, (c) => {
    const cp = c.codePointAt(0)!;
    return cp > 0xffff ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}

/**
 * A subproblem for one refused identifier, with the detail
 * `"<value>": <rule>`. The identifier is reported as the client sent it
 * when it could not be normalized, so its type may be one certwright does
 * not support (hence the cast: the subproblem only echoes it back).
 */
export function identifierSubproblem(identifier: RequestedIdentifier | Identifier, code: ErrorCode, rule: string): Subproblem {
  return {
    code,
    detail: `${quoteValue(identifier.value)}: ${rule}`,
    identifier: { type: identifier.type as IdentifierType, value: identifier.value },
  };
}

/** A {@link CertwrightError} carrying the single subproblem of {@link identifierSubproblem}. */
export function identifierError(identifier: RequestedIdentifier | Identifier, code: ErrorCode, rule: string): CertwrightError {
  return combineSubproblems([identifierSubproblem(identifier, code, rule)]);
}
