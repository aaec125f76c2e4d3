/**
 * A log read from its zip archives, through the CT reading layer: real
 * leaves without the leaf_index extension (as archives converted from
 * RFC 6962 logs hold them) over several zips of one level-0 subtree each,
 * every entry proven against the archived checkpoint; a pinned final tree
 * head that differs, an archive missing a zip, and
 * a tile that does not hash to its tree are refused; the archive extends a
 * tree head seen earlier and refuses a forked one. Also a shut-down test
 * log's mirrors: the true one extends a tree head by its consistency proof, a
 * forked one and a badly signed one are refused.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ContradictoryAnswer, RangeProofError, decodeExtraData, decodeMerkleTreeLeaf, openLogSource, type LogSourceOptions, type TreeHeadRef } from '../../../src/share/ct/index.js';
import { startTestLogs } from '../../../tools/testlog/index.js';
import { buildArchiveZips } from '../../../tools/testlog/archive.js';
import { sendBytesWithRanges } from '../../../tools/testlog/range.js';
import { LeafListTileSource, TiledLogHandler } from '../../../tools/testlog/tiles.js';
import { loadRealEntries } from '../../../tools/fixtures/ct-real.js';

const SIZE = 1500;
const real = loadRealEntries();
const leaves = Array.from({ length: SIZE }, (_, i) => real[i % real.length].leafInput);
const extraData = Array.from({ length: SIZE }, (_, i) => decodeExtraData(decodeMerkleTreeLeaf(leaves[i]).entryType, real[i % real.length].extraData));
// Served as given: no leaf_index extension, as an archive converted from an RFC 6962 log.
const source = new LeafListTileSource({ leaves, extraData, leafIndex: false });
const issuers = [...new Set(extraData.flatMap((x) => x.chain.map((c) => createHash('sha256').update(c).digest('hex'))))];

const files = new Map<string, Buffer>();
let server: Server;
let base: string;
let requests = 0;

async function archive(prefix: string, handler: TiledLogHandler, size = SIZE): Promise<string[]> {
  const zips = await buildArchiveZips({ treeSize: size, answer: (p) => handler.answer(p), issuers, logJson: { description: 'archive-source test' } }, { subtreeLevel: 0 });
  return zips.map((z, i) => {
    const path = `/${prefix}/${String(i).padStart(3, '0')}.zip`;
    files.set(path, z);
    return `${base}${path.slice(1)}`;
  });
}

let zips: string[];
let forkedZips: string[];

before(async () => {
  server = createServer((req, res) => {
    requests++;
    const f = files.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (f === undefined) return void res.writeHead(404, { 'content-length': 0 }).end();
    sendBytesWithRanges(req, res, f, 'application/zip');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  zips = await archive('good', new TiledLogHandler(source));
  // A tile of data that does not hash to the archived tree.
  forkedZips = await archive('bad', new TiledLogHandler(source, () => ({ mismatchedDataTile: 3 })));
});
after(
  () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
);

const FAST = { maxTries: 2, backoff: { baseMs: 5, maxMs: 20 } };
const options = (o: Partial<LogSourceOptions> = {}): LogSourceOptions => ({ api: 'static-ct-api', url: 'http://unused.example/', key: source.spki, archives: zips, archiveSubtreeLevel: 0, maxInFlight: 3, http: FAST, ...o });

async function collect(o: LogSourceOptions, start: number, end: number) {
  const s = openLogSource(o);
  const got: Uint8Array[] = [];
  try {
    for await (const chunk of s.entries(start, end)) {
      assert.equal(chunk.start, start + got.length);
      got.push(...chunk.leaves);
    }
    return { leaves: got, verification: s.verification, source: s };
  } finally {
    await s.close();
  }
}

test('an archive of six zips: every entry, across the zips, proven against the archived checkpoint; leaves without leaf_index taken by position', async () => {
  assert.equal(zips.length, 6);
  const before = requests;
  const { leaves: got, verification } = await collect(options(), 0, SIZE - 1);
  assert.equal(got.length, SIZE);
  for (let i = 0; i < SIZE; i++) assert.ok(Buffer.from(got[i]).equals(leaves[i]), `entry ${i}`);
  assert.equal(verification.state, 'verified');
  // Per zip: its directory once, then its data tile and the hash tiles above it — never a whole zip.
  const served = requests - before;
  assert.ok(served < 6 * 6, `${served} requests for ${SIZE} entries in six zips`);

  // An unaligned range across a zip boundary.
  const mid = await collect(options(), 200, 777);
  assert.equal(mid.leaves.length, 578);
  assert.ok(Buffer.from(mid.leaves[0]).equals(leaves[200]) && Buffer.from(mid.leaves[577]).equals(leaves[777]));
});

test('a pinned final tree head the archive does not hold is refused, and so is an archive missing a zip', async () => {
  const root = source.tree.root(SIZE);
  await assert.rejects(collect(options({ pinnedTreeHead: { treeSize: SIZE, rootHash: Buffer.alloc(32, 7) } }), 0, 10), (err: Error) => {
    assert.ok(err instanceof ContradictoryAnswer);
    assert.match(err.message, /000\.zip serves tree head size 1500 root .*, not the final tree head size 1500 root BwcH/);
    return true;
  });
  const pinned = await collect(options({ pinnedTreeHead: { treeSize: SIZE, rootHash: root } }), 0, 300);
  assert.equal(pinned.verification.state, 'verified');
  await assert.rejects(collect(options({ archives: zips.slice(0, 4) }), 1000, 1200), /the archive has 4 zip\(s\), but zip 4 \(entries from 1024\) is needed/);
});

test('a data tile in the archive that does not hash to the archived tree ends the scan before it, with a failed verdict', async () => {
  const s = openLogSource(options({ archives: forkedZips }));
  const got: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const c of s.entries(0, SIZE - 1)) got.push(c.start + c.leaves.length - 1);
    })(),
    (err: Error) => err instanceof RangeProofError && /data tile 3/.test(err.message),
  );
  assert.ok(Math.max(-1, ...got) < 3 * 256, 'nothing of tile 3 or after is handed over');
  assert.equal(s.verification.state, 'failed');
  await s.close();
});

test('consistency: the archive extends a smaller tree head of the log seen before, and refuses a forked one', async () => {
  const s = openLogSource(options());
  try {
    await s.refreshTreeHead();
    for (const size of [1, 255, 256, 257, 600, 1024, 1499, SIZE]) await s.checkConsistentWith({ treeSize: size, rootHash: source.tree.root(size) });
    await assert.rejects(s.checkConsistentWith({ treeSize: 600, rootHash: Buffer.alloc(32) }), (err: Error) => err instanceof ContradictoryAnswer && /does not extend size 600/.test(err.message));
    await assert.rejects(s.checkConsistentWith({ treeSize: SIZE + 1, rootHash: Buffer.alloc(32) }), /smaller than size 1501/);
    await assert.rejects(s.checkConsistentWith({ treeSize: SIZE, rootHash: Buffer.alloc(32) }), /a different tree from size 1500/);
  } finally {
    await s.close();
  }
});

test('a mirror (RFC 6962 read API at another URL) extends an earlier tree head by its consistency proof; a forked or badly signed one is refused', async () => {
  const tl = await startTestLogs({ seed: 'mirror-source', size: 900, logs: [{ category: 'digicert', name: 'm-test', pageSize: 256, shutDown: 'mirror' }] });
  try {
    const log = tl.logs[0];
    const key = Buffer.from(log.key, 'base64');
    const open = (url: string, pinned: TreeHeadRef | null = null) => openLogSource({ api: 'rfc6962', url, key, pinnedTreeHead: pinned, http: FAST });
    const s = open(log.mirrorUrls!.mirror);
    const held = await s.refreshTreeHead();
    assert.equal(held.treeSize, 900);
    await s.checkConsistentWith({ treeSize: 400, rootHash: tl.rootHash(log.name, 400) });
    await assert.rejects(s.checkConsistentWith({ treeSize: 400, rootHash: Buffer.alloc(32, 1) }), (err: Error) => err instanceof ContradictoryAnswer && /does not extend size 400/.test(err.message));
    await s.close();

    // The forked mirror signs its tree head with the log's own key: only an earlier or final tree head exposes it.
    const final = { treeSize: 900, rootHash: tl.rootHash(log.name, 900) };
    const forked = open(log.mirrorUrls!.forged);
    await forked.refreshTreeHead();
    await assert.rejects(forked.checkConsistentWith(final), /mirror-forged\/digicert\/m-test\/ serves tree head size 900 root .*, a different tree from size 900/);
    await forked.close();
    const pinned = open(log.mirrorUrls!.forged, final);
    await assert.rejects(pinned.refreshTreeHead(), (err: Error) => err instanceof ContradictoryAnswer && /not the final tree head size 900/.test(err.message));
    await pinned.close();
    const badSig = open(log.mirrorUrls!.badSignature);
    await assert.rejects(badSig.refreshTreeHead(), /tree head signature does not verify with the log key/);
    await badSig.close();
    // Its own URL is gone.
    const origin = open(log.url);
    await assert.rejects(origin.refreshTreeHead(), /HTTP 410/);
    await origin.close();
  } finally {
    await tl.close();
  }
});
