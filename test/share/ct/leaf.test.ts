import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { CtDecodeError, decodeExtraData, decodeMerkleTreeLeaf, encodeExtraData, encodeMerkleTreeLeaf, leafHash } from '../../../src/share/ct/index.js';
import { loadRealEntries } from '../../../tools/fixtures/ct-real.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const entries = loadRealEntries();

test('the test data holds 163 log leaves', () => {
  assert.equal(entries.length, 163);
});

test('every real leaf decodes to the expected timestamp, type, hashes and chain', () => {
  for (const { expected: x, leafInput, extraData } of entries) {
    const where = `${x.file}#${x.index_in_file}`;
    assert.equal(leafHash(leafInput).toString('hex'), x.leaf_hash_sha256, where);
    const leaf = decodeMerkleTreeLeaf(leafInput);
    assert.equal(leaf.timestamp, x.leaf_timestamp_ms, where);
    assert.equal(leaf.entryType, x.entry_type, where);
    assert.equal(sha256(leaf.signedEntry), x.sha256, where);
    const extra = decodeExtraData(leaf.entryType, extraData);
    assert.equal(extra.chain.length, x.chain_length, where);
    assert.deepEqual(extra.chain.map(sha256), x.chain_sha256, where);
    if (leaf.entryType === 'precert_entry') {
      assert.equal(Buffer.from(leaf.issuerKeyHash!).toString('hex'), x.issuer_key_hash, where);
      assert.equal(sha256(extra.precertificate!), x.precertificate_sha256, where);
    } else {
      assert.equal(leaf.issuerKeyHash, null, where);
      assert.equal(extra.precertificate, null, where);
    }
    // Encoding is the exact inverse: the bytes the log hashed come back.
    assert.deepEqual(Buffer.from(encodeMerkleTreeLeaf(leaf)), leafInput, where);
    assert.deepEqual(Buffer.from(encodeExtraData(leaf.entryType, extra)), extraData, where);
  }
});

test('unknown version, leaf type and entry type are refused by name', () => {
  const good = entries[0].leafInput;
  const mutate = (i: number, v: number) => {
    const b = Buffer.from(good);
    b[i] = v;
    return b;
  };
  assert.throws(() => decodeMerkleTreeLeaf(mutate(0, 1)), /unknown version 1/);
  assert.throws(() => decodeMerkleTreeLeaf(mutate(1, 7)), /unknown leaf_type 7/);
  assert.throws(() => decodeMerkleTreeLeaf(mutate(11, 9)), /unknown entry_type 9/);
  assert.throws(() => decodeMerkleTreeLeaf(good.subarray(0, 20)), CtDecodeError);
  assert.throws(() => decodeMerkleTreeLeaf(Buffer.concat([good, Buffer.of(0)])), /trailing/);
});

test('random, truncated and bit-flipped leaves only ever throw CtDecodeError', () => {
  const seeds = entries.map((e) => e.leafInput);
  const decodeBoth = (leaf: Uint8Array, extra: Uint8Array) => {
    try {
      const d = decodeMerkleTreeLeaf(leaf);
      decodeExtraData(d.entryType, extra);
    } catch (err) {
      if (!(err instanceof CtDecodeError)) throw err;
    }
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 300 }), (a, b) => decodeBoth(a, b)),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.nat(seeds.length - 1), fc.nat(), fc.nat(7), fc.boolean(), (i, pos, bit, truncate) => {
      const src = Buffer.from(seeds[i]);
      const p = pos % src.length;
      const leaf = truncate ? src.subarray(0, p) : (src[p] ^= 1 << bit, src);
      decodeBoth(leaf, entries[i].extraData.subarray(0, truncate ? p : undefined));
    }),
    { numRuns: 3000 },
  );
});
