/**
 * The static-ct-api read path of a log source (c2sp.org/static-ct-api v1.1.0):
 * the checkpoint, 256-entry data tiles and hash tiles, every entry proven
 * before it leaves here.
 *
 * How a tile is proven against the checkpoint of size N:
 * - each entry's leaf_index extension must equal its position;
 * - a full data tile k: its 256 leaf hashes hash to one node (height 8, index k),
 *   which must equal slot k % 256 of level-1 hash tile k / 256. That is the same
 *   check as comparing them with level-0 tile k and hashing it up, without
 *   fetching level-0 tiles at all;
 * - a partial data tile (the head of the tree): its leaf hashes must equal the
 *   right-edge level-0 tile;
 * - a full hash tile at level L is proven by its own root, which must equal its
 *   slot in the level L+1 tile above it; up the levels this ends in the tiles at
 *   the right edge of the tree, which are proven together by hashing them to the
 *   checkpoint's root (rootFromEdgeTiles).
 * Full tiles never change, so a proven one is kept; the right edge is proven
 * again for each new checkpoint.
 */
import { createHash } from 'node:crypto';
import { CHECKPOINT_MAX_BYTES, verifyCheckpoint, type Checkpoint } from './checkpoint.js';
import { BadResponse } from './http.js';
import { RangeProofError, type LogEntries, type LogSource, type LogSourceOptions, type TreeHeadRef } from './log-source.js';
import type { RangeVerification } from './range-verifier.js';
import { DATA_TILE_MAX_BYTES, LogSourceBase } from './source-base.js';
import { logKeyFromSpki, type SignedTreeHead } from './sth.js';
import {
  decodeDataTile,
  decodeHashTile,
  perfectRoot,
  rootFromEdgeTiles,
  tileLeavesAndHashes,
  tileWidthAt,
  TILE_WIDTH,
} from './tiles.js';

export const HASH_TILE_BYTES = TILE_WIDTH * 32;
export const ISSUER_MAX_BYTES = 64 * 1024;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export class StaticCtSource extends LogSourceBase implements LogSource {
  readonly api = 'static-ct-api' as const;
  private verdict: RangeVerification | null = null;
  private range = { start: 0, end: -1 };
  /** Proven full hash tiles, by `level/index`. */
  private readonly provenTiles = new Map<string, Promise<Uint8Array[]>>();
  /** The right edge proven for one tree size. */
  private edge: { treeSize: number; tiles: Promise<Map<number, Uint8Array[]>> } | null = null;
  private readonly issuers = new Map<string, Promise<Buffer>>();
  protected readonly key;

  constructor(o: LogSourceOptions) {
    super(o);
    if (o.key === null) throw new Error(`${o.url}: a tiled log needs its key (its checkpoint is the only tree head)`);
    this.key = logKeyFromSpki(o.key);
    this.stats.pageSize = TILE_WIDTH;
  }

  get verification(): RangeVerification {
    if (this.verdict !== null) return this.verdict;
    const { start, end } = this.range;
    return { state: 'unverified', start, end, reason: 'the scan did not reach the end' };
  }

  protected async fetchTreeHead(): Promise<Checkpoint> {
    return this.readCheckpoint((body) => {
      try {
        return verifyCheckpoint(body, this.o.key!, this.o.origin ?? null, this.key);
      } catch (err) {
        throw new BadResponse((err as Error).message);
      }
    });
  }

  // Where the bytes come from: the log's monitoring prefix over HTTP here; zip archives in ArchiveSource.
  // `parse` runs on each answer, so that a garbled one is asked again.

  /** The checkpoint, parsed and verified. */
  protected readCheckpoint<T>(parse: (body: Buffer) => T): Promise<T> {
    return this.http.withRetries('checkpoint', async (route) => parse(await this.http.get('checkpoint', route, { accept: 'text/plain', maxBytes: CHECKPOINT_MAX_BYTES })));
  }

  /** Tile `level/index` of `width` (a gone partial tile is read from the full one: `parse` gets the width read). */
  protected readTileBytes<T>(what: string, level: number | 'data', index: number, width: number, maxBytes: number, parse: (bytes: Buffer, width: number) => T): Promise<T> {
    return this.http.withRetries(what, async (route) => {
      const got = await this.tile(route, level, index, width, maxBytes);
      return parse(got.bytes, got.width);
    });
  }

  /** An issuer certificate by its lowercase hex SHA-256 (checked by the caller). */
  protected readIssuer<T>(name: string, parse: (der: Buffer) => T): Promise<T> {
    return this.http.withRetries(`issuer ${name}`, async (route) => parse(await this.http.get(`issuer/${name}`, route, { accept: 'application/pkix-cert', maxBytes: ISSUER_MAX_BYTES })));
  }

  /** Archives converted from RFC 6962 logs lack the leaf_index extension; a live tiled log's leaves must carry it. */
  protected get leafIndexRequired(): boolean {
    return true;
  }

  async *entries(start: number, end: number): AsyncGenerator<LogEntries> {
    this.checkRange(start, end);
    const signal = this.http.signal;
    this.range = { start, end };
    this.verdict = null;
    const maxInFlight = Math.max(1, this.o.maxInFlight ?? 4);
    const lastTile = Math.floor(end / TILE_WIDTH);
    let nextTile = Math.floor(start / TILE_WIDTH);
    let provenThrough = start - 1;
    const inFlight: { tile: number; entries: Promise<LogEntries> }[] = [];
    let treeSize = 0;
    try {
      treeSize = (await this.refreshTreeHead()).treeSize;
      while (provenThrough < end) {
        if (signal?.aborted) return;
        // Start reads of the tiles whose wanted entries are all inside the tree.
        while (inFlight.length < maxInFlight && nextTile <= lastTile) {
          const from = Math.max(start, nextTile * TILE_WIDTH);
          const to = Math.min(end, nextTile * TILE_WIDTH + TILE_WIDTH - 1);
          if (to >= treeSize) break;
          const entries = this.readTile(nextTile, from, to, treeSize);
          entries.catch(() => {});
          inFlight.push({ tile: nextTile, entries });
          nextTile++;
        }
        const head = inFlight.shift();
        if (head === undefined) {
          await this.waitForGrowth(end);
          treeSize = this.sth!.treeSize;
          continue;
        }
        let chunk: LogEntries;
        try {
          chunk = await head.entries;
        } catch (err) {
          if (err instanceof RangeProofError) {
            this.verdict = { state: 'failed', start, end, reason: err.message };
            this.emit({ type: 'range-verification', verification: this.verdict });
          }
          throw err;
        }
        provenThrough = chunk.start + chunk.leaves.length - 1;
        yield chunk;
      }
      this.verdict = { state: 'verified', start, end, treeSize, signed: true };
      this.emit({ type: 'range-verification', verification: this.verdict });
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    } finally {
      await Promise.allSettled(inFlight.map((f) => f.entries));
    }
  }

  /** Data tile `tile` as of tree `treeSize`, proven; the entries [from, to] of it. */
  private async readTile(tile: number, from: number, to: number, treeSize: number): Promise<LogEntries> {
    const first = tile * TILE_WIDTH;
    const width = tileWidthAt(0, tile, treeSize);
    const entries = await this.readTileBytes(`data tile ${tile}`, 'data', tile, width, DATA_TILE_MAX_BYTES, (bytes, got) => decodeDataTile(bytes, got, first).slice(0, width));
    entries.forEach((e, i) => {
      if (e.leafIndex === null && !this.leafIndexRequired) return;
      if (e.leafIndex !== first + i) {
        throw new RangeProofError(`entry ${first + i} of data tile ${tile} ${e.leafIndex === null ? 'has no leaf_index extension' : `says it is entry ${e.leafIndex}`}`, first + i);
      }
    });
    const { leaves, hashes } = tileLeavesAndHashes(entries.map((e) => e.timestampedEntry));
    await this.proveLeafHashes(tile, hashes, treeSize);
    const wanted = leaves.slice(from - first, to - first + 1);
    this.stats.entries += wanted.length;
    return { start: from, leaves: wanted, proven: true };
  }

  /** The leaf hashes of data tile `tile` are those the checkpoint of `treeSize` commits to. */
  private async proveLeafHashes(tile: number, hashes: Uint8Array[], treeSize: number): Promise<void> {
    const first = tile * TILE_WIDTH;
    if (hashes.length === TILE_WIDTH) {
      const [expected] = await this.nodes(1, tile, 1, treeSize);
      if (!Buffer.from(perfectRoot(hashes)).equals(expected)) {
        throw new RangeProofError(`data tile ${tile} (entries ${first}-${first + TILE_WIDTH - 1}) does not hash to its node in the hash tiles of tree ${treeSize}`, first);
      }
      return;
    }
    const edge = (await this.edgeTiles(treeSize)).get(0) ?? [];
    for (let i = 0; i < hashes.length; i++) {
      if (!Buffer.from(hashes[i]).equals(edge[i])) throw new RangeProofError(`entry ${first + i} of data tile ${tile} does not match the level-0 hash tile of tree ${treeSize}`, first + i);
    }
  }

  /** `count` proven hashes at tile level `level` (tree height 8·level) from node `index` on, within one tile. */
  private async nodes(level: number, index: number, count: number, treeSize: number): Promise<Uint8Array[]> {
    const tile = Math.floor(index / TILE_WIDTH);
    const width = tileWidthAt(level, tile, treeSize);
    const slot = index % TILE_WIDTH;
    if (slot + count > width) throw new Error(`nodes ${index}+${count} at level ${level} are not in tree ${treeSize}`);
    const hashes = width < TILE_WIDTH ? (await this.edgeTiles(treeSize)).get(level)! : await this.provenFullTile(level, tile, treeSize);
    return hashes.slice(slot, slot + count);
  }

  /** A full hash tile, proven by its root's slot in the tile above it. */
  private provenFullTile(level: number, tile: number, treeSize: number): Promise<Uint8Array[]> {
    const key = `${level}/${tile}`;
    let p = this.provenTiles.get(key);
    if (p === undefined) {
      p = (async () => {
        const hashes = await this.readTileBytes(`hash tile ${level}/${tile}`, level, tile, TILE_WIDTH, HASH_TILE_BYTES, (bytes) => decodeHashTile(bytes, TILE_WIDTH, `hash tile ${level}/${tile}`));
        const [expected] = await this.nodes(level + 1, tile, 1, treeSize);
        if (!Buffer.from(perfectRoot(hashes)).equals(expected)) {
          throw new RangeProofError(`hash tile ${level}/${tile} does not hash to its node in the tile above it (tree ${treeSize})`, tile * TILE_WIDTH ** (level + 1));
        }
        return hashes;
      })();
      this.provenTiles.set(key, p);
      // A failed proof or read is not kept: the next scan asks again.
      p.catch(() => this.provenTiles.delete(key));
    }
    return p;
  }

  /** The right-edge hash tiles of `treeSize`, proven together by hashing them to the checkpoint's root. */
  private edgeTiles(treeSize: number): Promise<Map<number, Uint8Array[]>> {
    if (this.edge?.treeSize === treeSize) return this.edge.tiles;
    const root = this.sth!.treeSize === treeSize ? this.sth!.rootHash : null;
    if (root === null) throw new Error(`no checkpoint of size ${treeSize} is held`);
    const tiles = (async () => {
      const byLevel = new Map<number, Uint8Array[]>();
      for (let level = 0; TILE_WIDTH ** level <= treeSize; level++) {
        const tile = Math.floor(treeSize / TILE_WIDTH ** (level + 1));
        const width = tileWidthAt(level, tile, treeSize);
        if (width === 0 || width === TILE_WIDTH) continue;
        const hashes = await this.readTileBytes(`hash tile ${level}/${tile}.p/${width}`, level, tile, width, HASH_TILE_BYTES, (bytes, got) => decodeHashTile(bytes, got, `hash tile ${level}/${tile}`).slice(0, width));
        byLevel.set(level, hashes);
      }
      const computed = rootFromEdgeTiles(treeSize, (level) => byLevel.get(level) ?? []);
      if (!Buffer.from(computed).equals(root)) throw new RangeProofError(`the hash tiles at the right edge of tree ${treeSize} do not hash to the checkpoint's root`, treeSize - 1);
      return byLevel;
    })();
    this.edge = { treeSize, tiles };
    tiles.catch(() => {
      if (this.edge?.tiles === tiles) this.edge = null;
    });
    return tiles;
  }

  async timestampAt(index: number): Promise<number> {
    const treeSize = this.sth?.treeSize ?? (await this.refreshTreeHead()).treeSize;
    if (index >= treeSize) throw new RangeError(`entry ${index} is not in tree ${treeSize}`);
    const tile = Math.floor(index / TILE_WIDTH);
    const width = tileWidthAt(0, tile, treeSize);
    const entries = await this.readTileBytes(`data tile ${tile}`, 'data', tile, width, DATA_TILE_MAX_BYTES, (bytes, got) => decodeDataTile(bytes, got, tile * TILE_WIDTH));
    return entries[index % TILE_WIDTH].timestamp;
  }

  /**
   * The held tree extends `seen` when the root of its first `seen.treeSize` entries, hashed from
   * proven nodes of the held tree's tiles (the right edge of `seen` at each level), is `seen`'s root.
   */
  protected async extendsTreeHead(seen: TreeHeadRef, held: SignedTreeHead): Promise<boolean> {
    const byLevel = new Map<number, Uint8Array[]>();
    for (let level = 0; TILE_WIDTH ** level <= seen.treeSize; level++) {
      const digit = Math.floor(seen.treeSize / TILE_WIDTH ** level) % TILE_WIDTH;
      if (digit === 0) continue;
      const tile = Math.floor(seen.treeSize / TILE_WIDTH ** (level + 1));
      byLevel.set(level, await this.nodes(level, tile * TILE_WIDTH, digit, held.treeSize));
    }
    const root = rootFromEdgeTiles(seen.treeSize, (level) => byLevel.get(level) ?? []);
    return Buffer.from(root).equals(seen.rootHash);
  }

  /** An issuer certificate by its SHA-256 fingerprint, checked and cached. */
  issuer(fingerprint: Uint8Array): Promise<Buffer> {
    const name = hex(fingerprint);
    let p = this.issuers.get(name);
    if (p === undefined) {
      p = this.readIssuer(name, (der) => {
        if (createHash('sha256').update(der).digest('hex') !== name) throw new BadResponse(`issuer ${name} does not hash to its name`);
        return der;
      });
      this.issuers.set(name, p);
      p.catch(() => this.issuers.delete(name));
    }
    return p;
  }
}
