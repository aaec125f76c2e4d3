/**
 * The benchmark's CT log, in its own process so that serving does not count
 * against the scanner being measured: the real leaves of test/data/ct-real,
 * repeated to the size asked for, each carrying its leaf_index extension (as
 * a tiled log's leaves do), one Merkle tree, served three ways at once:
 *   /p32/   RFC 6962, get-entries capped at 32 per answer, aligned (Google)
 *   /p256/  RFC 6962, 256 per answer, aligned (DigiCert, Cloudflare)
 *   /tiles/ static-ct-api: checkpoint, hash tiles, gzip data tiles
 *   /archive/000.zip  the same tiles as a zip archive of a shut-down log
 *           (geomys/ct-archive layout, tools/testlog/archive.ts: one level-2
 *           subtree of 256³ entries per zip, data tiles deflated), served
 *           with HTTP Range support; also at /archive/<name>/000.zip, the
 *           same bytes under another URL (the reader keeps a zip's directory
 *           per URL, so a warm-up pass must not use the measured URL)
 * No rate limits. Data tiles are compressed, and the archive zips built from
 * the very handler that serves /tiles/, before "ready" is printed, as a real
 * log stores them. Prints one JSON line {size, jp, key, origin, urls,
 * archive: {zips, bytes, buildSeconds}} and serves until killed.
 */
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeExtraData, decodeMerkleTreeLeaf, sthToJson, tilePath, TILE_WIDTH } from '../src/share/ct/index.js';
import { leafCoversJp } from '../src/worker/jp-filter.js';
import { buildArchiveZips } from '../tools/testlog/archive.js';
import { sendBytesWithRanges } from '../tools/testlog/range.js';
import { LeafListTileSource, TiledLogHandler, sendTileAnswer, type TileAnswer } from '../tools/testlog/tiles.js';
import { loadRealEntries } from '../tools/fixtures/ct-real.js';

const size = Number(process.argv[2] ?? 100_000);
const real = loadRealEntries();
const leaves = Array.from({ length: size }, (_, i) => real[i % real.length].leafInput);
const extraData = Array.from({ length: size }, (_, i) => {
  const e = real[i % real.length];
  return decodeExtraData(decodeMerkleTreeLeaf(e.leafInput).entryType, e.extraData);
});
const extraBase64 = real.map((e) => e.extraData.toString('base64'));
const source = new LeafListTileSource({ leaves, extraData, leafIndex: true });
const handler = new TiledLogHandler(source);
const indexOfHash = new Map<string, number>();
for (let i = 0; i < size; i++) indexOfHash.set(source.tree.leafHashAt(i).toString('base64'), i);
let jp = 0;
for (let i = 0; i < size; i++) if (leafCoversJp(source.leafInput(i))) jp++;
// Every data tile compressed once, before the clock starts.
const dataTiles = new Map<string, TileAnswer>();
for (let t = 0; t * TILE_WIDTH < size; t++) {
  const path = tilePath('data', t, Math.min(TILE_WIDTH, size - t * TILE_WIDTH));
  dataTiles.set(path, handler.answer(path)!);
}

const json = (res: ServerResponse, status: number, body: string): void => {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

function rfc6962(res: ServerResponse, pageSize: number, endpoint: string, q: URLSearchParams): void {
  const num = (k: string): number => Number(q.get(k));
  if (endpoint === 'get-sth') return json(res, 200, JSON.stringify(sthToJson(handler.treeHead())));
  if (endpoint === 'get-entries') {
    const start = num('start');
    const end = Math.min(num('end'), size - 1, Math.floor(start / pageSize) * pageSize + pageSize - 1);
    if (!Number.isSafeInteger(start) || start < 0 || start >= size || end < start) return json(res, 400, '{"error":"bad range"}');
    const parts: string[] = [];
    for (let i = start; i <= end; i++) parts.push(`{"leaf_input":"${source.leafInput(i).toString('base64')}","extra_data":"${extraBase64[i % real.length]}"}`);
    return json(res, 200, `{"entries":[${parts.join(',')}]}`);
  }
  if (endpoint === 'get-proof-by-hash' || endpoint === 'get-entry-and-proof') {
    const treeSize = num('tree_size');
    const index = endpoint === 'get-proof-by-hash' ? (indexOfHash.get(q.get('hash') ?? '') ?? -1) : num('leaf_index');
    if (!(treeSize >= 1 && treeSize <= size && index >= 0 && index < treeSize)) return json(res, 400, '{"error":"bad proof request"}');
    const audit_path = source.tree.inclusionProof(index, treeSize).map((h) => h.toString('base64'));
    const body = endpoint === 'get-proof-by-hash' ? { leaf_index: index, audit_path } : { leaf_input: source.leafInput(index).toString('base64'), extra_data: extraBase64[index % real.length], audit_path };
    return json(res, 200, JSON.stringify(body));
  }
  json(res, 404, '{"error":"unknown endpoint"}');
}

let zips: Buffer[] = [];

const server = createServer((req, res) => {
  const u = new URL(req.url ?? '/', 'http://log');
  const zip = /^\/archive\/(?:[a-z0-9-]+\/)?([0-9]{3})\.zip$/.exec(u.pathname);
  if (zip) {
    const body = zips[Number(zip[1])];
    if (body === undefined) return json(res, 404, '{"error":"no such zip"}');
    return sendBytesWithRanges(req, res, body, 'application/zip');
  }
  const m = /^\/(p32|p256|tiles)\/(.*)$/.exec(u.pathname);
  if (!m) return json(res, 404, '{"error":"no log here"}');
  if (m[1] === 'tiles') {
    const answer = dataTiles.get(m[2]) ?? handler.answer(m[2]);
    if (answer === null) return json(res, 404, '{"error":"not a tiled path"}');
    return sendTileAnswer(res, answer);
  }
  const endpoint = /^ct\/v1\/([a-z-]+)$/.exec(m[2])?.[1] ?? '';
  rfc6962(res, m[1] === 'p32' ? 32 : 256, endpoint, u.searchParams);
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
source.origin = `127.0.0.1:${(server.address() as AddressInfo).port}/tiles`;
// The archive of this very log (same handler, tree, key and origin), built once the origin is known.
const buildStart = performance.now();
const issuers = new Set<string>();
for (const x of extraData) for (const c of x.chain) issuers.add(createHash('sha256').update(c).digest('hex'));
zips = await buildArchiveZips(
  {
    treeSize: size,
    answer: (path) => dataTiles.get(path) ?? handler.answer(path),
    issuers: [...issuers],
    logJson: { description: 'ctjp benchmark log', key: Buffer.from(source.spki).toString('base64') },
  },
  { subtreeLevel: 2 },
);
const buildSeconds = (performance.now() - buildStart) / 1000;
console.log(
  JSON.stringify({
    size,
    jp,
    key: Buffer.from(source.spki).toString('base64'),
    origin: source.origin,
    urls: { p32: `${base}/p32/`, p256: `${base}/p256/`, tiles: `${base}/tiles/`, archive: zips.map((_, n) => `${base}/archive/${String(n).padStart(3, '0')}.zip`) },
    archive: { zips: zips.length, bytes: zips.reduce((s, z) => s + z.length, 0), buildSeconds },
  }),
);
