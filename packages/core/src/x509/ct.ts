/**
 * Certificate Transparency pairing (RFC 6962 §3.1, §3.3): a precertificate's
 * TBS and the final certificate's TBS must be identical except that the
 * poison extension in the former is replaced, at the same position, by the
 * SCT list extension in the latter.
 */
import { equalBytes } from './der.js';
import { decodeTbs, type DecodedTbs } from './tbs.js';
import { EXTENSION_OIDS } from './oids.js';

/** The outcome of {@link compareCtPair}: `ok`, or the first difference found. */
export type CtPairResult = { ok: true } | { ok: false; reason: string };

const FIELDS: readonly (keyof DecodedTbs)[] = ['serial', 'signatureAlgorithm', 'issuer', 'subject', 'spki'];

/**
 * Compares a precertificate TBS and a final TBS; `reason` names the first
 * field or extension that differs. Malformed input is reported, not thrown.
 */
export function compareCtPair(preTbs: Uint8Array, finalTbs: Uint8Array): CtPairResult {
  let pre: DecodedTbs;
  let fin: DecodedTbs;
  try {
    pre = decodeTbs(preTbs);
    fin = decodeTbs(finalTbs);
  } catch (err) {
    return { ok: false, reason: `malformed TBS: ${(err as Error).message}` };
  }
  if (pre.version !== fin.version) return { ok: false, reason: 'version differs' };
  for (const f of FIELDS) {
    if (!equalBytes(pre[f] as Uint8Array, fin[f] as Uint8Array)) return { ok: false, reason: `${f} differs` };
  }
  if (pre.notBefore.getTime() !== fin.notBefore.getTime()) return { ok: false, reason: 'notBefore differs' };
  if (pre.notAfter.getTime() !== fin.notAfter.getTime()) return { ok: false, reason: 'notAfter differs' };
  if (pre.extensions.length !== fin.extensions.length) return { ok: false, reason: 'extension count differs' };
  let swapped = 0;
  for (let i = 0; i < pre.extensions.length; i++) {
    const a = pre.extensions[i]!;
    const b = fin.extensions[i]!;
    if (a.oid === EXTENSION_OIDS.ctPrecertificatePoison) {
      if (b.oid !== EXTENSION_OIDS.ctSctList) return { ok: false, reason: `extension ${i}: poison not replaced by the SCT list` };
      swapped++;
    } else if (!equalBytes(a.der, b.der)) {
      return { ok: false, reason: `extension ${i} (${a.oid}) differs` };
    }
  }
  if (swapped !== 1) return { ok: false, reason: 'the precertificate has no poison extension' };
  return { ok: true };
}

/** True when `finalTbs` equals `preTbs` except poison ↔ SCT list at the same position. */
export function tbsEqualExceptPoisonAndScts(preTbs: Uint8Array, finalTbs: Uint8Array): boolean {
  return compareCtPair(preTbs, finalTbs).ok;
}
