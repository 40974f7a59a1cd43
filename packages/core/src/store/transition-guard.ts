import { CertwrightError } from '../errors.js';

/**
 * Checks a compare-and-set transition request against an RFC 8555 §7.1.6
 * status machine before any row is touched. Every status in `from` must be
 * allowed to move to `to`; otherwise the request itself is illegal and throws
 * `conflict` naming the kind and both statuses, whatever the stored row holds.
 * (A row whose status is simply not one of `from` is a lost race, reported by
 * the store as `undefined`.) Returns `from` as a list.
 */
export function checkTransitionRequest<S extends string>(
  kind: string,
  machine: Readonly<Record<S, readonly S[]>>,
  from: S | readonly S[],
  to: S,
): readonly S[] {
  const list: readonly S[] = typeof from === 'string' ? [from] : from;
  for (const status of list) {
    if (!(machine[status]?.includes(to) ?? false)) {
      throw new CertwrightError('conflict', `The ${kind} cannot change from "${status}" to "${to}"`);
    }
  }
  return list;
}
