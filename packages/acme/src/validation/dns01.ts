/**
 * The dns-01 validator (RFC 8555 §8.4): the TXT records at
 * `_acme-challenge.<name>` (CNAMEs followed by the resolver, the alias chain
 * bounded and recorded when the resolver can report it) must include
 * base64url(SHA-256(key authorization)) exactly.
 *
 * Problems: `dns` (NXDOMAIN, no TXT records, SERVFAIL, timeout, an alias
 * chain that is too long or loops), `incorrectResponse` (TXT records exist
 * but none matches; the detail shows the first values found, as Boulder
 * does, since a TXT record is public anyway), `unsupportedIdentifier` for
 * IP identifiers (RFC 8738 §7).
 * @module
 */
import { CertwrightError } from '@certwright/core';
import type { ChallengeType, IdentifierType } from '@certwright/core';
import type { Validator } from '../engine/validator.js';
import { withDeadline } from './deadline.js';
import { DnsLookupError } from './dns-error.js';
import type { DnsResolver } from './dns-resolver.js';
import { dns01TxtValue } from './key-authorization-digest.js';
import { validateWithCaa } from './validator-caa.js';
import type { ValidationRequest, ValidatorCaaOptions } from './validator-caa.js';

/** Options of {@link dns01Validator}. */
export interface Dns01ValidatorOptions {
  readonly resolver: DnsResolver;
  /** Limit for the whole validation (default 20 000 ms). */
  readonly timeoutMs?: number;
  /** Longest CNAME chain accepted from `_acme-challenge.<name>` (default 8). */
  readonly maxCnameChain?: number;
  /** Check CAA as part of validation. */
  readonly caa?: ValidatorCaaOptions;
}

/** The name dns-01 queries for an identifier (RFC 8555 §8.4). */
export function dns01RecordName(name: string): string {
  return `_acme-challenge.${name.replace(/^\*\./, '')}`;
}

/** How many TXT values are quoted in a mismatch detail, and how long each may be. */
const SHOWN_VALUES = 3;
const SHOWN_LENGTH = 64;

/**
 * Follows CNAMEs from `name` with `resolver.resolveCname`, returning the
 * chain (the names after `name`). Throws `dns` for a loop or a chain longer
 * than `max`. An empty answer ends the chain.
 */
async function cnameChain(resolver: DnsResolver, name: string, max: number): Promise<string[]> {
  const chain: string[] = [];
  const seen = new Set([name.toLowerCase()]);
  let current = name;
  const resolveCname = resolver.resolveCname!.bind(resolver);
  for (;;) {
    let targets: string[];
    try {
      targets = await resolveCname(current);
    } catch (err) {
      if (err instanceof DnsLookupError && err.isEmptyAnswer) return chain;
      throw err;
    }
    const target = targets[0];
    if (target === undefined) return chain;
    const next = target.replace(/\.$/, '').toLowerCase();
    if (seen.has(next)) throw new CertwrightError('dns', `DNS problem: CNAME loop at ${current} (back to ${next})`);
    if (chain.length >= max) throw new CertwrightError('dns', `DNS problem: the CNAME chain from ${name} is longer than ${max} aliases`);
    seen.add(next);
    chain.push(next);
    current = next;
  }
}

function quote(value: string): string {
  return JSON.stringify(value.length > SHOWN_LENGTH ? `${value.slice(0, SHOWN_LENGTH)}…` : value);
}

/** Creates the dns-01 validator. */
export function dns01Validator(options: Dns01ValidatorOptions): Validator {
  const maxChain = options.maxCnameChain ?? 8;

  const run = async (input: ValidationRequest): Promise<unknown[]> => {
    if (input.identifier.type !== 'dns') throw new CertwrightError('unsupportedIdentifier', 'dns-01 cannot validate IP address identifiers (RFC 8738 §7)');
    const recordName = dns01RecordName(input.identifier.value);
    const chain = options.resolver.resolveCname === undefined ? undefined : await cnameChain(options.resolver, recordName, maxChain);
    let values: string[];
    try {
      values = await options.resolver.resolveTxt(recordName);
    } catch (err) {
      if (err instanceof DnsLookupError) {
        const hint = err.isEmptyAnswer ? ' (no TXT record is published there)' : '';
        throw new CertwrightError('dns', `${err.detail}${hint}`, { cause: err });
      }
      throw err;
    }
    if (values.length === 0) throw new CertwrightError('dns', `DNS problem: no TXT records found for ${recordName}`);
    const expected = dns01TxtValue(input.keyAuthorization);
    if (!values.includes(expected)) {
      const shown = values.slice(0, SHOWN_VALUES).map(quote).join(', ');
      const more = values.length > SHOWN_VALUES ? ` and ${values.length - SHOWN_VALUES} more` : '';
      throw new CertwrightError('incorrectResponse', `No TXT record at ${recordName} matches this challenge's key authorization digest (found ${values.length}: ${shown}${more})`);
    }
    return [{ hostname: input.identifier.value, recordName, ...(chain === undefined || chain.length === 0 ? {} : { cnameChain: chain }), txtRecordsFound: values.length }];
  };

  return {
    type: 'dns-01' satisfies ChallengeType,
    identifierTypes: ['dns'] satisfies IdentifierType[],
    validate: (input: ValidationRequest) =>
      withDeadline(validateWithCaa('dns-01', input, options.resolver, options.caa, () => run(input)), options.timeoutMs ?? 20_000, `dns-01 validation of ${input.identifier.value}`),
  };
}
