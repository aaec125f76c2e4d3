/**
 * Proves that a scanned range [start, end] of a log is part of the log's
 * signed tree, so a log (or anything between it and the worker) cannot hand
 * out entries it never committed to. Two inclusion proofs per range: the
 * left siblings of leaf `start`'s proof are the compact range [0, start);
 * every scanned leaf hash is appended in index order; at the end the range
 * [0, end) must equal the left siblings of leaf `end`'s proof, and both
 * proofs must lead to the roots of signed tree heads (inclusion proofs: RFC 9162 §2.1.3).
 */
import { CompactRange } from './compact-range.js';
import { ContradictoryAnswer } from './http.js';
import { walkInclusionProof } from './merkle.js';
import type { SignedTreeHead } from './sth.js';

/** An inclusion proof as the log served it, with the tree head it is for. */
export interface LeafProof {
  path: Uint8Array[];
  sth: SignedTreeHead;
}

export type RangeVerification =
  /** Every entry in [start, end] is in the tree of a tree head (signed with the log key when `signed`). */
  | { state: 'verified'; start: number; end: number; treeSize: number; signed: boolean }
  /** The log's proofs contradict the entries it served. */
  | { state: 'failed'; start: number; end: number; reason: string }
  /** Nothing proven either way (scan stopped early, or the log gave no proofs). */
  | { state: 'unverified'; start: number; end: number; reason: string };

export class RangeVerifier {
  private range: CompactRange | null = null;
  /** Hash of the last leaf taken; appended only when the next one arrives, so that `range` ends before it. */
  private last: Uint8Array | null = null;
  private next: number;
  private outcome: RangeVerification | null = null;
  private firstTreeSize = 0;

  constructor(
    readonly start: number,
    readonly end: number,
    private readonly prove: (index: number, leafHash: Uint8Array) => Promise<LeafProof>,
    private readonly signed: boolean,
  ) {
    this.next = start;
  }

  /** The leaf hashes of the next scanned entries, from `first` on, in index order. */
  async take(first: number, hashes: readonly Uint8Array[]): Promise<void> {
    if (this.outcome !== null || hashes.length === 0) return;
    if (first !== this.next) throw new Error(`range verifier expected index ${this.next}, got ${first}`);
    let i = 0;
    if (this.range === null) {
      const proven = await this.leftSiblingsProven(this.start, hashes[0]);
      if (proven === null) return;
      const range = CompactRange.fromLeftSiblings(this.start, proven.leftSiblings);
      if (range === null) {
        this.fail(`the inclusion proof of entry ${this.start} has the wrong shape`);
        return;
      }
      this.range = range;
      this.firstTreeSize = proven.treeSize;
      this.last = hashes[0];
      i = 1;
    }
    for (; i < hashes.length; i++) {
      this.range.append(this.last!);
      this.last = hashes[i];
    }
    this.next = first + hashes.length;
  }

  /** The verdict; asks for the last proof when the whole range was taken. */
  async finish(): Promise<RangeVerification> {
    if (this.outcome !== null) return this.outcome;
    const { start, end } = this;
    if (this.range === null || this.next <= end) {
      return (this.outcome = { state: 'unverified', start, end, reason: `scan stopped at ${this.next - 1} before ${end}` });
    }
    // A one-entry range was proven by the first proof alone.
    if (start === end) return (this.outcome = { state: 'verified', start, end, treeSize: this.firstTreeSize, signed: this.signed });
    const last = await this.leftSiblingsProven(end, this.last!);
    if (last === null) return this.outcome!;
    if (!this.range.equalsLeftSiblings(last.leftSiblings)) return this.fail(`the entries ${start}-${end} served do not hash into tree ${last.treeSize}`);
    return (this.outcome = { state: 'verified', start, end, treeSize: last.treeSize, signed: this.signed });
  }

  private fail(reason: string): RangeVerification {
    return (this.outcome = { state: 'failed', start: this.start, end: this.end, reason });
  }

  /**
   * The left siblings of a leaf's inclusion proof, once the proof is checked to lead to the root of
   * its signed tree head. Null, with the outcome set, when there is no proof or it does not hold.
   */
  private async leftSiblingsProven(index: number, leafHash: Uint8Array): Promise<{ leftSiblings: Uint8Array[]; treeSize: number } | null> {
    let proof: LeafProof;
    try {
      proof = await this.prove(index, leafHash);
    } catch (err) {
      if (err instanceof ContradictoryAnswer) this.fail(err.message);
      else this.outcome = { state: 'unverified', start: this.start, end: this.end, reason: `no inclusion proof for entry ${index}: ${(err as Error).message}` };
      return null;
    }
    const walked = walkInclusionProof(leafHash, index, proof.sth.treeSize, proof.path);
    if (walked === null || !walked.root.equals(proof.sth.rootHash)) {
      this.fail(`the inclusion proof of entry ${index} does not lead to the root of tree ${proof.sth.treeSize}`);
      return null;
    }
    return { leftSiblings: walked.leftSiblings, treeSize: proof.sth.treeSize };
  }
}
