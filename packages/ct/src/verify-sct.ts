/**
 * SCT verification (RFC 6962 §5.2): the SCT names the log (log id), is
 * version 1, is not from the future, and its signature verifies with the
 * log's key over the signed data of §3.2 for the given entry.
 * @module
 */
import type { CtLogKey, CtVerification } from './log-key.js';
import { verifyDigitallySigned } from './log-key.js';
import { SCT_VERSION_V1 } from './sct.js';
import type { SignedCertificateTimestamp } from './sct.js';
import { sctSignedData } from './signed-data.js';
import type { CtLogEntry } from './signed-data.js';

/** Options of {@link verifySct}. */
export interface VerifySctOptions {
  /** The current time: an SCT stamped later than `now + maxFutureSkewMs` is refused. Omit to skip the check. */
  readonly now?: Date;
  /** Tolerated clock difference with the log (default 60 000 ms). */
  readonly maxFutureSkewMs?: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Verifies `sct` for `entry` against the log `key`; the result names the first failed check. */
export function verifySct(sct: SignedCertificateTimestamp, key: CtLogKey, entry: CtLogEntry, options: VerifySctOptions = {}): CtVerification {
  if (sct.version !== SCT_VERSION_V1) return { ok: false, reason: `SCT version ${sct.version} is not v1` };
  if (!sameBytes(sct.logId, key.logId)) return { ok: false, reason: "the SCT's log id is not the log's" };
  if (options.now !== undefined && sct.timestamp > options.now.getTime() + (options.maxFutureSkewMs ?? 60_000)) {
    return { ok: false, reason: `the SCT timestamp ${new Date(sct.timestamp).toISOString()} is in the future` };
  }
  return verifyDigitallySigned(key, sctSignedData(sct, entry), sct.signature);
}
