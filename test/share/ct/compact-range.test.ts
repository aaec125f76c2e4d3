import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { CompactRange, MerkleTree, walkInclusionProof } from '../../../src/share/ct/index.js';

const hashOf = (i: number, salt = ''): Buffer => createHash('sha256').update(`leaf ${i}${salt}`).digest();

function treeOf(n: number): MerkleTree {
  const t = new MerkleTree();
  for (let i = 0; i < n; i++) t.appendLeafHash(hashOf(i));
  return t;
}

const leftOf = (t: MerkleTree, index: number, treeSize: number): Uint8Array[] => {
  const walked = walkInclusionProof(t.leafHashAt(index), index, treeSize, t.inclusionProof(index, treeSize));
  assert.ok(walked, `proof for ${index} in ${treeSize} has the right shape`);
  assert.ok(walked.root.equals(t.root(treeSize)), `proof for ${index} in ${treeSize} gives the root`);
  return walked.leftSiblings;
};

test('a compact range grown leaf by leaf has the root of the tree of that size', () => {
  const t = treeOf(600);
  const r = CompactRange.empty();
  for (let i = 0; i < 600; i++) {
    r.append(hashOf(i));
    assert.ok(r.root().equals(t.root(i + 1)), `size ${i + 1}`);
  }
});

test('the left siblings of a leaf’s inclusion proof are the compact range before it, for any tree size', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2500 }), fc.nat(), (n, seed) => {
      const t = treeOf(n);
      const m = seed % n;
      const fromProof = CompactRange.fromLeftSiblings(m, leftOf(t, m, n));
      assert.ok(fromProof);
      const grown = CompactRange.empty();
      for (let i = 0; i < m; i++) grown.append(hashOf(i));
      assert.ok(grown.equalsLeftSiblings(leftOf(t, m, n)));
      if (m > 0) assert.ok(fromProof.root().equals(t.root(m)));
    }),
    { numRuns: 60 },
  );
});

test('a downloaded range [a, b] is proven by the proofs of a and b, and any changed leaf is caught', () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 3000 }), fc.nat(), fc.nat(), fc.nat(), (n, x, y, z) => {
      const t = treeOf(n);
      const a = x % n;
      const b = a + (y % (n - a));
      const check = (leaf: (i: number) => Buffer): boolean => {
        const range = CompactRange.fromLeftSiblings(a, leftOf(t, a, n))!;
        for (let i = a; i < b; i++) range.append(leaf(i));
        return range.equalsLeftSiblings(leftOf(t, b, n));
      };
      assert.ok(check(hashOf));
      if (b > a) {
        const bad = a + (z % (b - a));
        assert.ok(!check((i) => (i === bad ? hashOf(i, 'changed') : hashOf(i))), `leaf ${bad} changed in [${a}, ${b}] of ${n}`);
      }
    }),
    { numRuns: 80 },
  );
});

test('left siblings that do not fit the size are refused', () => {
  const t = treeOf(100);
  assert.equal(CompactRange.fromLeftSiblings(37, leftOf(t, 36, 100)), null);
  assert.equal(walkInclusionProof(hashOf(5), 5, 100, t.inclusionProof(5, 100).slice(1)), null);
  assert.equal(walkInclusionProof(hashOf(5), 100, 100, []), null);
});
