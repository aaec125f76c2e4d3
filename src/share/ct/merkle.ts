/**
 * RFC 6962 §2.1 Merkle tree hashing, RFC 9162 §2.1.3–2.1.4 proof verification,
 * and an append-only tree that produces roots and proofs (for the test log).
 */
import { createHash } from 'node:crypto';
import { leafHash } from './leaf.js';

export { leafHash };

export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(Uint8Array.of(1)).update(left).update(right).digest();
}

export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function isSafeIndex(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** Largest power of two strictly smaller than n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The root implied by an inclusion proof, and the proof's left siblings
 * (bottom-up: they are the compact range [0, index), see compact-range.ts).
 * Null when the path has the wrong shape for (index, treeSize).
 * The walk is RFC 9162 §2.1.3.2.
 */
export function walkInclusionProof(leafHashValue: Uint8Array, index: number, treeSize: number, path: readonly Uint8Array[]): { root: Buffer; leftSiblings: Uint8Array[] } | null {
  if (!isSafeIndex(index) || !isSafeIndex(treeSize) || index >= treeSize) return null;
  if (path.some((p) => p.length !== 32)) return null;
  let r: Buffer = Buffer.from(leafHashValue);
  const leftSiblings: Uint8Array[] = [];
  const ended = walkPath(index, treeSize - 1, path, (p) => {
    r = hashChildren(p, r);
    leftSiblings.push(p);
  }, (p) => {
    r = hashChildren(r, p);
  });
  return ended ? { root: r, leftSiblings } : null;
}

/**
 * The walk RFC 9162 §2.1.3.2 and §2.1.4.2 share: from node `fn` of the last node `sn` up, each
 * path node is a left sibling (onLeft) or a right one (onRight). False when the path has the wrong
 * length for the two positions.
 */
function walkPath(fn: number, sn: number, path: readonly Uint8Array[], onLeft: (p: Uint8Array) => void, onRight: (p: Uint8Array) => void): boolean {
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      onLeft(p);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      onRight(p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0;
}

/**
 * RFC 9162 §2.1.3.2: does `path` prove that `leafHashValue` sits at `index`
 * in the tree of `treeSize` leaves whose root is `root`?
 */
export function verifyInclusion(leafHashValue: Uint8Array, index: number, treeSize: number, path: Uint8Array[], root: Uint8Array): boolean {
  const walked = walkInclusionProof(leafHashValue, index, treeSize, path);
  return walked !== null && equalBytes(walked.root, root);
}

// Tree sizes exceed 2^31, so no bitwise tricks here.
function isPowerOfTwo(n: number): boolean {
  if (n < 1) return false;
  while (n % 2 === 0) n /= 2;
  return n === 1;
}

/**
 * RFC 9162 §2.1.4.2: does `path` prove that the tree of `first` leaves with
 * root `firstRoot` is a prefix of the tree of `second` leaves with root `secondRoot`?
 */
export function verifyConsistency(first: number, second: number, firstRoot: Uint8Array, secondRoot: Uint8Array, path: Uint8Array[]): boolean {
  if (!isSafeIndex(first) || !isSafeIndex(second)) return false;
  if (path.some((p) => p.length !== 32)) return false;
  if (first === second) return path.length === 0 && equalBytes(firstRoot, secondRoot);
  if (first === 0 || first > second || path.length === 0) return false;
  const nodes = isPowerOfTwo(first) ? [firstRoot, ...path] : path;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Uint8Array = nodes[0];
  let sr: Uint8Array = nodes[0];
  const ended = walkPath(fn, sn, nodes.slice(1), (c) => {
    fr = hashChildren(c, fr);
    sr = hashChildren(c, sr);
  }, (c) => {
    sr = hashChildren(sr, c);
  });
  return ended && equalBytes(fr, firstRoot) && equalBytes(sr, secondRoot);
}

/**
 * Append-only Merkle tree keeping the hash of every perfect aligned subtree,
 * level by level (about 64 bytes per leaf). Appending is amortised O(1)
 * hashes, so millions of leaves load in seconds; roots and proofs for any
 * earlier tree size come from the stored levels in O(log n) hashes.
 */
export class MerkleTree {
  /** levels[k] holds hashes of subtrees [i·2^k, (i+1)·2^k), 32 bytes each, packed. */
  private levels: Buffer[] = [Buffer.alloc(32 * 1024)];
  private counts: number[] = [0];

  get size(): number {
    return this.counts[0];
  }

  appendLeafHash(hash: Uint8Array): void {
    if (hash.length !== 32) throw new RangeError('leaf hash must be 32 bytes');
    let node: Uint8Array = hash;
    for (let level = 0; ; level++) {
      if (this.levels.length === level) {
        this.levels.push(Buffer.alloc(32 * 1024));
        this.counts.push(0);
      }
      const i = this.counts[level];
      if ((i + 1) * 32 > this.levels[level].length) {
        const grown = Buffer.alloc(this.levels[level].length * 2);
        this.levels[level].copy(grown);
        this.levels[level] = grown;
      }
      this.levels[level].set(node, i * 32);
      this.counts[level] = i + 1;
      if (i % 2 === 0) return;
      node = hashChildren(this.node(level, i - 1), node);
    }
  }

  appendLeaf(leafInput: Uint8Array): void {
    this.appendLeafHash(leafHash(leafInput));
  }

  /** Stored hash of the perfect subtree number i at a level. */
  private node(level: number, i: number): Buffer {
    return this.levels[level].subarray(i * 32, i * 32 + 32);
  }

  leafHashAt(index: number): Buffer {
    if (!isSafeIndex(index) || index >= this.size) throw new RangeError(`leaf ${index} outside tree of ${this.size}`);
    return Buffer.from(this.node(0, index));
  }

  /**
   * Hash of the perfect subtree of height `height` number `index`, MTH(D[index·2^h : (index+1)·2^h]):
   * the nodes a static-ct-api hash tile at level L holds for height 8·L.
   */
  subtreeHash(height: number, index: number): Buffer {
    if (!isSafeIndex(height) || !isSafeIndex(index) || height >= this.counts.length || index >= this.counts[height]) {
      throw new RangeError(`no complete subtree of height ${height} number ${index} in tree of ${this.size}`);
    }
    return Buffer.from(this.node(height, index));
  }

  /** MTH(D[start:end]) for 0 <= start < end <= size. */
  private mth(start: number, end: number): Buffer {
    const n = end - start;
    if (n === 1) return this.node(0, start);
    if (isPowerOfTwo(n) && start % n === 0) return this.node(Math.log2(n), start / n);
    const k = splitPoint(n);
    return hashChildren(this.mth(start, start + k), this.mth(start + k, end));
  }

  private checkSize(treeSize: number): void {
    if (!isSafeIndex(treeSize) || treeSize > this.size) throw new RangeError(`tree size ${treeSize} outside 0..${this.size}`);
  }

  root(treeSize = this.size): Buffer {
    this.checkSize(treeSize);
    return treeSize === 0 ? Buffer.from(EMPTY_ROOT) : Buffer.from(this.mth(0, treeSize));
  }

  /** RFC 6962 §2.1.1 PATH(m, D[n]). */
  inclusionProof(index: number, treeSize: number): Buffer[] {
    this.checkSize(treeSize);
    if (!isSafeIndex(index) || index >= treeSize) throw new RangeError(`leaf ${index} outside tree of ${treeSize}`);
    const walk = { start: 0, end: treeSize, m: index };
    const suffix: Buffer[] = [];
    while (walk.end - walk.start > 1) this.splitStep(walk, (m, k) => m < k, suffix);
    return suffix.reverse().map((b) => Buffer.from(b));
  }

  /** RFC 6962 §2.1.2 PROOF(m, D[n]). */
  consistencyProof(first: number, second: number): Buffer[] {
    this.checkSize(second);
    if (!isSafeIndex(first) || first > second) throw new RangeError(`bad consistency sizes ${first}, ${second}`);
    if (first === 0 || first === second) return [];
    const walk = { start: 0, end: second, m: first };
    const suffix: Buffer[] = [];
    // SUBPROOF's flag: true until the walk first goes right.
    let complete = true;
    while (walk.m !== walk.end - walk.start) {
      if (!this.splitStep(walk, (m, k) => m <= k, suffix)) complete = false;
    }
    const { start, end } = walk;
    if (!complete) suffix.push(this.mth(start, end));
    return suffix.reverse().map((b) => Buffer.from(b));
  }

  /**
   * One step of RFC 6962 §2.1.1/§2.1.2's descent: [start, end) splits at k; the walk goes into the
   * left half when goLeft(m, k), else into the right one, and the other half's hash joins the proof.
   * True when it went left.
   */
  private splitStep(walk: { start: number; end: number; m: number }, goLeft: (m: number, k: number) => boolean, suffix: Buffer[]): boolean {
    const k = splitPoint(walk.end - walk.start);
    if (goLeft(walk.m, k)) {
      suffix.push(this.mth(walk.start + k, walk.end));
      walk.end = walk.start + k;
      return true;
    }
    suffix.push(this.mth(walk.start, walk.start + k));
    walk.start += k;
    walk.m -= k;
    return false;
  }
}
