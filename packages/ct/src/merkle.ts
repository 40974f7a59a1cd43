/**
 * Merkle hash trees of RFC 6962 §2.1, over SHA-256: the tree hash of n
 * leaves, audit paths (§2.1.1) and their verification. Leaf and node hashes
 * are domain-separated with a 0x00 / 0x01 prefix (§2.1). Functions take leaf
 * hashes, so a log computes each leaf hash once.
 * @module
 */
import { createHash } from 'node:crypto';

function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

/** MTH({}) = SHA-256() — the hash of an empty tree (RFC 6962 §2.1). */
export function emptyTreeHash(): Uint8Array {
  return sha256();
}

/** MTH({d}) = SHA-256(0x00 || d) — the hash of a leaf (RFC 6962 §2.1). */
export function leafHash(leafInput: Uint8Array): Uint8Array {
  return sha256(LEAF_PREFIX, leafInput);
}

/** SHA-256(0x01 || left || right) — the hash of an interior node (RFC 6962 §2.1). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE_PREFIX, left, right);
}

/** The largest power of two strictly smaller than `n` (n > 1): the split point k of RFC 6962 §2.1. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]) from the leaf hashes of D (RFC 6962 §2.1). */
export function treeHash(leafHashes: readonly Uint8Array[]): Uint8Array {
  const n = leafHashes.length;
  if (n === 0) return emptyTreeHash();
  if (n === 1) return leafHashes[0]!;
  const k = split(n);
  return nodeHash(treeHash(leafHashes.slice(0, k)), treeHash(leafHashes.slice(k)));
}

/**
 * PATH(m, D[n]) (RFC 6962 §2.1.1): the sibling hashes needed to recompute
 * the tree hash from leaf `m`, from the bottom up.
 */
export function auditPath(m: number, leafHashes: readonly Uint8Array[]): Uint8Array[] {
  const n = leafHashes.length;
  if (!Number.isInteger(m) || m < 0 || m >= n) throw new RangeError(`leaf index ${m} is outside a tree of ${n} leaves`);
  if (n === 1) return [];
  const k = split(n);
  if (m < k) return [...auditPath(m, leafHashes.slice(0, k)), treeHash(leafHashes.slice(k))];
  return [...auditPath(m - k, leafHashes.slice(k)), treeHash(leafHashes.slice(0, k))];
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Verifies an audit path: recomputes the root from `leafHash` at
 * `leafIndex` in a tree of `treeSize` leaves and compares it with `root`
 * (the algorithm of RFC 9162 §2.1.3.2, which checks RFC 6962 paths).
 */
export function verifyAuditPath(input: {
  readonly leafHash: Uint8Array;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly path: readonly Uint8Array[];
  readonly root: Uint8Array;
}): boolean {
  const { leafIndex, treeSize } = input;
  if (!Number.isInteger(leafIndex) || !Number.isInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = input.leafHash;
  for (const p of input.path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && sameBytes(r, input.root);
}
