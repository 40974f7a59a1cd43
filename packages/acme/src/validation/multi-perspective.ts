/**
 * Multi-perspective validation: the same challenge checked by several
 * validators — typically the same method run from different network
 * locations — in parallel, passing when at least `quorum` of them succeed.
 * An attacker who hijacks the route from one vantage point then no longer
 * suffices (CA/B Baseline Requirements §3.2.2.9).
 * @module
 */
import { CertwrightError, PROBLEM_TABLE } from '@certwright/core';
import type { ErrorCode, IdentifierType } from '@certwright/core';
import type { ValidationInput, Validator } from '../engine/validator.js';

/** One vantage point: a name for the records and its validator. */
export interface Perspective {
  readonly name: string;
  readonly validator: Validator;
}

/** Options of {@link multiPerspectiveValidator}. */
export interface MultiPerspectiveOptions {
  /** The perspectives; all must validate the same challenge type. Bare validators are named `perspective-1`, `perspective-2`, … */
  readonly perspectives: readonly (Perspective | Validator)[];
  /** How many perspectives must succeed (1 ≤ quorum ≤ number of perspectives). */
  readonly quorum: number;
}

/** One perspective's outcome, as recorded on the challenge. */
export type PerspectiveRecord =
  | { readonly perspective: string; readonly ok: true; readonly record: unknown[] }
  | { readonly perspective: string; readonly ok: false; readonly problem: { readonly type: string; readonly detail: string } };

function isPerspective(p: Perspective | Validator): p is Perspective {
  return 'validator' in p;
}

function failureOf(err: unknown): { code: ErrorCode; detail: string } {
  if (err instanceof CertwrightError) return { code: err.code, detail: err.detail };
  return { code: 'serverInternal', detail: PROBLEM_TABLE.serverInternal.detail };
}

/** The code shared by most failures (the first one's on a tie). */
function commonestCode(codes: readonly ErrorCode[]): ErrorCode {
  const counts = new Map<ErrorCode, number>();
  for (const c of codes) counts.set(c, (counts.get(c) ?? 0) + 1);
  let best = codes[0]!;
  for (const c of codes) if (counts.get(c)! > counts.get(best)!) best = c;
  return best;
}

/**
 * Creates a validator that runs every perspective in parallel and passes
 * when at least `quorum` succeed; the record lists each perspective's
 * outcome. On failure the problem's code is the commonest failure code and
 * its detail lists every failing perspective with its detail. Throws a
 * `RangeError` for an empty list, mixed challenge types or a quorum out of
 * range.
 */
export function multiPerspectiveValidator(options: MultiPerspectiveOptions): Validator {
  const perspectives: Perspective[] = options.perspectives.map((p, i) => (isPerspective(p) ? p : { name: `perspective-${i + 1}`, validator: p }));
  const first = perspectives[0];
  if (first === undefined) throw new RangeError('multiPerspectiveValidator: at least one perspective is required');
  const type = first.validator.type;
  const mixed = perspectives.find((p) => p.validator.type !== type);
  if (mixed !== undefined) throw new RangeError(`multiPerspectiveValidator: perspective ${mixed.name} validates ${mixed.validator.type}, not ${type}`);
  if (!Number.isInteger(options.quorum) || options.quorum < 1 || options.quorum > perspectives.length) {
    throw new RangeError(`multiPerspectiveValidator: quorum must be between 1 and ${perspectives.length}`);
  }
  const identifierTypes: IdentifierType[] = (['dns', 'ip'] as const).filter((t) => perspectives.every((p) => p.validator.identifierTypes.includes(t)));

  return {
    type,
    identifierTypes,
    async validate(input: ValidationInput) {
      const settled = await Promise.allSettled(perspectives.map((p) => p.validator.validate(input)));
      const records: PerspectiveRecord[] = [];
      const failures: { name: string; code: ErrorCode; detail: string }[] = [];
      settled.forEach((outcome, i) => {
        const name = perspectives[i]!.name;
        if (outcome.status === 'fulfilled') {
          records.push({ perspective: name, ok: true, record: outcome.value.record });
        } else {
          const failure = failureOf(outcome.reason);
          failures.push({ name, ...failure });
          records.push({ perspective: name, ok: false, problem: { type: PROBLEM_TABLE[failure.code].type, detail: failure.detail } });
        }
      });
      const passed = perspectives.length - failures.length;
      if (passed >= options.quorum) return { record: records };
      const listed = failures.map((f) => `${f.name}: ${f.detail}`).join('; ');
      throw new CertwrightError(
        commonestCode(failures.map((f) => f.code)),
        `${passed} of ${perspectives.length} perspectives validated ${input.identifier.value}, ${options.quorum} required. Failures — ${listed}`,
      );
    },
  };
}
