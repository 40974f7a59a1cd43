/**
 * Signed tree heads (RFC 6962 §3.5): the log's signature over its tree size,
 * a timestamp and the Merkle tree hash.
 *
 * ```
 * digitally-signed struct {
 *   Version version; SignatureType signature_type = tree_hash;
 *   uint64 timestamp; uint64 tree_size; opaque sha256_root_hash[32];
 * } TreeHeadSignature;
 * ```
 * @module
 */
import type { CtLogKey, CtVerification } from './log-key.js';
import { verifyDigitallySigned } from './log-key.js';
import { SCT_VERSION_V1 } from './sct.js';
import type { DigitallySigned } from './sct.js';
import { SIGNATURE_TYPE } from './signed-data.js';
import { TlsWriter } from './tls-encoding.js';

/** A signed tree head, as `get-sth` returns it (RFC 6962 §4.3). */
export interface SignedTreeHead {
  readonly treeSize: number;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  /** MTH of the first `treeSize` entries, 32 octets. */
  readonly rootHash: Uint8Array;
  readonly signature: DigitallySigned;
}

/** The bytes a tree head signature covers (RFC 6962 §3.5). */
export function treeHeadSignedData(sth: Pick<SignedTreeHead, 'treeSize' | 'timestamp' | 'rootHash'>): Uint8Array {
  if (sth.rootHash.length !== 32) throw new RangeError(`sha256_root_hash has 32 octets, got ${sth.rootHash.length}`);
  return new TlsWriter()
    .uint(SCT_VERSION_V1, 1)
    .uint(SIGNATURE_TYPE.treeHash, 1)
    .uint(sth.timestamp, 8)
    .uint(sth.treeSize, 8)
    .bytes(sth.rootHash)
    .finish();
}

/** Verifies a signed tree head with the log's key. */
export function verifySignedTreeHead(sth: SignedTreeHead, key: CtLogKey): CtVerification {
  return verifyDigitallySigned(key, treeHeadSignedData(sth), sth.signature);
}
