import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  EMPTY_ROOT, MerkleTree, hashChildren, leafHash, logId, parseSth, signTreeHead, verifyConsistency, verifyInclusion, verifySthSignature,
} from '../../../src/share/ct/index.js';
import { CT_REAL_DIR, loadExpected } from '../../../tools/fixtures/ct-real.js';

const readJson = (f: string) => JSON.parse(readFileSync(join(CT_REAL_DIR, f), 'utf8'));
const b64 = (s: string) => Buffer.from(s, 'base64');
const icarusKey = readJson('tree-heads/icarus-log-key.json');
const sth1 = parseSth(readJson('tree-heads/icarus-get-sth-129596132.json'));
const sth2 = parseSth(readJson('tree-heads/icarus-get-sth-129721434.json'));

test('real Icarus tree heads verify with the log key, and fail when altered', () => {
  const key = b64(icarusKey.key);
  assert.equal(logId(key).toString('base64'), icarusKey.log_id);
  assert.ok(verifySthSignature(sth1, key));
  assert.ok(verifySthSignature(sth2, key));
  assert.ok(!verifySthSignature({ ...sth2, treeSize: sth2.treeSize + 1 }, key));
  const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  assert.ok(!verifySthSignature(sth2, otherKey));
});

test('the real consistency proof between the two Icarus tree heads verifies', () => {
  const proof = readJson('tree-heads/icarus-get-sth-consistency-129596132-129721434.json').consistency.map(b64);
  assert.ok(verifyConsistency(sth1.treeSize, sth2.treeSize, sth1.rootHash, sth2.rootHash, proof));
  assert.ok(!verifyConsistency(sth1.treeSize, sth2.treeSize, sth1.rootHash, sth2.rootHash, proof.slice(1)));
  assert.ok(!verifyConsistency(sth1.treeSize, sth2.treeSize, sth2.rootHash, sth1.rootHash, proof));
});

test('the real audit path leads from entry 120000000 to the Icarus root', () => {
  const inc = loadExpected().tree_heads.inclusion as { file: string; leaf_index: number; tree_size: number; root_hash_b64: string; leaf_hash_sha256: string };
  const entry = readJson(inc.file);
  const hash = leafHash(b64(entry.leaf_input));
  assert.equal(hash.toString('hex'), inc.leaf_hash_sha256);
  const path = entry.audit_path.map(b64);
  assert.equal(path.length, 27);
  assert.ok(verifyInclusion(hash, inc.leaf_index, inc.tree_size, path, b64(inc.root_hash_b64)));
  assert.ok(!verifyInclusion(hash, inc.leaf_index + 1, inc.tree_size, path, b64(inc.root_hash_b64)));
  assert.ok(!verifyInclusion(hash, inc.leaf_index, inc.tree_size, path.slice(0, -1), b64(inc.root_hash_b64)));
});

test('the published RFC 6962 Argon2027h1 consistency vector verifies', () => {
  // From the CT protocol reference: two real Argon2027h1 tree heads and the 23-hash proof between them.
  const proof = [
    '9u3YdOZDgbN2wSbaJP7U7/84pejnGTBu/NWZd3mmvO0=', 'qlplbDbJ35QNcAUu+Yjt5n20a9ZrFh7MCXzuIMDUy5Y=', 'GnKudDI2CNMwvgv951u8aHtf5LK0VsGn3QXjRcw104I=',
    'Twu4yAFNF4jpxnrw6sxMJurSSgT1Vc67clwD/0TRSI0=', '/3mVXmJqUx3i1WtQwn2ApkNCPLyv4PXzI0m0jNuNQ2Q=', 'E4tTksYQPO1mJmTHIPKbrasFDy5TmMAXFreOkUdsozU=',
    'cdYdgfYY96e/3/r/njenmouHyhCAJuRgxTw0G0+SbPQ=', 'Z9x1/ZFk/cu7LKwf7aM/sxjK78pT/vECwOOHyOQiJgs=', 'HiSQC7Ym01GaiBr6nZ/7ya16vqWcCunLY5U9myxS/Fc=',
    'GIZGmqlNtv7tam3IsJunxZMX5Q+tMcGp3s5q3IGufsk=', 'Foz0cJyd4oKFqUV3tNSk2ZPZlEvx80VOif3jiAWzgXk=', 'rYKbwB6vesfESl1Z6WS+j0+iyxYWbpwALp4/uo4K0u8=',
    '7US3OehJNbJCURkhajomq6/fOBeaeRq5rixbAgDE6Hk=', 'p/TyuZ7+afBqLJBBTwHbhgDqVbBgkoqg7wo16aICLUs=', 'eUsJwf94b3sLzRjjVFHZ3Tipbbaa1p31VHZnKpbAJOc=',
    '3JxaG+LYLt7/DBG9XpuieNRxM4Ik6yPBK3jJ069Px7c=', 'JfHQShc8Qdq0dHFJCLhQbyiRhN0MF5a0n6cbVyctrBo=', 'KjiTKgxN1O+q6jLLTQClBWdqRGWZi5HcK1uPJsG8jII=',
    'JGjL9a4XEaexPPyc3nmSe9C/vDV74ILWLRRtfqSqpU0=', 'Fl7mMkWi4+OU6ANJ5lI+8WDd2y+3qKKfcf+FJhecZAs=', 'YQDbMi+MXqTmckWgwjaMvxvEcCSNq4k2umsobJ4xPJc=',
    'NoHD/4b8CYUtVcDSafX+kjG4oR0MydtCmC9uUcc/y8I=', 'tEv0P40KfnW9PqT0m1YNG3dVZOg2q+V26CR2k20QJ/c=',
  ].map(b64);
  const r1 = b64('62+t2XxLmSqJnk7pxUna6EVA7+u+dotyl8q6wojifD8=');
  const r2 = b64('PRK7kHXyMbv9nTQAKoubWZ0KhDKtI6z/gPRWrnc+sGs=');
  assert.ok(verifyConsistency(384065451, 384071894, r1, r2, proof));
  assert.ok(!verifyConsistency(384065451, 384071894, r1, r2, proof.slice(0, -1)));
});

/** Reference MTH straight from RFC 6962 §2.1, for checking the incremental tree. */
function referenceRoot(hashes: Buffer[]): Buffer {
  if (hashes.length === 0) return EMPTY_ROOT;
  if (hashes.length === 1) return hashes[0];
  let k = 1;
  while (k * 2 < hashes.length) k *= 2;
  return hashChildren(referenceRoot(hashes.slice(0, k)), referenceRoot(hashes.slice(k)));
}

test('MerkleTree roots and proofs agree with RFC 6962 and verify, for every size up to 70', () => {
  const tree = new MerkleTree();
  const leaves: Buffer[] = [];
  for (let i = 0; i < 70; i++) {
    const h = leafHash(Buffer.from(`leaf ${i}`));
    leaves.push(h);
    tree.appendLeafHash(h);
  }
  for (let n = 0; n <= 70; n++) {
    assert.deepEqual(tree.root(n), referenceRoot(leaves.slice(0, n)), `root ${n}`);
    for (let i = 0; i < n; i++) assert.ok(verifyInclusion(leaves[i], i, n, tree.inclusionProof(i, n), tree.root(n)), `incl ${i}/${n}`);
    for (let m = 1; m <= n; m++) assert.ok(verifyConsistency(m, n, tree.root(m), tree.root(n), tree.consistencyProof(m, n)), `cons ${m}/${n}`);
  }
});

test('altered proofs never verify (property)', () => {
  const tree = new MerkleTree();
  for (let i = 0; i < 300; i++) tree.appendLeaf(Buffer.from(`entry ${i}`));
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 300 }), fc.nat(), fc.nat(), (n, a, b) => {
      const i = a % n;
      const proof = tree.inclusionProof(i, n);
      const root = tree.root(n);
      assert.ok(verifyInclusion(tree.leafHashAt(i), i, n, proof, root));
      const j = b % proof.length;
      const bad = proof.map((p, k) => (k === j ? createHash('sha256').update(p).digest() : p));
      assert.ok(!verifyInclusion(tree.leafHashAt(i), i, n, bad, root));
      assert.ok(!verifyInclusion(tree.leafHashAt(i), (i + 1) % n, n, proof, root) || n === 1);
    }),
    { numRuns: 500 },
  );
});

test('a signed test tree head verifies with its key; a bad signature field is refused', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const sth = signTreeHead(privateKey, Date.now(), 5, EMPTY_ROOT);
  assert.ok(verifySthSignature(sth, spki));
  assert.ok(!verifySthSignature({ ...sth, signature: Buffer.from('garbage') }, spki));
  assert.throws(() => parseSth({ tree_size: -1, timestamp: 1, sha256_root_hash: '', tree_head_signature: '' }), /tree_size/);
  assert.throws(() => parseSth({ tree_size: 1, timestamp: 1, sha256_root_hash: 'AAAA', tree_head_signature: '' }), /32 bytes/);
});
