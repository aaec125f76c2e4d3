/**
 * The static-ct-api read path (c2sp.org/static-ct-api v1.1.0) of a test log:
 * `checkpoint`, hash tiles `tile/<L>/<N>[.p/<W>]`, gzip data tiles
 * `tile/data/<N>[.p/<W>]` and `issuer/<sha256 hex>`, answered from a small
 * TileSource (tree size, Merkle tree, TileLeaf bytes per entry, key, origin,
 * issuers), with the tile faults switched on for the log.
 *
 * The test logs serve every log this way next to its RFC 6962 API, over the
 * same leaves and tree. serveLeavesAsTiles() serves a plain list of
 * MerkleTreeLeaf inputs as a tiled log on its own (for benchmarks).
 *
 * Rules, as a real tiled log keeps them:
 * - a full tile exists once the tree covers it; beyond the tree it is 404;
 * - a partial tile `.p/W` exists only at the right edge of the current tree,
 *   for W up to the edge's width, and is 404 once the full tile exists;
 * - data tiles are sent with `Content-Encoding: gzip` whatever the client's
 *   Accept-Encoding; hash tiles, issuers and the checkpoint are not compressed;
 * - the checkpoint carries a `grease.invalid` signature line before the
 *   RFC6962NoteSignature and an Ed25519 note signature under the same key name
 *   after it: verifiers must pick the log's line by key name and key ID.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, randomInt, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { formatCheckpoint, originOf } from '../../src/share/ct/checkpoint.js';
import { decodeMerkleTreeLeaf, type ExtraData } from '../../src/share/ct/leaf.js';
import { leafHash, MerkleTree } from '../../src/share/ct/merkle.js';
import { signTreeHead, type SignedTreeHead } from '../../src/share/ct/sth.js';
import {
  decodeDataTile,
  encodeTileLeaf,
  leafIndexExtensionBytes,
  MAX_TILE_LEVEL,
  merkleTreeLeafOf,
  parseTilePath,
  tileWidthAt,
  TILE_WIDTH,
} from '../../src/share/ct/tiles.js';
import { validateTileFaults, type TileFaults } from './faults.js';

export type { TileFaults } from './faults.js';

/** What the tiled read path needs from a log. */
export interface TileSource {
  /** Current tree size: the checkpoint and the tiles cover this many entries. */
  readonly size: number;
  /** The log's Merkle tree over at least `size` leaves (hash tiles are its perfect subtrees). */
  readonly tree: MerkleTree;
  /** Entry `index`'s TileLeaf: TimestampedEntry, precertificate (precert entries), chain fingerprints. */
  tileLeaf(index: number): Buffer;
  /** The DER certificate whose SHA-256 is this lowercase hex, or undefined. */
  issuer(fingerprintHex: string): Uint8Array | undefined;
  /** Checkpoint origin: the submission prefix without scheme and trailing slash. */
  readonly origin: string;
  /** The log's private key (ECDSA P-256 or RSA) and its DER SubjectPublicKeyInfo. */
  readonly key: KeyObject;
  readonly spki: Uint8Array;
  /** The signed tree head to publish at the current size (the test logs share theirs with get-sth); default: signed here. */
  treeHead?(): SignedTreeHead;
}

/** One answer of the tiled read path. */
export interface TileAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** Is `path` (relative to the log prefix) one of the static-ct-api read paths? */
export function isTiledPath(path: string): boolean {
  return path === 'checkpoint' || path.startsWith('tile/') || path.startsWith('issuer/');
}

const BOMB_BYTES = 64 * 1024 * 1024;
let bomb: Buffer | null = null;

/** A gzip stream of 64 MiB of zeros (about 64 KiB), made once. */
export function gzipBomb(): Buffer {
  bomb ??= gzipSync(Buffer.alloc(BOMB_BYTES), { level: 9 });
  return bomb;
}

const notFound = (what: string): TileAnswer => ({ status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from(`${what} not found\n`) });

/** Default bytes of gzip-compressed data tiles kept per log (about 270 full tiles of the test corpus). */
const CACHE_BYTES = 16 * 1024 * 1024;

/**
 * Answers the static-ct-api paths of one log from its TileSource. `faults`
 * is read on every request, so a log's faults can change while it serves.
 * Compressed data tiles are kept (least recently used first out, up to
 * `cacheBytes`, keyed by `N/W`): an entry never changes once it exists.
 */
export class TiledLogHandler {
  private readonly cache = new Map<string, Buffer>();
  private cached = 0;
  private readonly cacheLimit: number;
  private readonly noteKey = generateKeyPairSync('ed25519');
  private ownHead: SignedTreeHead | null = null;

  constructor(
    readonly source: TileSource,
    private readonly faults: () => TileFaults = () => ({}),
    options: { cacheBytes?: number } = {},
  ) {
    this.cacheLimit = options.cacheBytes ?? CACHE_BYTES;
  }

  /** The answer for `path` (relative to the log prefix, e.g. `tile/data/x001/234.p/7`); null when it is not a tiled path. */
  answer(path: string): TileAnswer | null {
    if (!isTiledPath(path)) return null;
    const faults = this.faults();
    if (path === 'checkpoint') return this.checkpoint(faults);
    const issuer = /^issuer\/([0-9a-f]{64})$/.exec(path);
    if (issuer) {
      const der = this.source.issuer(issuer[1]);
      if (der === undefined) return notFound(`issuer ${issuer[1]}`);
      return { status: 200, headers: { 'content-type': 'application/pkix-cert', 'cache-control': 'public, max-age=31536000, immutable' }, body: Buffer.from(der) };
    }
    const tile = parseTilePath(path);
    if (tile === null || (tile.level !== 'data' && tile.level > MAX_TILE_LEVEL)) return notFound(path);
    const { level, index, width } = tile;
    const size = this.source.size;
    const exists = tileWidthAt(level === 'data' ? 0 : level, index, size);
    if (width === TILE_WIDTH) {
      if (exists < TILE_WIDTH) return notFound(`${path} (tree size ${size})`);
    } else if (faults.partialTilesGone || exists === TILE_WIDTH || width > exists) {
      return notFound(`${path} (tree size ${size})`);
    }
    const caching = width === TILE_WIDTH ? 'public, max-age=31536000, immutable' : 'public, max-age=60';
    if (level !== 'data') {
      const height = 8 * level;
      const first = index * TILE_WIDTH;
      const body = Buffer.allocUnsafe(32 * width);
      for (let k = 0; k < width; k++) this.source.tree.subtreeHash(height, first + k).copy(body, 32 * k);
      return { status: 200, headers: { 'content-type': 'application/octet-stream', 'cache-control': caching }, body };
    }
    const gz = { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip', 'cache-control': caching };
    if (faults.gzipBombTile === index) return { status: 200, headers: gz, body: gzipBomb() };
    const faulty = faults.mismatchedDataTile === index || faults.wrongLeafIndexTile === index;
    if (faulty) return { status: 200, headers: gz, body: gzipSync(this.dataTile(index, width, faults)) };
    return { status: 200, headers: gz, body: this.cachedDataTile(index, width) };
  }

  /** The uncompressed bytes of data tile `index` of `width` entries, with the tile faults that target it. */
  dataTile(index: number, width: number, faults: TileFaults = {}): Buffer {
    const first = index * TILE_WIDTH;
    const parts: Buffer[] = [];
    for (let k = 0; k < width; k++) parts.push(this.source.tileLeaf(first + k));
    const slot = Math.floor(width / 2);
    if (faults.mismatchedDataTile === index) parts[slot] = this.replacedEntry(first + slot);
    if (faults.wrongLeafIndexTile === index) parts[slot] = reencode(parts[slot], () => leafIndexExtensionBytes(first + slot + 1));
    return Buffer.concat(parts);
  }

  private cachedDataTile(index: number, width: number): Buffer {
    const key = `${index}/${width}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const body = gzipSync(this.dataTile(index, width));
    this.cache.set(key, body);
    this.cached += body.length;
    for (const [k, v] of this.cache) {
      if (this.cached <= this.cacheLimit) break;
      this.cache.delete(k);
      this.cached -= v.length;
    }
    return body;
  }

  /** Another well-formed entry of the log in place of entry `at`, with entry `at`'s extensions (so its leaf_index). */
  private replacedEntry(at: number): Buffer {
    const own = this.source.tileLeaf(at);
    const ownLeaf = decodeMerkleTreeLeaf(merkleTreeLeafOf(decodeDataTile(own, 1, at)[0].timestampedEntry));
    const size = this.source.size;
    for (let d = 1; d < size; d++) {
      for (const j of [at + d, at - d]) {
        if (j < 0 || j >= size) continue;
        const other = reencode(this.source.tileLeaf(j), () => ownLeaf.extensions);
        if (!other.equals(own)) return other;
      }
    }
    throw new Error(`no other entry to put in place of entry ${at}`);
  }

  /**
   * The tree head the checkpoint publishes: the source's, or one signed here for the current
   * size (kept until the size changes), so an RFC 6962 get-sth served next to the tiles can
   * share it.
   */
  treeHead(): SignedTreeHead {
    if (this.source.treeHead) return this.source.treeHead();
    const size = this.source.size;
    if (this.ownHead === null || this.ownHead.treeSize !== size) {
      const timestamp = Math.max(Date.now(), (this.ownHead?.timestamp ?? 0) + 1);
      this.ownHead = signTreeHead(this.source.key, timestamp, size, this.source.tree.root(size));
    }
    return this.ownHead;
  }

  private checkpoint(faults: TileFaults): TileAnswer {
    let sth = this.treeHead();
    const origin = this.source.origin;
    if (faults.badCheckpointSignature) {
      // The log key signs another root; the note states the true one.
      const other = Buffer.from(sth.rootHash);
      other[0] ^= 0xff;
      sth = { ...sth, signature: signTreeHead(this.source.key, sth.timestamp, sth.treeSize, other).signature };
    }
    const text = `${origin}\n${sth.treeSize}\n${sth.rootHash.toString('base64')}\n`;
    const grease = `\u2014 grease.invalid ${randomBytes(4 + randomInt(8, 72)).toString('base64')}`;
    const body = formatCheckpoint(origin, sth, this.source.spki, { before: [grease], after: [this.ed25519Line(origin, text)] });
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: Buffer.from(body, 'utf8') };
  }

  /** A signed-note Ed25519 signature of the note text under the origin's name (another key ID than the log's RFC 6962 key). */
  private ed25519Line(origin: string, text: string): string {
    const pub = this.noteKey.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
    const keyId = createHash('sha256').update(`${origin}\n`).update(Uint8Array.of(0x01)).update(pub).digest().subarray(0, 4);
    const sig = sign(null, Buffer.from(text, 'utf8'), this.noteKey.privateKey);
    return `\u2014 ${origin} ${Buffer.concat([keyId, sig]).toString('base64')}`;
  }
}

/** A TileLeaf with its TimestampedEntry's extensions replaced. */
function reencode(tileLeaf: Buffer, extensions: () => Uint8Array): Buffer {
  const e = decodeDataTile(tileLeaf, 1)[0];
  const te = decodeMerkleTreeLeaf(merkleTreeLeafOf(e.timestampedEntry));
  return encodeTileLeaf({ ...te, extensions: extensions(), preCertificate: e.preCertificate, chain: e.chain });
}

/** Write an answer of the tiled read path on a node:http response. */
export function sendTileAnswer(res: ServerResponse, a: TileAnswer): void {
  res.writeHead(a.status, { ...a.headers, 'content-length': a.body.length });
  res.end(a.body);
}

const u16 = (n: number): Buffer => Buffer.of(n >> 8, n & 0xff);
const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

export interface LeafListOptions {
  /** MerkleTreeLeaf inputs (leaf_input of get-entries), in log order. */
  leaves: readonly Uint8Array[];
  /**
   * Per entry: the precertificate and the chain (decodeExtraData's shape). Without it an
   * entry's chain is empty and a precert entry's pre_certificate is its TBSCertificate (a
   * stand-in: well-formed, but not a precertificate).
   */
  extraData?: readonly (ExtraData | null | undefined)[];
  /**
   * Put the leaf_index extension (the entry's own index) into every entry, as a
   * static-ct-api log does; this changes the leaf hashes. Default true. False serves the
   * leaves as given (as from a log converted from RFC 6962).
   */
  leafIndex?: boolean;
  /** Log key (default: a fresh ECDSA P-256 key). */
  key?: KeyObject;
  /** Checkpoint origin (serveLeavesAsTiles sets it from the URL it listens on). */
  origin?: string;
}

/**
 * A MerkleTreeLeaf as a data tile holds it, with its chain's fingerprints. Without extra data the
 * chain is empty and a precert entry's pre_certificate is its TBSCertificate (a stand-in:
 * well-formed, but not a precertificate).
 */
export function tileLeafOf(leafInput: Uint8Array, extra: ExtraData | null | undefined): Buffer {
  const l = decodeMerkleTreeLeaf(leafInput);
  const chain = (extra?.chain ?? []).map(sha256);
  const preCertificate = l.entryType === 'precert_entry' ? (extra?.precertificate ?? l.signedEntry) : null;
  return encodeTileLeaf({ ...l, preCertificate, chain });
}

/** A MerkleTreeLeaf with the leaf_index extension of `index` in place of its own extensions, as a static-ct-api log logs it. */
export function withLeafIndex(leaf: Uint8Array, index: number): Buffer {
  const ext = leafIndexExtensionBytes(index);
  const body = leaf.subarray(0, leaf.length - 2 - decodeMerkleTreeLeaf(leaf).extensions.length);
  return Buffer.concat([body, u16(ext.length), ext]);
}

/** A plain list of MerkleTreeLeaf inputs as a TileSource. */
export class LeafListTileSource implements TileSource {
  readonly tree = new MerkleTree();
  readonly key: KeyObject;
  readonly spki: Buffer;
  origin: string;
  /** Set to publish another tree head than the handler's own (e.g. a checkpoint that lags the tiles, as from a cache). */
  treeHead?: () => SignedTreeHead;
  private published: number;
  private readonly leaves: readonly Uint8Array[];
  private readonly extra: readonly (ExtraData | null | undefined)[];
  private readonly withIndex: boolean;
  private readonly issuers = new Map<string, Buffer>();

  constructor(o: LeafListOptions) {
    this.leaves = o.leaves;
    this.extra = o.extraData ?? [];
    this.withIndex = o.leafIndex ?? true;
    this.key = o.key ?? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
    this.spki = createPublicKey(this.key).export({ format: 'der', type: 'spki' });
    this.origin = o.origin ?? 'ctjp.test/tiles';
    for (const [i, leaf] of this.leaves.entries()) this.tree.appendLeafHash(leafHash(this.leafInput(i, leaf)));
    for (const x of this.extra) for (const c of x?.chain ?? []) this.issuers.set(sha256(c).toString('hex'), Buffer.from(c));
    this.published = this.leaves.length;
  }

  get size(): number {
    return this.published;
  }

  /** Publish a smaller (or again the full) tree: 0..leaves.length. */
  setSize(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.leaves.length) throw new RangeError(`tree size ${n} outside 0..${this.leaves.length}`);
    this.published = n;
  }

  /** Entry i's MerkleTreeLeaf as served (with its leaf_index extension unless leafIndex is false). */
  leafInput(i: number, leaf: Uint8Array = this.leaves[i]): Buffer {
    return this.withIndex ? withLeafIndex(leaf, i) : Buffer.from(leaf);
  }

  tileLeaf(i: number): Buffer {
    return tileLeafOf(this.leafInput(i), this.extra[i]);
  }

  issuer(hex: string): Buffer | undefined {
    return this.issuers.get(hex);
  }
}

export interface ServeLeavesAsTilesOptions extends LeafListOptions {
  host?: string;
  /** 0 (default): an ephemeral port. */
  port?: number;
  /** Path the log lives under, ending in '/' (default '/'). */
  prefix?: string;
  faults?: TileFaults;
}

export interface LeavesAsTiles {
  /** The monitoring (and submission) prefix, ending in '/'. */
  url: string;
  /** The checkpoint origin: url without scheme and trailing slash. */
  origin: string;
  /** DER SubjectPublicKeyInfo of the log key. */
  publicKey: Buffer;
  readonly source: LeafListTileSource;
  /** Current published tree size. */
  readonly treeSize: number;
  /** Publish a smaller (or again the full) tree; the checkpoint and tiles follow it. */
  setTreeSize(n: number): void;
  /** Entry i's MerkleTreeLeaf as served (with its leaf_index extension unless leafIndex was false). */
  leafInput(i: number): Buffer;
  rootHash(treeSize?: number): Buffer;
  setFaults(f: TileFaults): void;
  /** Requests answered and body bytes sent (compressed), by kind. */
  readonly stats: { requests: number; bytes: number; checkpoints: number; hashTiles: number; dataTiles: number; issuers: number; notFound: number };
  close(): Promise<void>;
}

/**
 * Serve MerkleTreeLeaf inputs (with optional extra data) as a static-ct-api log over
 * node:http, for benchmarks and tests that need a tiled log without a generated corpus.
 */
export async function serveLeavesAsTiles(o: ServeLeavesAsTilesOptions): Promise<LeavesAsTiles> {
  const source = new LeafListTileSource(o);
  let faults: TileFaults = {};
  const setFaults = (f: TileFaults): void => {
    validateTileFaults(f, 'tile faults');
    faults = { ...f };
  };
  setFaults(o.faults ?? {});
  const handler = new TiledLogHandler(source, () => faults);
  const prefix = o.prefix ?? '/';
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new RangeError(`prefix must start and end with '/', got ${JSON.stringify(prefix)}`);
  const stats = { requests: 0, bytes: 0, checkpoints: 0, hashTiles: 0, dataTiles: 0, issuers: 0, notFound: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://log').pathname;
    const a = req.method === 'GET' && path.startsWith(prefix) ? handler.answer(path.slice(prefix.length)) : null;
    stats.requests++;
    if (a === null || a.status !== 200) stats.notFound++;
    if (a === null) {
      sendTileAnswer(res, notFound(path));
      return;
    }
    if (a.status === 200) {
      const rest = path.slice(prefix.length);
      if (rest === 'checkpoint') stats.checkpoints++;
      else if (rest.startsWith('issuer/')) stats.issuers++;
      else if (rest.startsWith('tile/data/')) stats.dataTiles++;
      else stats.hashTiles++;
    }
    stats.bytes += a.body.length;
    sendTileAnswer(res, a);
  });
  server.keepAliveTimeout = 60_000;
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${prefix}`;
  source.origin = o.origin ?? originOf(url);
  return {
    url,
    origin: source.origin,
    publicKey: source.spki,
    source,
    get treeSize() {
      return source.size;
    },
    setTreeSize: (n) => source.setSize(n),
    leafInput: (i) => source.leafInput(i),
    rootHash: (n = source.size) => source.tree.root(n),
    setFaults,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
