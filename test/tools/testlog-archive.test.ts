/**
 * The test logs as archive zips (the geomys/ct-archive layout) and the byte
 * range server they are served with: every tile of a small log lands in the
 * zip archiveZipOf names, read back over HTTP Range with ZipArchive equal to
 * what the tiled log serves, and the range server answers as RFC 9110 says.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { after, before, test } from 'node:test';
import { LogHttp } from '../../src/share/ct/http.js';
import { decodeExtraData, decodeMerkleTreeLeaf } from '../../src/share/ct/leaf.js';
import { MAX_TILE_LEVEL, parseTilePath, tilePath, tileWidthAt, TILE_WIDTH } from '../../src/share/ct/tiles.js';
import { ZipArchive, archiveZipOf } from '../../src/share/ct/zip-archive.js';
import { buildArchiveZips, type ArchiveLog } from '../../tools/testlog/archive.js';
import { parseSingleRange, sendBytesWithRanges } from '../../tools/testlog/range.js';
import { LeafListTileSource, TiledLogHandler } from '../../tools/testlog/tiles.js';
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';

const SIZE = 700;
const real = loadRealEntries();
const leaves = Array.from({ length: SIZE }, (_, i) => real[i % real.length].leafInput);
const extraData = Array.from({ length: SIZE }, (_, i) => decodeExtraData(decodeMerkleTreeLeaf(leaves[i]).entryType, real[i % real.length].extraData));
const source = new LeafListTileSource({ leaves, extraData });
const handler = new TiledLogHandler(source);
const issuers = [...new Set(extraData.flatMap((x) => x.chain.map((c) => createHash('sha256').update(c).digest('hex'))))];
const log: ArchiveLog = { treeSize: SIZE, answer: (p) => handler.answer(p), issuers, logJson: { description: 'ctjp archive test log', log_id: 'test' } };

/** Zip bytes by path. */
const files = new Map<string, Buffer>();
let server: Server;
let base: string;

before(async () => {
  server = createServer((req, res) => {
    const f = files.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (f === undefined) return void res.writeHead(404, { 'content-length': 0 }).end();
    sendBytesWithRanges(req, res, f, 'application/zip');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(
  () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    }),
);

/** Every tile the log serves at its size: path, level, index, width. */
function allTiles(size: number): { path: string; level: number | 'data'; index: number; width: number }[] {
  const out: { path: string; level: number | 'data'; index: number; width: number }[] = [];
  for (let level = 0; level <= MAX_TILE_LEVEL && TILE_WIDTH ** level <= size; level++) {
    const full = Math.floor(size / TILE_WIDTH ** (level + 1));
    const edge = tileWidthAt(level, full, size);
    const tiles = Array.from({ length: full }, (_, i) => [i, TILE_WIDTH]).concat(edge > 0 ? [[full, edge]] : []);
    for (const [index, width] of tiles) {
      out.push({ path: tilePath(level, index, width), level, index, width });
      if (level === 0) out.push({ path: tilePath('data', index, width), level: 'data', index, width });
    }
  }
  return out;
}

/** What the log serves at `path`, gzip undone. */
function served(path: string): Buffer {
  const a = handler.answer(path);
  assert.ok(a !== null && a.status === 200, path);
  return a.headers['content-encoding'] === 'gzip' ? gunzipSync(a.body) : a.body;
}

for (const [subtreeLevel, forceZip64] of [
  [0, false],
  [0, true],
  [1, false],
] as const) {
  test(`archive zips of a ${SIZE}-entry log, subtree level ${subtreeLevel}${forceZip64 ? ', ZIP64' : ''}: every tile in the zip archiveZipOf names, as the log serves it`, async () => {
    const zips = await buildArchiveZips(log, { subtreeLevel, forceZip64 });
    assert.equal(zips.length, Math.ceil(SIZE / TILE_WIDTH ** (subtreeLevel + 1)));
    const http = new LogHttp(base, { maxTries: 2, backoff: { baseMs: 10, maxMs: 50 } });
    try {
      const archives: ZipArchive[] = [];
      for (const [n, bytes] of zips.entries()) {
        const path = `log-k${subtreeLevel}-${forceZip64}/${String(n).padStart(3, '0')}.zip`;
        files.set(`/${path}`, bytes);
        const before = http.stats.requests;
        archives.push(await ZipArchive.open(http, path));
        assert.equal(http.stats.requests - before, 1, `zip ${n} opened in one request`);
      }
      const tiles = allTiles(SIZE);
      const expected = new Map<number, Set<string>>(archives.map((_, n) => [n, new Set(['README.txt', 'checkpoint', 'log.v3.json', ...issuers.map((h) => `issuer/${h}`)])]));
      for (const t of tiles) {
        const zip = archiveZipOf(t.level, t.index, t.width, subtreeLevel);
        for (const n of zip === 'any' ? archives.keys() : [zip]) expected.get(n)!.add(t.path);
      }
      for (const [n, zip] of archives.entries()) {
        assert.deepEqual([...zip.names()].sort(), [...expected.get(n)!].sort(), `members of zip ${n}`);
        for (const name of zip.names()) {
          const before = http.stats.requests;
          const got = await zip.read(name, 1 << 20);
          assert.equal(http.stats.requests - before, 1);
          if (name === 'log.v3.json') assert.deepEqual(JSON.parse(got!.toString()), log.logJson);
          else if (name === 'README.txt') assert.match(got!.toString(), /Certificate Transparency log/);
          else if (name === 'checkpoint') assert.match(got!.toString(), new RegExp(`^${source.origin}\n${SIZE}\n`));
          else assert.ok(got!.equals(served(name)), `zip ${n} member ${name}`);
          const tile = parseTilePath(name);
          if (tile !== null) {
            const where = archiveZipOf(tile.level, tile.index, tile.width, subtreeLevel);
            assert.ok(where === 'any' || where === n, `${name} in zip ${n}, archiveZipOf says ${where}`);
          }
        }
      }
      // Data tiles are deflated, the rest stored, as in the real archives.
      assert.ok(zips[0].length < tiles.reduce((s, t) => s + (archiveZipOf(t.level, t.index, t.width, subtreeLevel) === 0 || archiveZipOf(t.level, t.index, t.width, subtreeLevel) === 'any' ? served(t.path).length : 0), 0));
    } finally {
      await http.close();
    }
  });
}

test('archives without issuers; a log too small for an archive is refused', async () => {
  const zips = await buildArchiveZips(log, { subtreeLevel: 1, withIssuers: false });
  files.set('/no-issuers/000.zip', zips[0]);
  const http = new LogHttp(base, { maxTries: 2, backoff: { baseMs: 10, maxMs: 50 } });
  try {
    const zip = await ZipArchive.open(http, 'no-issuers/000.zip');
    assert.equal([...zip.names()].filter((n) => n.startsWith('issuer/')).length, 0);
    assert.ok(zip.has('tile/data/002.p/188') && zip.has('tile/1/000.p/2') && zip.has('tile/0/001'));
  } finally {
    await http.close();
  }
  await assert.rejects(buildArchiveZips({ ...log, treeSize: 0 }), RangeError);
});

test('single byte ranges: 206 with Content-Range, 416 past the end, 200 for no, several or garbled ranges', async () => {
  const body = Buffer.from('0123456789');
  assert.deepEqual(parseSingleRange('bytes=2-4', 10), { start: 2, end: 4 });
  assert.deepEqual(parseSingleRange('bytes=7-', 10), { start: 7, end: 9 });
  assert.deepEqual(parseSingleRange('bytes=-3', 10), { start: 7, end: 9 });
  assert.deepEqual(parseSingleRange('bytes=-30', 10), { start: 0, end: 9 });
  assert.deepEqual(parseSingleRange('bytes=5-100', 10), { start: 5, end: 9 });
  assert.equal(parseSingleRange('bytes=10-12', 10), 'unsatisfiable');
  assert.equal(parseSingleRange('bytes=-0', 10), 'unsatisfiable');
  for (const h of [undefined, 'bytes=1-2,4-5', 'bytes=4-2', 'items=1-2', 'bytes=-', 'garbage']) assert.equal(parseSingleRange(h, 10), 'ignore', String(h));
  files.set('/digits', body);
  const get = (range: string | null, method = 'GET') =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request(`${base}digits`, { method, headers: range === null ? {} : { range } }, (res) => {
        let s = '';
        res.on('data', (c: Buffer) => (s += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: s }));
      });
      req.on('error', reject);
      req.end();
    });
  let r = await get('bytes=2-4');
  assert.deepEqual([r.status, r.headers['content-range'], r.headers['accept-ranges'], r.body], [206, 'bytes 2-4/10', 'bytes', '234']);
  r = await get('bytes=-3');
  assert.deepEqual([r.status, r.headers['content-range'], r.body], [206, 'bytes 7-9/10', '789']);
  r = await get('bytes=20-');
  assert.deepEqual([r.status, r.headers['content-range'], r.body], [416, 'bytes */10', '']);
  r = await get(null);
  assert.deepEqual([r.status, r.headers['content-range'], r.body], [200, undefined, '0123456789']);
  r = await get('bytes=0-1,5-6');
  assert.deepEqual([r.status, r.body], [200, '0123456789']);
  r = await get('bytes=1-2', 'HEAD');
  assert.deepEqual([r.status, r.headers['content-length'], r.body], [206, '2', '']);
  r = await get(null, 'POST');
  assert.equal(r.status, 405);
});
