/**
 * Compact ranges: the hashes of the perfect subtrees that cover the leaves
 * [0, size) of a Merkle tree, one per set bit of `size`. They let a client
 * that downloaded only the leaves [a, b] of a huge log prove every one of
 * them is in a signed tree head, with two inclusion proofs and no other data:
 * the left siblings of leaf a's proof are the compact range [0, a); append
 * the downloaded hashes a … b-1 and the result must equal the left siblings
 * of leaf b's proof (inclusion proofs: RFC 9162 §2.1.3).
 */
import { hashChildren } from './merkle.js';

/** Set bits of n, lowest first (n may exceed 2^32, so no bitwise operators). */
function setBits(n: number): number[] {
  const bits: number[] = [];
  for (let level = 0; n > 0; level++, n = Math.floor(n / 2)) if (n % 2 === 1) bits.push(level);
  return bits;
}

/** The compact range [0, size), growing one leaf hash at a time. */
export class CompactRange {
  /** Perfect subtree roots, largest (leftmost) first, with their levels strictly decreasing. */
  private readonly nodes: { level: number; hash: Uint8Array }[];

  private constructor(
    private count: number,
    nodes: { level: number; hash: Uint8Array }[],
  ) {
    this.nodes = nodes;
  }

  static empty(): CompactRange {
    return new CompactRange(0, []);
  }

  /**
   * The compact range [0, size) from the left siblings of an inclusion proof
   * for leaf `size` (bottom-up, as merkle.ts walkInclusionProof returns them). Null when
   * their number does not fit `size`.
   */
  static fromLeftSiblings(size: number, leftSiblingsBottomUp: readonly Uint8Array[]): CompactRange | null {
    const levels = setBits(size);
    if (levels.length !== leftSiblingsBottomUp.length) return null;
    const nodes = levels.map((level, i) => ({ level, hash: leftSiblingsBottomUp[i] })).reverse();
    return new CompactRange(size, nodes);
  }

  get size(): number {
    return this.count;
  }

  append(leafHash: Uint8Array): void {
    if (leafHash.length !== 32) throw new RangeError('leaf hash must be 32 bytes');
    let node = { level: 0, hash: leafHash };
    for (let top = this.nodes.at(-1); top !== undefined && top.level === node.level; top = this.nodes.at(-1)) {
      this.nodes.pop();
      node = { level: node.level + 1, hash: hashChildren(top.hash, node.hash) };
    }
    this.nodes.push(node);
    this.count++;
  }

  /** Does this range equal the left siblings (bottom-up) of an inclusion proof for leaf `size`? */
  equalsLeftSiblings(leftSiblingsBottomUp: readonly Uint8Array[]): boolean {
    if (leftSiblingsBottomUp.length !== this.nodes.length) return false;
    return this.nodes.every((n, i) => Buffer.from(n.hash).equals(leftSiblingsBottomUp[this.nodes.length - 1 - i]));
  }

  /** MTH of the leaves [0, size) (RFC 6962 §2.1); the empty-tree root is not needed here. */
  root(): Buffer {
    if (this.nodes.length === 0) throw new RangeError('an empty range has no root here');
    let h: Buffer = Buffer.from(this.nodes[this.nodes.length - 1].hash);
    for (let i = this.nodes.length - 2; i >= 0; i--) h = hashChildren(this.nodes[i].hash, h);
    return h;
  }
}
