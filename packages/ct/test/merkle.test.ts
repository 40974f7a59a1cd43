import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditPath, emptyTreeHash, leafHash, nodeHash, treeHash, verifyAuditPath } from '../src/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const sha256 = (...parts: number[][]): string => createHash('sha256').update(Buffer.from(parts.flat())).digest('hex');
const bytes = (h: string): number[] => [...Buffer.from(h, 'hex')];

// The leaves of the Certificate Transparency reference test vectors.
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => new Uint8Array(Buffer.from(h, 'hex')));
// MTH of the first n leaves (n = 1..8), the published reference roots.
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

describe('Merkle tree hash (RFC 6962 §2.1)', () => {
  it('follows the definitions: empty, leaf and node hashes', () => {
    expect(hex(emptyTreeHash())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(treeHash([]))).toBe(hex(emptyTreeHash()));
    expect(hex(leafHash(Uint8Array.of(1, 2)))).toBe(sha256([0x00, 1, 2]));
    const l = leafHash(Uint8Array.of(1));
    const r = leafHash(Uint8Array.of(2));
    expect(hex(nodeHash(l, r))).toBe(sha256([0x01], [...l], [...r]));
    // A leaf hash is never a node hash of the same bytes (domain separation).
    expect(hex(leafHash(Uint8Array.of(...l, ...r)))).not.toBe(hex(nodeHash(l, r)));
  });

  it('splits at the largest power of two below n: MTH of 3 and 5 leaves by hand', () => {
    const h = LEAVES.map(leafHash);
    const three = nodeHash(nodeHash(h[0]!, h[1]!), h[2]!);
    expect(hex(treeHash(h.slice(0, 3)))).toBe(hex(three));
    const five = nodeHash(nodeHash(nodeHash(h[0]!, h[1]!), nodeHash(h[2]!, h[3]!)), h[4]!);
    expect(hex(treeHash(h.slice(0, 5)))).toBe(hex(five));
    expect(hex(h[0]!)).toBe(sha256([0x00]));
    expect(sha256([0x01], bytes(hex(h[0]!)), bytes(hex(h[1]!)))).toBe(ROOTS[1]);
  });

  it('matches the reference roots for 1 to 8 leaves', () => {
    const h = LEAVES.map(leafHash);
    for (let n = 1; n <= 8; n++) expect(hex(treeHash(h.slice(0, n))), `n = ${n}`).toBe(ROOTS[n - 1]);
  });
});

describe('audit paths (RFC 6962 §2.1.1)', () => {
  it('gives PATH(m, D[n]) from the bottom up: the 7-leaf example of RFC 6962 §2.1.3', () => {
    const h = LEAVES.slice(0, 7).map(leafHash);
    // Leaf 3 (d in the RFC's figure): siblings c, then hash(a,b), then the right subtree (e,f,g).
    expect(auditPath(3, h).map(hex)).toEqual([hex(h[2]!), hex(nodeHash(h[0]!, h[1]!)), hex(treeHash(h.slice(4)))]);
    // Leaf 6 (g): only hash(i,j) — the left subtree of four, then (e,f).
    expect(auditPath(6, h).map(hex)).toEqual([hex(treeHash(h.slice(4, 6))), hex(treeHash(h.slice(0, 4)))]);
    expect(auditPath(0, h.slice(0, 1))).toEqual([]);
    expect(() => auditPath(7, h)).toThrow(/outside a tree of 7 leaves/);
  });

  it('verifies every leaf of trees of 1 to 17 leaves, and refuses tampered proofs', () => {
    const all = Array.from({ length: 17 }, (_, i) => leafHash(Uint8Array.of(i)));
    for (let n = 1; n <= 17; n++) {
      const h = all.slice(0, n);
      const root = treeHash(h);
      for (let m = 0; m < n; m++) {
        const path = auditPath(m, h);
        expect(verifyAuditPath({ leafHash: h[m]!, leafIndex: m, treeSize: n, path, root }), `n=${n} m=${m}`).toBe(true);
        // Wrong index, wrong size, wrong leaf, altered or truncated path: refused.
        if (n > 1) {
          expect(verifyAuditPath({ leafHash: h[m]!, leafIndex: (m + 1) % n, treeSize: n, path, root })).toBe(false);
          expect(verifyAuditPath({ leafHash: h[(m + 1) % n]!, leafIndex: m, treeSize: n, path, root })).toBe(false);
          const altered = path.map((p, i) => (i === 0 ? Uint8Array.from(p, (b, j) => (j === 0 ? b ^ 1 : b)) : p));
          expect(verifyAuditPath({ leafHash: h[m]!, leafIndex: m, treeSize: n, path: altered, root })).toBe(false);
          expect(verifyAuditPath({ leafHash: h[m]!, leafIndex: m, treeSize: n, path: path.slice(0, -1), root })).toBe(false);
        }
        // A path one element too long cannot end at the root.
        expect(verifyAuditPath({ leafHash: h[m]!, leafIndex: m, treeSize: n, path: [...path, root], root })).toBe(false);
      }
    }
    expect(verifyAuditPath({ leafHash: all[0]!, leafIndex: 1, treeSize: 1, path: [], root: all[0]! })).toBe(false);
  });
});
