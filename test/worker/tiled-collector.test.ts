/**
 * The collector on a static-ct-api log over real HTTP: the real leaves of
 * test/data/ct-real served as a tiled log (checkpoint with grease lines, gzip
 * data tiles, hash tiles, partial tiles at the head), every entry proven
 * before it is handed over, and each tile fault ending in a clear warning with
 * nothing unproven handed over.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createHash } from 'node:crypto';
import { RangeProofError, StaticCtSource, TILE_WIDTH, decodeExtraData, decodeMerkleTreeLeaf, originOf, signTreeHead, type SignedTreeHead } from '../../src/share/ct/index.js';
import { CtLogCollector, CtLogUnavailableError, type CollectorEvent, type CollectorOptions, type ScannedChunk } from '../../src/worker/collector.js';
import { leafCoversJp } from '../../src/worker/jp-filter.js';
import { LeafListTileSource, TiledLogHandler, sendTileAnswer, serveLeavesAsTiles, type LeavesAsTiles } from '../../tools/testlog/tiles.js';
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';

const FAST = { baseMs: 5, maxMs: 40 };
const SIZE = 3000;
const real = loadRealEntries();
const leaves = Array.from({ length: SIZE }, (_, i) => real[i % real.length].leafInput);

let log: LeavesAsTiles;
/** Indexes whose served leaf covers a `.jp` name. */
let jpIndexes: number[];

before(async () => {
  log = await serveLeavesAsTiles({ leaves, prefix: '/tiled/log/' });
  jpIndexes = leaves.flatMap((_, i) => (leafCoversJp(log.leafInput(i)) ? [i] : []));
});
after(() => log.close());

async function scan(opts: Partial<CollectorOptions> & { start: number; end: number }, url = log.url, key = log.publicKey, origin: string | null = log.origin) {
  const events: CollectorEvent[] = [];
  const chunks: ScannedChunk[] = [];
  const collector = new CtLogCollector({ logUrl: url, api: 'static-ct-api', origin, logKey: key, backoff: FAST, onEvent: (e) => events.push(e), ...opts });
  let error: unknown = null;
  try {
    await collector.run((c) => {
      chunks.push(c);
    });
  } catch (err) {
    error = err;
  }
  return { collector, chunks, events, error };
}

function assertContiguous(chunks: ScannedChunk[], start: number, end: number): void {
  let next = start;
  for (const c of chunks) {
    assert.equal(c.start, next);
    next = c.end + 1;
  }
  assert.equal(next, end + 1);
}

test('an unaligned range of a tiled log: every entry proven, exactly the .jp entries, leaf_input as get-entries would serve it', async () => {
  const before = { ...log.stats };
  const { collector, chunks, error } = await scan({ start: 100, end: SIZE - 1, maxInFlight: 3 });
  assert.equal(error, null);
  assertContiguous(chunks, 100, SIZE - 1);
  const found = chunks.flatMap((c) => c.found);
  assert.deepEqual(
    found.map((f) => f.index),
    jpIndexes.filter((i) => i >= 100),
  );
  assert.ok(found.length > 0);
  for (const f of found) assert.equal(f.leafInput, log.leafInput(f.index).toString('base64'));
  assert.deepEqual(collector.verification, { state: 'verified', start: 100, end: SIZE - 1, treeSize: SIZE, signed: true });
  // 12 data tiles (the last one partial at the head), the right-edge hash tiles and the checkpoint; no level-0 tile of a full data tile.
  assert.equal(log.stats.dataTiles - before.dataTiles, Math.ceil(SIZE / TILE_WIDTH));
  assert.ok(log.stats.hashTiles - before.hashTiles <= 3, `${log.stats.hashTiles - before.hashTiles} hash tiles`);
  assert.equal(collector.stats.entries, SIZE - 100);
});

test('a range reaching past the checkpoint waits for the log to grow, reading the partial tile only at the head', async () => {
  log.setTreeSize(1000);
  try {
    const events: CollectorEvent[] = [];
    const collector = new CtLogCollector({ logUrl: log.url, api: 'static-ct-api', origin: log.origin, logKey: log.publicKey, start: 512, end: 1299, backoff: FAST, treeHeadRefreshMs: 50, onEvent: (e) => events.push(e) });
    const chunks: ScannedChunk[] = [];
    const done = collector.run((c) => {
      chunks.push(c);
      // Grow once the tiles inside the first checkpoint are read.
      if (c.end === 767) setTimeout(() => log.setTreeSize(1300), 100);
    });
    await done;
    assertContiguous(chunks, 512, 1299);
    assert.ok(events.some((e) => e.type === 'waiting-for-log'));
    assert.equal(collector.verification.state, 'verified');
    assert.deepEqual(
      chunks.flatMap((c) => c.found.map((f) => f.index)),
      jpIndexes.filter((i) => i >= 512 && i <= 1299),
    );
  } finally {
    log.setTreeSize(SIZE);
  }
});

test('a badly signed checkpoint is refused, retried with a clear reason, and nothing is read', async () => {
  log.setFaults({ badCheckpointSignature: true });
  try {
    const { chunks, error, events } = await scan({ start: 0, end: 511, giveUpAfterMs: 300 });
    assert.ok(error instanceof CtLogUnavailableError, String(error));
    assert.equal(chunks.length, 0);
    assert.ok(events.some((e) => e.type === 'retry' && /checkpoint: the signature of .* does not verify with the log key/.test(e.reason)));
  } finally {
    log.setFaults({});
  }
});

test('a checkpoint of another origin is refused', async () => {
  const { chunks, error, events } = await scan({ start: 0, end: 255, giveUpAfterMs: 200 }, log.url, log.publicKey, 'elsewhere.test/log');
  assert.ok(error instanceof CtLogUnavailableError);
  assert.equal(chunks.length, 0);
  assert.ok(events.some((e) => e.type === 'retry' && /origin .* is not the log's/.test(e.reason)));
});

for (const [fault, pattern] of [
  ['mismatchedDataTile', /data tile 4 \(entries 1024-1279\) does not hash to its node/],
  ['wrongLeafIndexTile', /entry 1152 of data tile 4 says it is entry 1153/],
] as const) {
  test(`${fault}: the scan ends at the tile with a failed verdict; nothing from it is handed over`, async () => {
    log.setFaults({ [fault]: 4 });
    try {
      const { chunks, error, collector, events } = await scan({ start: 0, end: SIZE - 1, maxInFlight: 1 });
      assert.ok(error instanceof RangeProofError, String(error));
      assert.match((error as Error).message, pattern);
      assertContiguous(chunks, 0, 4 * TILE_WIDTH - 1);
      assert.equal(collector.verification.state, 'failed');
      assert.ok(events.some((e) => e.type === 'range-verification' && e.verification.state === 'failed'));
    } finally {
      log.setFaults({});
    }
  });
}

test('a gzip bomb is refused at the decompression cap and retried; the scan is not confirmed past it', async () => {
  log.setFaults({ gzipBombTile: 2 });
  try {
    const { chunks, error, events } = await scan({ start: 0, end: SIZE - 1, maxInFlight: 1, giveUpAfterMs: 300 });
    assert.ok(error instanceof CtLogUnavailableError, String(error));
    assertContiguous(chunks, 0, 2 * TILE_WIDTH - 1);
    assert.ok(events.some((e) => e.type === 'retry' && /data tile 2: gzip body inflates to more than/.test(e.reason)));
  } finally {
    log.setFaults({});
  }
});

/** A tiled log whose checkpoint lags its tiles (a cached checkpoint): the partial tiles of its size are gone where the full tiles exist. */
async function laggingCheckpointLog(checkpointSize: number): Promise<{ url: string; origin: string; key: Buffer; server: Server }> {
  const source = new LeafListTileSource({ leaves });
  let head: SignedTreeHead | null = null;
  source.treeHead = () => (head ??= signTreeHead(source.key, Date.now(), checkpointSize, source.tree.root(checkpointSize)));
  const handler = new TiledLogHandler(source);
  const server = createServer((req, res) => {
    const a = handler.answer(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    if (a === null) return res.writeHead(404).end();
    sendTileAnswer(res, a);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  source.origin = originOf(url);
  return { url, origin: source.origin, key: source.spki, server };
}

test('partial tiles that are gone are read from the full tiles, and proven against the older checkpoint', async () => {
  const lag = await laggingCheckpointLog(1000);
  try {
    const { chunks, error, collector } = await scan({ start: 700, end: 999, giveUpAfterMs: 5_000 }, lag.url, lag.key, lag.origin);
    assert.equal(error, null);
    assertContiguous(chunks, 700, 999);
    assert.deepEqual(collector.verification, { state: 'verified', start: 700, end: 999, treeSize: 1000, signed: true });
  } finally {
    lag.server.closeAllConnections();
    lag.server.close();
  }
});

test('a tiled log without its key is refused at once', () => {
  assert.throws(() => new CtLogCollector({ logUrl: log.url, api: 'static-ct-api', start: 0, end: 10, logKey: null }), /a tiled log needs its key/);
});

test('issuers are read by fingerprint, hash-checked and cached', async () => {
  const entry = real.find((e) => decodeExtraData(decodeMerkleTreeLeaf(e.leafInput).entryType, e.extraData).chain.length > 0)!;
  const extra = decodeExtraData(decodeMerkleTreeLeaf(entry.leafInput).entryType, entry.extraData);
  const withChain = await serveLeavesAsTiles({ leaves: [entry.leafInput], extraData: [extra] });
  const source = new StaticCtSource({ api: 'static-ct-api', url: withChain.url, key: withChain.publicKey, origin: withChain.origin, http: { maxTries: 2, backoff: FAST } });
  try {
    const fingerprint = createHash('sha256').update(extra.chain[0]).digest();
    const first = await source.issuer(fingerprint);
    assert.ok(first.equals(Buffer.from(extra.chain[0])));
    const served = withChain.stats.issuers;
    assert.ok((await source.issuer(fingerprint)).equals(first));
    assert.equal(withChain.stats.issuers, served, 'the second read comes from the cache');
    // A fingerprint the log does not serve is an error after the retries, not a certificate.
    await assert.rejects(source.issuer(Buffer.alloc(32, 1)), /HTTP 404/);
  } finally {
    await source.close();
    await withChain.close();
  }
});
