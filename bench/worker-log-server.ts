/**
 * The benchmark's CT log, in its own process so that serving does not count
 * against the scanner being measured: the real leaves of test/data/ct-real,
 * repeated to the size asked for, each carrying its leaf_index extension (as
 * a tiled log's leaves do), one test log (tools/testlog: one Merkle tree, one
 * tree head) served three ways at once:
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
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { originOf } from '../src/share/ct/checkpoint.js';
import { tilePath, TILE_WIDTH } from '../src/share/ct/index.js';
import { leafCoversJp } from '../src/worker/jp-filter.js';
import { buildArchiveZips } from '../tools/testlog/archive.js';
import { LeafListEntries } from '../tools/testlog/leaf-list.js';
import { sendBytesWithRanges } from '../tools/testlog/range.js';
import { LogState, serveLog, type Quirks } from '../tools/testlog/server.js';
import { loadRealEntries } from '../tools/fixtures/ct-real.js';

const size = Number(process.argv[2] ?? 100_000);
const real = loadRealEntries();
const entries = new LeafListEntries(real.map((e) => e.leafInput), size, real.map((e) => e.extraData), true);
const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
const log = new LogState('bench', 'worker', { pageSize: 256, aligned: true }, key, entries, 'bench', { tileCacheBytes: Infinity });
const quirks: Record<string, Quirks> = { p32: { pageSize: 32, aligned: true }, p256: { pageSize: 256, aligned: true }, tiles: log.quirks };
let jp = 0;
for (let i = 0; i < size; i++) if (leafCoversJp(entries.leafInput(i))) jp++;
// Every data tile compressed once, before the clock starts, and kept (tileCacheBytes): the scans must not pay for it.
for (let t = 0; t * TILE_WIDTH < size; t++) log.tiles.answer(tilePath('data', t, Math.min(TILE_WIDTH, size - t * TILE_WIDTH)));

const notFound = (res: ServerResponse, error: string): void => {
  const body = JSON.stringify({ error });
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

let zips: Buffer[] = [];

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://log');
  const zip = /^\/archive\/(?:[a-z0-9-]+\/)?([0-9]{3})\.zip$/.exec(url.pathname);
  if (zip) {
    const body = zips[Number(zip[1])];
    if (body === undefined) return notFound(res, 'no such zip');
    return sendBytesWithRanges(req, res, body, 'application/zip');
  }
  const m = /^\/(p32|p256|tiles)\/(.*)$/.exec(url.pathname);
  if (!m) return notFound(res, 'no log here');
  void serveLog(req, res, url, log, m[2], quirks[m[1]]);
});
server.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
log.origin = originOf(`${base}/tiles/`);
// The archive of this very log (same handler, tree, key and origin), built once the origin is known.
const buildStart = performance.now();
zips = await buildArchiveZips(
  {
    treeSize: size,
    answer: (path) => log.tiles.answer(path),
    issuers: entries.issuerNames(),
    logJson: { description: 'ctjp benchmark log', key: log.spki.toString('base64') },
  },
  { subtreeLevel: 2 },
);
const buildSeconds = (performance.now() - buildStart) / 1000;
console.log(
  JSON.stringify({
    size,
    jp,
    key: log.spki.toString('base64'),
    origin: log.origin,
    urls: { p32: `${base}/p32/`, p256: `${base}/p256/`, tiles: `${base}/tiles/`, archive: zips.map((_, n) => `${base}/archive/${String(n).padStart(3, '0')}.zip`) },
    archive: { zips: zips.length, bytes: zips.reduce((s, z) => s + z.length, 0), buildSeconds },
  }),
);
