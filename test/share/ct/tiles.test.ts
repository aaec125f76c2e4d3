/**
 * static-ct-api codecs: tile paths, TileLeaf encoding and decoding, the
 * tree root from right-edge tiles, and checkpoints — including a real Let's
 * Encrypt checkpoint that must verify with the log's published key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import {
  CtDecodeError,
  MerkleTree,
  TILE_WIDTH,
  decodeDataTile,
  encodeTileLeaf,
  formatCheckpoint,
  leafHash,
  leafIndexExtensionBytes,
  merkleTreeLeafOf,
  parseTilePath,
  perfectRoot,
  rfc6962NoteKeyId,
  rootFromEdgeTiles,
  signTreeHead,
  tileLeafHash,
  tilePath,
  tileWidthAt,
  verifyCheckpoint,
  decodeMerkleTreeLeaf,
} from '../../../src/share/ct/index.js';

const hashOf = (i: number): Buffer => createHash('sha256').update(`leaf ${i}`).digest();

test('tile paths: x-prefixed 3-digit segments, partial widths, and back', () => {
  assert.equal(tilePath(0, 0), 'tile/0/000');
  assert.equal(tilePath(0, 1234067), 'tile/0/x001/x234/067');
  assert.equal(tilePath('data', 1000), 'tile/data/x001/000');
  assert.equal(tilePath(2, 5, 17), 'tile/2/005.p/17');
  assert.deepEqual(parseTilePath('tile/data/x001/x234/067.p/3'), { level: 'data', index: 1234067, width: 3 });
  assert.equal(parseTilePath('tile/0/x000/067'), null, 'no leading zero segment');
  assert.equal(parseTilePath('tile/0/067.p/256'), null);
  assert.equal(parseTilePath('tile/0/067.p/07'), null);
  fc.assert(
    fc.property(fc.oneof(fc.constant<'data'>('data'), fc.integer({ min: 0, max: 5 })), fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 256 }), (level, index, width) => {
      assert.deepEqual(parseTilePath(tilePath(level, index, width)), { level, index, width });
    }),
  );
  // The worked example of the spec: size 70,000.
  assert.equal(tileWidthAt(0, 273, 70_000), 112);
  assert.equal(tileWidthAt(0, 272, 70_000), 256);
  assert.equal(tileWidthAt(1, 0, 70_000), 256);
  assert.equal(tileWidthAt(1, 1, 70_000), 17);
  assert.equal(tileWidthAt(2, 0, 70_000), 1);
});

test('the root from the right-edge tiles equals the Merkle tree root, for sizes across tile and level boundaries', () => {
  const tree = new MerkleTree();
  const n = 70_000;
  for (let i = 0; i < n; i++) tree.appendLeafHash(hashOf(i));
  /** The hashes at height 8·level, as a log's hash tiles hold them. */
  const node = (level: number, index: number): Uint8Array => perfectRoot(Array.from({ length: TILE_WIDTH ** level }, (_, i) => tree.leafHashAt(index * TILE_WIDTH ** level + i)));
  const sizes = [1, 2, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, 70_000];
  for (const size of sizes) {
    const root = rootFromEdgeTiles(size, (level) => {
      const tile = Math.floor(size / TILE_WIDTH ** (level + 1));
      const width = tileWidthAt(level, tile, size);
      return Array.from({ length: width }, (_, i) => node(level, tile * TILE_WIDTH + i));
    });
    assert.ok(Buffer.from(root).equals(tree.root(size)), `size ${size}`);
  }
});

test('a TileLeaf round-trips; its leaf hash is that of the rebuilt MerkleTreeLeaf; bad tiles are refused by name', () => {
  const cert = Buffer.from('30030201ff', 'hex');
  const fp = createHash('sha256').update('issuer').digest();
  const a = encodeTileLeaf({ timestamp: 1_700_000_000_000, entryType: 'x509_entry', signedEntry: cert, extensions: leafIndexExtensionBytes(512), chain: [fp] });
  const b = encodeTileLeaf({
    timestamp: 1_700_000_000_001,
    entryType: 'precert_entry',
    signedEntry: cert,
    issuerKeyHash: Buffer.alloc(32, 7),
    extensions: leafIndexExtensionBytes(513),
    preCertificate: Buffer.from('3003020102', 'hex'),
    chain: [fp, fp],
  });
  const leaves = decodeDataTile(Buffer.concat([a, b]), 2, 512);
  assert.equal(leaves[0].leafIndex, 512);
  assert.equal(leaves[1].leafIndex, 513);
  assert.equal(leaves[1].entryType, 'precert_entry');
  assert.deepEqual(leaves[1].chain.map((c) => Buffer.from(c)), [fp, fp]);
  const mtl = merkleTreeLeafOf(leaves[1].timestampedEntry);
  assert.equal(decodeMerkleTreeLeaf(mtl).timestamp, 1_700_000_000_001);
  assert.ok(tileLeafHash(leaves[1].timestampedEntry).equals(leafHash(mtl)));
  assert.throws(() => decodeDataTile(Buffer.concat([a, b]), 3, 512), /2 entries, 3 expected/);
  assert.throws(() => decodeDataTile(Buffer.concat([a, b]), 1, 512), /more than the 1 entries/);
  assert.throws(() => decodeDataTile(Buffer.concat([a, b.subarray(0, b.length - 5)]), 2, 512), (e: Error) => e instanceof CtDecodeError && /entry 513/.test(e.message));
});

const SYCAMORE_KEY = Buffer.from('MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfEEe0JZknA91/c6eNl1aexgeKzuGQUMvRCXPXg9L227O5I4Pi++Abcpq6qxlVUKPYafAJelAnMfGzv3lHCc8gA==', 'base64');
const SYCAMORE_ORIGIN = 'log.sycamore.ct.letsencrypt.org/2026h1';
/** The real signature line's body after its key ID (a signed note: c2sp.org/signed-note, c2sp.org/static-ct-api). */
const SYCAMORE_SIG = 'AAABnnMGUC0EAwBGMEQCIGYmKllbHO130lM+3owjPX6bh4q/cs2qRaHCtalfmQN/AiBQNN951DmH9UMszVAir92HYGjMuQU8sHNegPq2li8UlA==';

function sycamoreCheckpoint(root = 'cYHqLU+MCbdAdXYAdLJhoNnPFqByTarydojPYOxV028='): string {
  const keyId = rfc6962NoteKeyId(SYCAMORE_ORIGIN, SYCAMORE_KEY);
  const sig = Buffer.concat([keyId, Buffer.from(SYCAMORE_SIG, 'base64')]).toString('base64');
  return `${SYCAMORE_ORIGIN}\n917123884\n${root}\n\n\u2014 grease.invalid AAECAwQFBgc=\n\u2014 ${SYCAMORE_ORIGIN} ${sig}\n\u2014 ${SYCAMORE_ORIGIN} QUJDRA1lZDI1NTE5IHNpZ25hdHVyZQ==\n`;
}

test("a real Let's Encrypt Sycamore checkpoint verifies with the log's key; grease and other lines are ignored", () => {
  assert.equal(rfc6962NoteKeyId(SYCAMORE_ORIGIN, SYCAMORE_KEY).toString('hex'), '104b9ebf');
  const cp = verifyCheckpoint(sycamoreCheckpoint(), SYCAMORE_KEY, SYCAMORE_ORIGIN);
  assert.equal(cp.treeSize, 917_123_884);
  assert.equal(cp.origin, SYCAMORE_ORIGIN);
  assert.equal(cp.rootHash.toString('base64'), 'cYHqLU+MCbdAdXYAdLJhoNnPFqByTarydojPYOxV028=');
  assert.equal(new Date(cp.timestamp).getUTCFullYear(), 2026);
  // One changed bit of the root: the signature no longer holds.
  assert.throws(() => verifyCheckpoint(sycamoreCheckpoint('cYHqLU+MCbdAdXYAdLJhoNnPFqByTarydojPYOxV038='), SYCAMORE_KEY, SYCAMORE_ORIGIN), /does not verify with the log key/);
  assert.throws(() => verifyCheckpoint(sycamoreCheckpoint(), SYCAMORE_KEY, 'log.sycamore.ct.letsencrypt.org/2026h2'), /origin .* is not the log's/);
  const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });
  assert.throws(() => verifyCheckpoint(sycamoreCheckpoint(), other, SYCAMORE_ORIGIN), /no signature line for .* with key ID/);
});

test('checkpoints written for a tree head verify; malformed ones are refused with the reason', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const sth = signTreeHead(privateKey, Date.now(), 1234, hashOf(1));
  const text = formatCheckpoint('example.test/log', sth, spki, { before: ['\u2014 grease.invalid AAECAwQFBgc='] });
  assert.equal(verifyCheckpoint(text, spki, 'example.test/log').treeSize, 1234);
  assert.throws(() => verifyCheckpoint(text.replace('\n1234\n', '\n01234\n'), spki), /tree size/);
  assert.throws(() => verifyCheckpoint(text.replace('\n\n', '\nextension line\n\n'), spki), /extension lines/);
  assert.throws(() => verifyCheckpoint(text.replace('\n\n', '\n'), spki), /blank line|lines of text/);
  assert.throws(() => verifyCheckpoint(text.replace('grease', 'gr\u0007ase'), spki), /control characters/);
  assert.throws(() => verifyCheckpoint(text.slice(0, -1), spki), /does not end with a newline/);
  assert.throws(() => verifyCheckpoint('x'.repeat(20_000), spki), /more than/);
});
