/**
 * The test logs' static-ct-api read path, seen from a client over real HTTP:
 * checkpoints that verify with the catalogued key and origin (grease lines
 * around the log's signature), gzip data tiles whose entries carry their
 * leaf_index and hash to the hash tiles, right-edge tiles that hash to the
 * checkpoint's root, the partial-tile rules, issuers, the same leaves as the
 * RFC 6962 API, the tile faults, and serveLeavesAsTiles for benchmarks.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { get, type IncomingHttpHeaders } from 'node:http';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { originOf, verifyCheckpoint } from '../../src/share/ct/checkpoint.js';
import { decodeExtraData, decodeMerkleTreeLeaf, leafHash, logId, parseSth, verifyInclusion } from '../../src/share/ct/index.js';
import { decodeDataTile, decodeHashTile, merkleTreeLeafOf, perfectRoot, rootFromEdgeTiles, tileLeafHash, tilePath, tileWidthAt, TILE_WIDTH, type TileLeaf } from '../../src/share/ct/tiles.js';
import { parseCli } from '../../tools/testlog/cli.js';
import { corpusDir } from '../../tools/testlog/store.js';
import { serveLeavesAsTiles, startTestLogs, type ServedLog, type TestLogs, type TestLogSpec } from '../../tools/testlog/index.js';

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A GET without any decoding, so the gzip framing is visible. */
function raw(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function status(url: string): Promise<number> {
  return (await raw(url)).status;
}

async function dataTile(log: ServedLog, index: number, width: number): Promise<TileLeaf[]> {
  const r = await raw(log.url + tilePath('data', index, width));
  assert.equal(r.status, 200, `${log.name} ${tilePath('data', index, width)}`);
  assert.equal(r.headers['content-encoding'], 'gzip');
  return decodeDataTile(gunzipSync(r.body), width, index * TILE_WIDTH);
}

async function hashTile(log: ServedLog, level: number, index: number, width: number): Promise<Uint8Array[]> {
  const r = await raw(log.url + tilePath(level, index, width));
  assert.equal(r.status, 200, `${log.name} ${tilePath(level, index, width)}`);
  assert.equal(r.headers['content-type'], 'application/octet-stream');
  assert.equal(r.headers['content-encoding'], undefined);
  return decodeHashTile(r.body, width, `hash tile ${level}/${index}`);
}

async function checkpointText(log: ServedLog): Promise<string> {
  const r = await raw(`${log.url}checkpoint`);
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  return r.body.toString('utf8');
}

const keyOf = (log: ServedLog): Buffer => Buffer.from(log.key, 'base64');

/** The right-edge hash tiles of a tree size, by level. */
async function edgeTiles(log: ServedLog, treeSize: number): Promise<Map<number, Uint8Array[]>> {
  const byLevel = new Map<number, Uint8Array[]>();
  for (let level = 0; TILE_WIDTH ** level <= treeSize; level++) {
    const index = Math.floor(treeSize / TILE_WIDTH ** (level + 1));
    const width = tileWidthAt(level, index, treeSize);
    if (width > 0 && width < TILE_WIDTH) byLevel.set(level, await hashTile(log, level, index, width));
  }
  return byLevel;
}

async function entries(log: ServedLog, size: number): Promise<{ leaf_input: string; extra_data: string }[]> {
  const out: { leaf_input: string; extra_data: string }[] = [];
  while (out.length < size) {
    const r = await fetch(`${log.url}ct/v1/get-entries?start=${out.length}&end=${size - 1}`);
    assert.equal(r.status, 200);
    out.push(...((await r.json()) as { entries: { leaf_input: string; extra_data: string }[] }).entries);
  }
  return out;
}

let tl: TestLogs;
const SIZE = 3000; // 11 full tiles and a partial of 184
const byName = (name: string): ServedLog => tl.logs.find((l) => l.name === name)!;

before(async () => {
  tl = await startTestLogs({ seed: 'tiles', size: SIZE, logs: ['sycamore-test', 'parcelyard-test', 'argon-test'] });
});
after(async () => {
  await tl.close();
});

describe('catalogue, log list, checkpoint', () => {
  test('logs.json lists tiled logs with api and submission_url, RFC 6962 logs as before', () => {
    const cat = JSON.parse(readFileSync(tl.cataloguePath, 'utf8')) as { logs: Record<string, unknown>[] };
    const [sycamore, parcelyard, argon] = cat.logs;
    assert.deepEqual(Object.keys(sycamore), ['category', 'name', 'api', 'url', 'submission_url', 'key']);
    assert.deepEqual(sycamore, { category: 'lets-encrypt', name: 'sycamore-test', api: 'static-ct-api', url: `${tl.baseUrl}/lets-encrypt/sycamore-test/`, submission_url: `${tl.baseUrl}/lets-encrypt/sycamore-test/`, key: byName('sycamore-test').key });
    assert.equal(parcelyard.api, 'static-ct-api');
    assert.deepEqual(Object.keys(argon), ['category', 'name', 'url', 'key']);
    assert.equal(byName('sycamore-test').api, 'static-ct-api');
    assert.equal(byName('argon-test').api, 'rfc6962');
    assert.equal(byName('argon-test').submissionUrl, byName('argon-test').url);
  });

  test('log_list.json puts tiled logs under tiled_logs with submission_url and monitoring_url', () => {
    type Entry = { log_id: string; key: string; url?: string; submission_url?: string; monitoring_url?: string };
    const list = JSON.parse(readFileSync(tl.logListPath, 'utf8')) as { operators: { name: string; logs: Entry[]; tiled_logs?: Entry[] }[] };
    const google = list.operators.find((o) => o.name === 'google')!;
    const le = list.operators.find((o) => o.name === 'lets-encrypt')!;
    assert.equal(google.logs.length, 1);
    assert.equal(google.logs[0].url, byName('argon-test').url);
    assert.equal(google.tiled_logs!.length, 1);
    assert.deepEqual(le.logs, []);
    const t = le.tiled_logs![0];
    assert.equal(t.url, undefined);
    assert.equal(t.submission_url, byName('sycamore-test').submissionUrl);
    assert.equal(t.monitoring_url, byName('sycamore-test').url);
    assert.equal(t.log_id, logId(Buffer.from(t.key, 'base64')).toString('base64'));
  });

  test('the checkpoint verifies with the catalogued key and origin, carries grease around the log line, and matches get-sth', async () => {
    for (const name of ['sycamore-test', 'argon-test']) {
      const log = byName(name);
      const origin = originOf(log.submissionUrl);
      assert.equal(origin, `${new URL(tl.baseUrl).host}/${log.category}/${log.name}`);
      const text = await checkpointText(log);
      const cp = verifyCheckpoint(text, keyOf(log), origin);
      assert.equal(cp.treeSize, tl.treeSize(name));
      assert.deepEqual(cp.rootHash, tl.rootHash(name, cp.treeSize));
      const sigs = text.slice(text.lastIndexOf('\n\n') + 2).trimEnd().split('\n');
      assert.equal(sigs.length, 3);
      assert.match(sigs[0], /^\u2014 grease\.invalid [A-Za-z0-9+/]+=*$/);
      const keyId = (line: string): string => Buffer.from(line.slice(line.lastIndexOf(' ') + 1), 'base64').subarray(0, 4).toString('hex');
      assert.ok(sigs[1].startsWith(`\u2014 ${origin} `), 'the log line between the grease and the other key');
      assert.ok(sigs[2].startsWith(`\u2014 ${origin} `), 'another signature under the same key name after it');
      assert.notEqual(keyId(sigs[2]), keyId(sigs[1]), 'with another key ID');
      const sth = parseSth(await (await fetch(`${log.url}ct/v1/get-sth`)).json());
      assert.equal(sth.treeSize, cp.treeSize);
      assert.equal(sth.timestamp, cp.timestamp);
      assert.deepEqual(sth.rootHash, cp.rootHash);
    }
  });
});

describe('tiles of a static-ct-api log', () => {
  const NAME = 'sycamore-test';

  test('data tiles: gzip whatever the client accepts; leaf_index = position; leaf hashes = level-0 tiles; same leaves as get-entries', async () => {
    const log = byName(NAME);
    const size = tl.treeSize(log.name);
    assert.equal(size, SIZE);
    const leaves = await entries(log, size);
    const identity = await raw(log.url + tilePath('data', 0), { 'accept-encoding': 'identity' });
    assert.equal(identity.headers['content-encoding'], 'gzip');
    assert.equal(identity.headers['content-type'], 'application/octet-stream');
    assert.deepEqual([...identity.body.subarray(0, 2)], [0x1f, 0x8b], 'a gzip stream');
    const fingerprints = new Set<string>();
    for (let tile = 0; tile * TILE_WIDTH < size; tile++) {
      const width = tileWidthAt(0, tile, size);
      const got = await dataTile(log, tile, width);
      const hashes = await hashTile(log, 0, tile, width);
      for (const [k, e] of got.entries()) {
        const i = tile * TILE_WIDTH + k;
        assert.equal(e.leafIndex, i);
        assert.deepEqual(tileLeafHash(e.timestampedEntry), Buffer.from(hashes[k]), `entry ${i}`);
        const leafInput = Buffer.from(leaves[i].leaf_input, 'base64');
        assert.deepEqual(merkleTreeLeafOf(e.timestampedEntry), leafInput, `entry ${i}: get-entries serves the same leaf`);
        const leaf = decodeMerkleTreeLeaf(leafInput);
        const extra = decodeExtraData(leaf.entryType, Buffer.from(leaves[i].extra_data, 'base64'));
        assert.equal(e.entryType, leaf.entryType);
        assert.deepEqual(e.preCertificate === null ? null : Buffer.from(e.preCertificate), extra.precertificate === null ? null : Buffer.from(extra.precertificate));
        assert.deepEqual(
          e.chain.map((c) => Buffer.from(c).toString('hex')),
          extra.chain.map((c) => createHash('sha256').update(c).digest('hex')),
        );
        for (const c of e.chain) fingerprints.add(Buffer.from(c).toString('hex'));
      }
    }
    assert.ok(fingerprints.size >= 4);
    for (const fp of fingerprints) {
      const r = await raw(`${log.url}issuer/${fp}`);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'application/pkix-cert');
      assert.equal(createHash('sha256').update(r.body).digest('hex'), fp);
    }
    assert.equal(await status(`${log.url}issuer/${'0'.repeat(64)}`), 404);
    assert.equal(await status(`${log.url}issuer/${[...fingerprints][0].toUpperCase()}`), 404);
  });

  test('get-entry-and-proof serves the leaf with its leaf_index, proven against the checkpoint', async () => {
    const log = byName(NAME);
    const cp = verifyCheckpoint(await checkpointText(log), keyOf(log), originOf(log.submissionUrl));
    for (const index of [0, 777, cp.treeSize - 1]) {
      const r = (await (await fetch(`${log.url}ct/v1/get-entry-and-proof?leaf_index=${index}&tree_size=${cp.treeSize}`)).json()) as { leaf_input: string; audit_path: string[] };
      const leafInput = Buffer.from(r.leaf_input, 'base64');
      assert.deepEqual([...decodeMerkleTreeLeaf(leafInput).extensions], [0, 0, 5, 0, 0, 0, index >> 8, index & 0xff]);
      assert.ok(verifyInclusion(leafHash(leafInput), index, cp.treeSize, r.audit_path.map((x) => Buffer.from(x, 'base64')), cp.rootHash));
    }
  });

  test('the expected .jp entries are where expected.json says, read from the tiles', async () => {
    const log = byName(NAME);
    const listed = tl.expected.jp_entries.filter((e) => e.log === NAME);
    assert.ok(listed.length > 0);
    const tiles = new Map<number, TileLeaf[]>();
    for (const e of listed) {
      const tile = Math.floor(e.index / TILE_WIDTH);
      if (!tiles.has(tile)) tiles.set(tile, await dataTile(log, tile, tileWidthAt(0, tile, tl.treeSize(NAME))));
      const leaf = decodeMerkleTreeLeaf(merkleTreeLeafOf(tiles.get(tile)![e.index % TILE_WIDTH].timestampedEntry));
      assert.equal(leaf.entryType, e.entry_type);
      assert.equal(leaf.timestamp, e.timestamp);
      assert.equal(createHash('sha256').update(leaf.signedEntry).digest('hex'), e.sha256);
    }
  });

  test('the right-edge tiles hash to the checkpoint root; full level-0 tiles hash to their level-1 slots', async () => {
    const log = byName(NAME);
    const cp = verifyCheckpoint(await checkpointText(log), keyOf(log), originOf(log.submissionUrl));
    const edge = await edgeTiles(log, cp.treeSize);
    assert.deepEqual([...edge.keys()], [0, 1]);
    assert.equal(edge.get(0)!.length, 184);
    assert.equal(edge.get(1)!.length, 11);
    assert.deepEqual(Buffer.from(rootFromEdgeTiles(cp.treeSize, (l) => edge.get(l) ?? [])), cp.rootHash);
    for (let k = 0; k < 11; k++) assert.deepEqual(Buffer.from(perfectRoot(await hashTile(log, 0, k, TILE_WIDTH))), Buffer.from(edge.get(1)![k]), `tile 0/${k}`);
  });

  test('partial tiles: only at the right edge, up to its width; full tiles only once complete', async () => {
    const u = byName(NAME).url;
    assert.equal(await status(u + 'tile/data/011.p/184'), 200);
    assert.equal(await status(u + 'tile/data/011.p/100'), 200, 'an earlier right edge of the same tile');
    assert.equal(await status(u + 'tile/0/011.p/1'), 200);
    assert.equal(await status(u + 'tile/data/011.p/185'), 404, 'wider than the tree');
    assert.equal(await status(u + 'tile/data/011'), 404, 'the full tile does not exist yet');
    assert.equal(await status(u + 'tile/0/011'), 404);
    assert.equal(await status(u + 'tile/data/010'), 200);
    assert.equal(await status(u + 'tile/data/010.p/5'), 404, 'no partial once the full tile exists');
    assert.equal(await status(u + 'tile/0/010.p/5'), 404);
    assert.equal(await status(u + 'tile/1/000.p/11'), 200);
    assert.equal(await status(u + 'tile/1/000'), 404);
    assert.equal(await status(u + 'tile/2/000.p/1'), 404);
    assert.equal(await status(u + 'tile/data/012.p/1'), 404);
    for (const bad of ['tile/data/11', 'tile/data/011.p/0', 'tile/data/011.p/256', 'tile/data/x000/011', 'tile/6/000', 'tile/x/000', 'tiles/0/000', 'checkpoint/']) {
      assert.equal(await status(u + bad), 404, bad);
    }
  });

  test('a growing log: appended entries carry their leaf_index, the edge moves, old partials go', async () => {
    const log = byName(NAME);
    tl.append(NAME, 100); // 3100 = 12 full tiles and a partial of 28
    const size = tl.treeSize(NAME);
    assert.equal(size, 3100);
    const cp = verifyCheckpoint(await checkpointText(log), keyOf(log), originOf(log.submissionUrl));
    assert.equal(cp.treeSize, size);
    assert.equal(await status(log.url + 'tile/data/011.p/184'), 404);
    const full = await dataTile(log, 11, TILE_WIDTH);
    const head = await dataTile(log, 12, 28);
    assert.deepEqual(head.map((e) => e.leafIndex), Array.from({ length: 28 }, (_, k) => 12 * TILE_WIDTH + k));
    const leaves = await entries(log, size);
    for (const [k, e] of [...full, ...head].entries()) assert.deepEqual(merkleTreeLeafOf(e.timestampedEntry), Buffer.from(leaves[11 * TILE_WIDTH + k].leaf_input, 'base64'));
    const edge = await edgeTiles(log, size);
    assert.deepEqual(Buffer.from(rootFromEdgeTiles(size, (l) => edge.get(l) ?? [])), cp.rootHash);
  });
});

describe('tiles of an RFC 6962 log', () => {
  test('data tiles without leaf_index, hashing to the same tree as get-entries', async () => {
    const log = byName('argon-test');
    const size = tl.treeSize(log.name);
    const cp = verifyCheckpoint(await checkpointText(log), keyOf(log), originOf(log.submissionUrl));
    const leaves = await entries(log, size);
    for (let tile = 0; tile * TILE_WIDTH < size; tile++) {
      const width = tileWidthAt(0, tile, size);
      const got = await dataTile(log, tile, width);
      const hashes = await hashTile(log, 0, tile, width);
      for (const [k, e] of got.entries()) {
        assert.equal(e.leafIndex, null);
        assert.deepEqual(tileLeafHash(e.timestampedEntry), Buffer.from(hashes[k]));
        assert.deepEqual(merkleTreeLeafOf(e.timestampedEntry), Buffer.from(leaves[tile * TILE_WIDTH + k].leaf_input, 'base64'));
      }
    }
    const edge = await edgeTiles(log, size);
    assert.deepEqual(Buffer.from(rootFromEdgeTiles(size, (l) => edge.get(l) ?? [])), cp.rootHash);
  });
});

describe('tile faults', () => {
  const NAME = 'parcelyard-test';
  const log = (): ServedLog => byName(NAME);
  beforeEach(() => tl.setFaults(NAME, {}));

  test('bad checkpoint signature: the note states the true tree, the log line does not verify', async () => {
    const good = verifyCheckpoint(await checkpointText(log()), keyOf(log()), originOf(log().submissionUrl));
    tl.setFaults(NAME, { tiles: { badCheckpointSignature: true } });
    const text = await checkpointText(log());
    assert.ok(text.startsWith(`${originOf(log().submissionUrl)}\n${good.treeSize}\n${good.rootHash.toString('base64')}\n\n`));
    assert.throws(() => verifyCheckpoint(text, keyOf(log()), originOf(log().submissionUrl)), /does not verify/);
    tl.setFaults(NAME, {});
    verifyCheckpoint(await checkpointText(log()), keyOf(log()), originOf(log().submissionUrl));
  });

  test('mismatched data tile: a well-formed entry with the right leaf_index that is not the one the hash tiles hold', async () => {
    const size = tl.treeSize(NAME);
    for (const [tile, width] of [[2, TILE_WIDTH], [11, tileWidthAt(0, 11, size)]]) {
      const hashes = await hashTile(log(), 0, tile, width);
      const honest = await dataTile(log(), tile, width);
      tl.setFaults(NAME, { tiles: { mismatchedDataTile: tile } });
      const got = await dataTile(log(), tile, width);
      tl.setFaults(NAME, {});
      const slot = Math.floor(width / 2);
      for (const [k, e] of got.entries()) {
        assert.equal(e.leafIndex, tile * TILE_WIDTH + k);
        decodeMerkleTreeLeaf(merkleTreeLeafOf(e.timestampedEntry));
        assert.equal(Buffer.from(tileLeafHash(e.timestampedEntry)).equals(hashes[k]), k !== slot, `slot ${k}`);
        if (k !== slot) assert.deepEqual(Buffer.from(e.timestampedEntry), Buffer.from(honest[k].timestampedEntry));
      }
    }
  });

  test('wrong leaf_index: one entry of the tile says it is the next one', async () => {
    tl.setFaults(NAME, { tiles: { wrongLeafIndexTile: 3 } });
    const got = await dataTile(log(), 3, TILE_WIDTH);
    assert.deepEqual(
      got.map((e) => e.leafIndex),
      Array.from({ length: TILE_WIDTH }, (_, k) => 3 * TILE_WIDTH + k + (k === 128 ? 1 : 0)),
    );
    const other = await dataTile(log(), 4, TILE_WIDTH);
    assert.ok(other.every((e, k) => e.leafIndex === 4 * TILE_WIDTH + k), 'other tiles are untouched');
  });

  test('gzip bomb: a small answer that inflates to 64 MiB', async () => {
    tl.setFaults(NAME, { tiles: { gzipBombTile: 4 } });
    const r = await raw(log().url + tilePath('data', 4));
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.ok(r.body.length < 1024 * 1024, `${r.body.length} bytes on the wire`);
    assert.equal(gunzipSync(r.body).length, 64 * 1024 * 1024);
    assert.equal((await dataTile(log(), 5, TILE_WIDTH)).length, TILE_WIDTH, 'other tiles are untouched');
  });

  test('partial tiles gone: every .p/ answers 404, full tiles stay', async () => {
    tl.setFaults(NAME, { tiles: { partialTilesGone: true } });
    const u = log().url;
    for (const p of ['tile/data/011.p/184', 'tile/0/011.p/184', 'tile/1/000.p/11']) assert.equal(await status(u + p), 404, p);
    assert.equal(await status(u + 'tile/data/010'), 200);
    assert.equal(await status(u + 'tile/0/010'), 200);
    assert.equal(await status(u + 'checkpoint'), 200);
  });

  test('rate limits, server errors, dropped connections and latency apply to the tiled paths', async () => {
    const u = log().url;
    tl.setFaults(NAME, { rateLimit: { perSecond: 0.5, burst: 2 } });
    const seen: Raw[] = [];
    for (const p of ['checkpoint', 'tile/data/000', 'tile/0/000', 'issuer/' + '0'.repeat(64)]) seen.push(await raw(u + p));
    assert.deepEqual(seen.map((r) => r.status).slice(0, 2), [200, 200]);
    assert.equal(seen[3].status, 429);
    assert.match(String(seen[3].headers['retry-after']), /^[1-9]\d*$/);
    tl.setFaults(NAME, { rateLimit: { perSecond: 0.5, burst: 1, retryAfter: false } });
    await raw(u + 'checkpoint');
    const limited = await raw(u + 'tile/0/000');
    assert.equal(limited.status, 429);
    assert.equal(limited.headers['retry-after'], undefined);
    tl.setFaults(NAME, { errorRate: 1 });
    assert.ok([500, 502, 503, 504].includes(await status(u + 'tile/data/000')));
    tl.setFaults(NAME, { dropRate: 1 });
    await assert.rejects(raw(u + 'checkpoint'));
    tl.setFaults(NAME, { latencyMs: 300 });
    const t0 = Date.now();
    assert.equal(await status(u + 'tile/0/000'), 200);
    assert.ok(Date.now() - t0 >= 290);
  });

  test('bad tile fault settings are refused with the name of the setting', () => {
    assert.throws(() => tl.setFaults(NAME, { tiles: { gzipBombTile: -1 } }), /gzipBombTile/);
    assert.throws(() => tl.setFaults(NAME, { tiles: { mismatchedDataTile: 1.5 } }), /mismatchedDataTile/);
    assert.throws(() => tl.setFaults(NAME, { tiles: { partialTilesGone: 'yes' as never } }), /partialTilesGone/);
    assert.throws(() => tl.setFaults(NAME, { tiles: { nope: true } as never }), /unknown tile fault nope/);
  });
});

describe('a log of more than 65,536 entries', () => {
  let big: TestLogs;
  before(async () => {
    big = await startTestLogs({ seed: 'tiles-big', size: 70_000, logs: ['sycamore-test'] });
  });
  after(async () => {
    await big.close();
  });

  test('three levels of tiles, as in the static-ct-api example of size 70,000', async () => {
    const log = big.logs[0];
    const cp = verifyCheckpoint(await checkpointText(log), keyOf(log), originOf(log.submissionUrl));
    assert.equal(cp.treeSize, 70_000);
    const edge = await edgeTiles(log, cp.treeSize);
    assert.deepEqual([...edge].map(([l, h]) => [l, h.length]), [[0, 112], [1, 17], [2, 1]]);
    assert.equal(await status(log.url + 'tile/data/273.p/112'), 200);
    assert.equal(await status(log.url + 'tile/1/001.p/17'), 200);
    assert.equal(await status(log.url + 'tile/1/000'), 200);
    assert.deepEqual(Buffer.from(rootFromEdgeTiles(cp.treeSize, (l) => edge.get(l) ?? [])), cp.rootHash);
    const level1 = await hashTile(log, 1, 0, TILE_WIDTH);
    assert.deepEqual(Buffer.from(perfectRoot(level1)), Buffer.from(edge.get(2)![0]), 'level-2 slot 0 is the root of level-1 tile 0');
    for (const k of [0, 100, 255]) assert.deepEqual(Buffer.from(perfectRoot(await hashTile(log, 0, k, TILE_WIDTH))), Buffer.from(level1[k]));
    const head = await dataTile(log, 273, 112);
    const hashes = edge.get(0)!;
    for (const [k, e] of head.entries()) {
      assert.equal(e.leafIndex, 273 * TILE_WIDTH + k);
      assert.deepEqual(tileLeafHash(e.timestampedEntry), Buffer.from(hashes[k]));
    }
  });
});

describe('command line and cache key', () => {
  test('--logs takes the tiled built-in logs; --api and the tile fault flags, per log or for all', () => {
    const o = parseCli(
      ['--logs', 'lets-encrypt/sycamore-test,argon-test,wyvern-test', '--api', 'argon-test=static-ct-api', '--gzip-bomb-tile', 'sycamore-test=3', '--partial-tiles-gone', 'on', '--bad-checkpoint-sig', 'argon-test=on', '--mismatched-data-tile', '7', '--wrong-leaf-index-tile', 'wyvern-test=2', '--error-rate', '0.1'],
      {},
    );
    if (o === 'help') throw new Error('unexpected help');
    const [sycamore, argon, wyvern] = o.logs as TestLogSpec[];
    assert.deepEqual([sycamore.category, sycamore.api, argon.api, wyvern.api], ['lets-encrypt', 'static-ct-api', 'static-ct-api', 'rfc6962']);
    assert.deepEqual(sycamore.faults, { errorRate: 0.1, tiles: { partialTilesGone: true, mismatchedDataTile: 7, gzipBombTile: 3 } });
    assert.deepEqual(argon.faults, { errorRate: 0.1, tiles: { partialTilesGone: true, mismatchedDataTile: 7, badCheckpointSignature: true } });
    assert.deepEqual(wyvern.faults, { errorRate: 0.1, tiles: { partialTilesGone: true, mismatchedDataTile: 7, wrongLeafIndexTile: 2 } });
    const plain = parseCli(['--logs', 'argon-test', '--error-rate', '0.1'], {});
    if (plain === 'help') throw new Error('unexpected help');
    assert.deepEqual((plain.logs as TestLogSpec[])[0].faults, { errorRate: 0.1 }, 'no tiles key without tile faults');
    assert.throws(() => parseCli(['--api', 'tiles'], {}), /--api: expected rfc6962 or static-ct-api/);
    assert.throws(() => parseCli(['--gzip-bomb-tile', 'x'], {}), /--gzip-bomb-tile/);
    assert.throws(() => parseCli(['--partial-tiles-gone', 'maybe'], {}), /--partial-tiles-gone/);
  });

  test('the corpus cache key changes for tiled logs only', () => {
    const spec = { seed: 's', jpShare: 0.01, logs: [{ name: 'argon-test', size: 10 }] };
    const dir = corpusDir('/c', spec);
    assert.equal(corpusDir('/c', { ...spec, logs: [{ name: 'argon-test', size: 10, api: 'rfc6962' }] }), dir);
    assert.notEqual(corpusDir('/c', { ...spec, logs: [{ name: 'argon-test', size: 10, api: 'static-ct-api' }] }), dir);
    assert.match(dir, /\/v1-s-10-[0-9a-f]{16}$/);
  });

  test('a custom log spec may be tiled; categories follow the catalogue rule', async () => {
    await assert.rejects(startTestLogs({ size: 10, logs: [{ category: 'Big Operator', name: 'x-test' }] }), /category/);
    await assert.rejects(startTestLogs({ size: 10, logs: [{ category: 'x', name: 'x-test', api: 'tiled' as never }] }), /api of x-test/);
  });
});

describe('serveLeavesAsTiles', () => {
  test('serves MerkleTreeLeaf inputs as a tiled log, with leaf_index added and issuers from the extra data', async () => {
    const src = byName('argon-test');
    const got = (await entries(src, 600)).slice(0, 600);
    const leaves = got.map((e) => Buffer.from(e.leaf_input, 'base64'));
    const extraData = got.map((e, i) => decodeExtraData(decodeMerkleTreeLeaf(leaves[i]).entryType, Buffer.from(e.extra_data, 'base64')));
    const s = await serveLeavesAsTiles({ leaves, extraData, prefix: '/bench/log/' });
    try {
      assert.ok(s.url.endsWith('/bench/log/'));
      const served: ServedLog = { ...src, url: s.url, submissionUrl: s.url, key: s.publicKey.toString('base64') };
      const cp = verifyCheckpoint(await checkpointText(served), s.publicKey, s.origin);
      assert.equal(s.origin, originOf(s.url));
      assert.equal(cp.treeSize, 600);
      assert.deepEqual(cp.rootHash, s.rootHash());
      const edge = await edgeTiles(served, 600);
      assert.deepEqual(Buffer.from(rootFromEdgeTiles(600, (l) => edge.get(l) ?? [])), cp.rootHash);
      const tiles = [...(await dataTile(served, 0, TILE_WIDTH)), ...(await dataTile(served, 1, TILE_WIDTH)), ...(await dataTile(served, 2, 88))];
      for (const [i, e] of tiles.entries()) {
        assert.equal(e.leafIndex, i);
        assert.deepEqual(merkleTreeLeafOf(e.timestampedEntry), s.leafInput(i));
        assert.deepEqual(decodeMerkleTreeLeaf(s.leafInput(i)).signedEntry, decodeMerkleTreeLeaf(leaves[i]).signedEntry);
      }
      const fp = Buffer.from(tiles[0].chain[0]).toString('hex');
      assert.equal(createHash('sha256').update((await raw(`${s.url}issuer/${fp}`)).body).digest('hex'), fp);
      s.setTreeSize(300);
      assert.equal(verifyCheckpoint(await checkpointText(served), s.publicKey, s.origin).treeSize, 300);
      assert.equal(await status(`${s.url}tile/data/001.p/44`), 200);
      assert.equal(await status(`${s.url}tile/data/001`), 404);
      assert.ok(s.stats.dataTiles >= 4 && s.stats.checkpoints === 2);
    } finally {
      await s.close();
    }
  });

  test('leafIndex: false serves the leaves unchanged', async () => {
    const src = byName('argon-test');
    const leaves = (await entries(src, 40)).slice(0, 40).map((e) => Buffer.from(e.leaf_input, 'base64'));
    const s = await serveLeavesAsTiles({ leaves, leafIndex: false });
    try {
      const served: ServedLog = { ...src, url: s.url, submissionUrl: s.url, key: s.publicKey.toString('base64') };
      const tile = await dataTile(served, 0, 40);
      assert.ok(tile.every((e, i) => e.leafIndex === null && merkleTreeLeafOf(e.timestampedEntry).equals(leaves[i])));
      assert.deepEqual(s.rootHash(), tl.rootHash('argon-test', 40));
    } finally {
      await s.close();
    }
  });
});
