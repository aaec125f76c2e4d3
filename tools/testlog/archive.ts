/**
 * Archive zips of a test log, in the layout of the archived (shut-down) CT
 * logs of geomys/ct-archive ("photocamera-archiver"), so the archive reader
 * is tested against the same members, paths and compression as the real ones.
 *
 * With subtree level k (2 in the real archives), zip N covers entries
 * [256^(k+1)·N, 256^(k+1)·(N+1)) and holds the full hash tiles at levels ≤ k of
 * that subtree and its data tiles (the partial one at the right edge
 * included). Every zip also holds `README.txt`, `checkpoint`, `log.v3.json`,
 * `issuer/<sha256 hex>` (unless withIssuers is false: some archives have
 * none), every tile at levels > k (full and partial) and the partial
 * right-edge hash tiles at levels ≤ k. Data tiles are deflated and plain
 * TileLeaf bytes inside (the log's gzip is undone); everything else is stored.
 * archiveZipOf() in src/share/ct/zip-archive.ts states the same rule for readers.
 */
import { gunzipSync } from 'node:zlib';
import yazl from 'yazl';
import { MAX_TILE_LEVEL, tilePath, tileWidthAt, TILE_WIDTH } from '../../src/share/ct/tiles.js';

export interface ArchiveLog {
  treeSize: number;
  /** The answer for a static-ct-api path relative to the log prefix, e.g. TiledLogHandler.answer. */
  answer(path: string): { status: number; headers: Record<string, string>; body: Buffer } | null;
  /** SHA-256 hex of each issuer. */
  issuers: string[];
  logJson: object;
}

export interface ArchiveOptions {
  /** Default 2: one level-2 tile per zip, as the real archives; tests use 0 or 1 to get several zips from a small log. */
  subtreeLevel?: number;
  /** Default true. */
  withIssuers?: boolean;
  /** Write ZIP64 records and extra fields even where the zip does not need them (the real, large zips do). */
  forceZip64?: boolean;
}

/** Fixed member times, so the same log always gives the same bytes. */
const MTIME = new Date('2025-01-01T00:00:00Z');

const README = `This is an archive of a Certificate Transparency log (test log of ctjp), in the layout of
geomys/ct-archive: static-ct-api tiles, the checkpoint, the log's metadata (log.v3.json)
and its issuers. Zip N holds the tiles of one subtree of entries; every zip holds the
metadata, the upper levels of the tree and the partial tiles at its right edge.
`;

/** The zips `000.zip`, `001.zip`, … of `log`, in order. */
export async function buildArchiveZips(log: ArchiveLog, o: ArchiveOptions = {}): Promise<Buffer[]> {
  const k = o.subtreeLevel ?? 2;
  const size = log.treeSize;
  if (!Number.isInteger(k) || k < 0 || k > MAX_TILE_LEVEL) throw new RangeError(`subtree level ${k} outside 0..${MAX_TILE_LEVEL}`);
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`tree size ${size}: an archive needs at least one entry`);
  const perZip = TILE_WIDTH ** (k + 1);
  const zips = Math.ceil(size / perZip);

  const get = (path: string): Buffer => {
    const a = log.answer(path);
    if (a === null || a.status !== 200) throw new Error(`archive of a log of ${size} entries: ${path} answered ${a === null ? 'nothing' : `HTTP ${a.status}`}`);
    const encoding = (Object.entries(a.headers).find(([h]) => h.toLowerCase() === 'content-encoding')?.[1] ?? '').toLowerCase();
    return encoding === 'gzip' ? gunzipSync(a.body) : a.body;
  };

  // Members every zip holds: metadata, then tiles above the subtrees and the partial right-edge tiles.
  const common: [string, Buffer][] = [
    ['README.txt', Buffer.from(README, 'utf8')],
    ['checkpoint', get('checkpoint')],
    ['log.v3.json', Buffer.from(`${JSON.stringify(log.logJson, null, 2)}\n`, 'utf8')],
  ];
  if (o.withIssuers ?? true) for (const hex of log.issuers) common.push([`issuer/${hex}`, get(`issuer/${hex}`)]);
  for (let level = 0; level <= MAX_TILE_LEVEL && TILE_WIDTH ** level <= size; level++) {
    const full = Math.floor(size / TILE_WIDTH ** (level + 1));
    if (level > k) for (let i = 0; i < full; i++) common.push([tilePath(level, i), get(tilePath(level, i))]);
    const edge = tileWidthAt(level, full, size);
    if (edge > 0) common.push([tilePath(level, full, edge), get(tilePath(level, full, edge))]);
  }

  const out: Buffer[] = [];
  for (let n = 0; n < zips; n++) {
    const zip = new yazl.ZipFile();
    const add = (name: string, body: Buffer, compress: boolean): void => zip.addBuffer(body, name, { compress, mtime: MTIME, forceZip64Format: o.forceZip64 ?? false });
    for (const [name, body] of common) add(name, body, false);
    // The subtree's full hash tiles, level by level, then its data tiles.
    for (let level = 0; level <= k; level++) {
      const span = TILE_WIDTH ** (k - level);
      const full = Math.floor(size / TILE_WIDTH ** (level + 1));
      for (let i = n * span; i < Math.min((n + 1) * span, full); i++) add(tilePath(level, i), get(tilePath(level, i)), false);
    }
    const span = TILE_WIDTH ** k;
    const full = Math.floor(size / TILE_WIDTH);
    const edge = tileWidthAt(0, full, size);
    for (let i = n * span; i < (n + 1) * span && (i < full || (i === full && edge > 0)); i++) {
      const path = tilePath('data', i, i < full ? TILE_WIDTH : edge);
      add(path, get(path), true);
    }
    zip.end({ forceZip64Format: o.forceZip64 ?? false, comment: '' });
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
    out.push(Buffer.concat(chunks));
  }
  return out;
}
