/**
 * static-ct-api (c2sp.org/static-ct-api v1.1.0) tiles: paths, the TileLeaf
 * codec, and the hashing that ties tiles to a checkpoint's root.
 *
 * A tile at level L holds up to 256 hashes of tree height 8·L; level 0 holds
 * leaf hashes. A data tile holds the 256 entries whose leaf hashes make level-0
 * tile N. Full tiles never change; a partial tile (`.p/W`) exists only at the
 * right edge of a tree size.
 */
import { createHash, hash as oneShotHash } from 'node:crypto';
import { TlsReader, concatBytes, u16, u24, u64 } from './bytes.js';
import { CtDecodeError } from './errors.js';
import { hashChildren } from './merkle.js';
import type { EntryType } from './leaf.js';

export const TILE_WIDTH = 256;
export const HASH_SIZE = 32;
/** static-ct-api has levels 0–5 only (tlog-tiles allows up to 63). */
export const MAX_TILE_LEVEL = 5;
const LEAF_INDEX_EXTENSION = 0;

/** `N` of a tile path: zero-padded 3-digit segments, all but the last prefixed with `x` (1234067 → x001/x234/067). */
export function tileIndexPath(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`tile index ${n} is not a non-negative integer`);
  let s = String(n % 1000).padStart(3, '0');
  for (n = Math.floor(n / 1000); n > 0; n = Math.floor(n / 1000)) s = `x${String(n % 1000).padStart(3, '0')}/${s}`;
  return s;
}

/** `tile/<L>/<N>[.p/<W>]` (level a number) or `tile/data/<N>[.p/<W>]`; width 256 is the full tile. */
export function tilePath(level: number | 'data', index: number, width = TILE_WIDTH): string {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) throw new RangeError(`tile width ${width} outside 1..256`);
  return `tile/${level}/${tileIndexPath(index)}${width < TILE_WIDTH ? `.p/${width}` : ''}`;
}

/** Parse a tile path back (for servers): null when it is not one. */
export function parseTilePath(path: string): { level: number | 'data'; index: number; width: number } | null {
  const m = /^tile\/(data|[0-9]+)\/((?:x[0-9]{3}\/)*[0-9]{3})(?:\.p\/([0-9]{1,3}))?$/.exec(path);
  if (!m) return null;
  const level = m[1] === 'data' ? 'data' : Number(m[1]);
  if (level !== 'data' && level > 63) return null;
  const segments = m[2].split('/').map((s) => s.replace(/^x/, ''));
  if (segments.length > 1 && segments[0] === '000') return null;
  const index = segments.reduce((n, s) => n * 1000 + Number(s), 0);
  const width = m[3] === undefined ? TILE_WIDTH : Number(m[3]);
  if (m[3] !== undefined && (width < 1 || width >= TILE_WIDTH || String(width) !== m[3])) return null;
  if (!Number.isSafeInteger(index)) return null;
  return { level, index, width };
}

/** Width of the tile holding entry (or node) `index` at `level` in a tree of `treeSize` leaves: 256 when full. */
export function tileWidthAt(level: number, tileIndex: number, treeSize: number): number {
  const nodes = Math.floor(treeSize / TILE_WIDTH ** level);
  return Math.max(0, Math.min(TILE_WIDTH, nodes - tileIndex * TILE_WIDTH));
}

/** One entry of a data tile, with the bytes the log hashed. */
export interface TileLeaf {
  /** The TimestampedEntry exactly as in the tile: its leaf hash is SHA-256(00 00 00 ‖ these bytes). */
  timestampedEntry: Uint8Array;
  timestamp: number;
  entryType: EntryType;
  /** The leaf_index extension; null when the entry has none (leaves converted from RFC 6962 logs). */
  leafIndex: number | null;
  /** precert_entry: the full precertificate DER. */
  preCertificate: Uint8Array | null;
  /** SHA-256 fingerprints of the chain's certificates (issuer first). */
  chain: Uint8Array[];
}

/** The leaf_index extension (type 0, uint40) among CtExtensions; null when absent. */
export function leafIndexExtension(extensions: Uint8Array): number | null {
  if (extensions.length === 0) return null;
  const r = new TlsReader(extensions, 'CtExtensions');
  while (r.remaining > 0) {
    const type = r.u8('extension_type');
    const data = r.vector(2, 'extension_data');
    if (type === LEAF_INDEX_EXTENSION) {
      if (data.length !== 5) throw new CtDecodeError(`leaf_index extension has ${data.length} bytes, expected 5`);
      return data[0] * 2 ** 32 + ((data[1] << 24) >>> 0) + (data[2] << 16) + (data[3] << 8) + data[4];
    }
  }
  return null;
}

/** CtExtensions holding only a leaf_index extension. */
export function leafIndexExtensionBytes(index: number): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0 || index >= 2 ** 40) throw new RangeError(`leaf index ${index} does not fit 40 bits`);
  const b = new Uint8Array(8);
  b[0] = LEAF_INDEX_EXTENSION;
  b[2] = 5;
  b[3] = Math.floor(index / 2 ** 32);
  const low = index % 2 ** 32;
  b[4] = low >>> 24;
  b[5] = (low >>> 16) & 0xff;
  b[6] = (low >>> 8) & 0xff;
  b[7] = low & 0xff;
  return b;
}

/**
 * Decode a data tile: at most `expected` TileLeafs, each sliced out of `tile`
 * (no copies). Throws CtDecodeError naming the entry when the bytes do not parse
 * or when the tile holds another number of entries than expected.
 */
export function decodeDataTile(tile: Uint8Array, expected: number, firstIndex = 0): TileLeaf[] {
  const out: TileLeaf[] = [];
  const r = new TlsReader(tile, 'data tile');
  while (r.remaining > 0) {
    if (out.length === expected) throw new CtDecodeError(`data tile holds more than the ${expected} entries expected`);
    const at = `data tile entry ${firstIndex + out.length}`;
    const begin = r.offset;
    const er = new TlsReader(tile, at, begin);
    const timestamp = er.u64('timestamp');
    const typeCode = er.u16('entry_type');
    if (typeCode !== 0 && typeCode !== 1) throw new CtDecodeError(`${at}: unknown entry_type ${typeCode}`);
    if (typeCode === 1) er.bytes(32, 'issuer_key_hash');
    if (er.vector(3, typeCode === 0 ? 'certificate' : 'tbs_certificate').length === 0) throw new CtDecodeError(`${at}: empty signed entry`);
    const extensions = er.vector(2, 'extensions');
    const teEnd = er.offset;
    const preCertificate = typeCode === 1 ? er.vector(3, 'pre_certificate') : null;
    const fingerprints = er.vector(2, 'certificate_chain');
    if (fingerprints.length % HASH_SIZE !== 0) throw new CtDecodeError(`${at}: certificate_chain is ${fingerprints.length} bytes, not a multiple of 32`);
    const chain: Uint8Array[] = [];
    for (let i = 0; i < fingerprints.length; i += HASH_SIZE) chain.push(fingerprints.subarray(i, i + HASH_SIZE));
    r.bytes(er.offset - begin, 'entry');
    out.push({
      timestampedEntry: tile.subarray(begin, teEnd),
      timestamp,
      entryType: typeCode === 0 ? 'x509_entry' : 'precert_entry',
      leafIndex: leafIndexExtension(extensions),
      preCertificate,
      chain,
    });
  }
  if (out.length !== expected) throw new CtDecodeError(`data tile holds ${out.length} entries, ${expected} expected`);
  return out;
}

export interface TileLeafFields {
  timestamp: number;
  entryType: EntryType;
  /** x509_entry: the certificate DER; precert_entry: the TBSCertificate. */
  signedEntry: Uint8Array;
  issuerKeyHash?: Uint8Array | null;
  extensions: Uint8Array;
  preCertificate?: Uint8Array | null;
  chain: Uint8Array[];
}

/** Encode one TileLeaf (used by the test logs). */
export function encodeTileLeaf(e: TileLeafFields): Buffer {
  const parts: Uint8Array[] = [u64(e.timestamp), u16(e.entryType === 'x509_entry' ? 0 : 1)];
  if (e.entryType === 'precert_entry') {
    if (!e.issuerKeyHash || e.issuerKeyHash.length !== 32) throw new RangeError('precert_entry needs a 32-byte issuerKeyHash');
    if (!e.preCertificate) throw new RangeError('precert_entry needs the precertificate');
    parts.push(e.issuerKeyHash);
  }
  parts.push(u24(e.signedEntry.length), e.signedEntry, u16(e.extensions.length), e.extensions);
  if (e.entryType === 'precert_entry') parts.push(u24(e.preCertificate!.length), e.preCertificate!);
  parts.push(u16(e.chain.length * HASH_SIZE), ...e.chain);
  return Buffer.from(concatBytes(parts));
}

const MERKLE_LEAF_PREFIX = Uint8Array.of(0, 0);
const LEAF_HASH_PREFIX = Uint8Array.of(0, 0, 0);

/** The RFC 6962 MerkleTreeLeaf of a tile entry: version v1, leaf type timestamped_entry, then the entry. */
export function merkleTreeLeafOf(timestampedEntry: Uint8Array): Buffer {
  return Buffer.concat([MERKLE_LEAF_PREFIX, timestampedEntry]);
}

/** Leaf hash of a tile entry, without building its MerkleTreeLeaf: SHA-256(00 ‖ 00 00 ‖ TimestampedEntry). */
export function tileLeafHash(timestampedEntry: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_HASH_PREFIX).update(timestampedEntry).digest();
}

/**
 * The MerkleTreeLeafs of tile entries and their leaf hashes, built in one buffer
 * (per entry: 0x00 hash prefix, version 0, leaf type 0, TimestampedEntry), so a
 * tile costs one allocation and one-shot hashes instead of hundreds of small copies.
 */
export function tileLeavesAndHashes(timestampedEntries: readonly Uint8Array[]): { leaves: Buffer[]; hashes: Buffer[] } {
  let total = 0;
  for (const te of timestampedEntries) total += 3 + te.length;
  const buf = Buffer.allocUnsafe(total);
  const leaves: Buffer[] = [];
  const hashes: Buffer[] = [];
  let p = 0;
  for (const te of timestampedEntries) {
    buf[p] = 0;
    buf[p + 1] = 0;
    buf[p + 2] = 0;
    buf.set(te, p + 3);
    const end = p + 3 + te.length;
    hashes.push(oneShotHash('sha256', buf.subarray(p, end), 'buffer') as Buffer);
    leaves.push(buf.subarray(p + 1, end));
    p = end;
  }
  return { leaves, hashes };
}

/** Split a hash tile's bytes into its hashes; the length must be exactly `width` hashes. */
export function decodeHashTile(bytes: Uint8Array, width: number, what: string): Uint8Array[] {
  if (bytes.length !== width * HASH_SIZE) throw new CtDecodeError(`${what}: ${bytes.length} bytes, expected ${width * HASH_SIZE} (${width} hashes)`);
  const out: Uint8Array[] = [];
  for (let i = 0; i < width; i++) out.push(bytes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  return out;
}

/** MTH of a perfect subtree given its 2^k bottom hashes in order. */
export function perfectRoot(hashes: readonly Uint8Array[]): Uint8Array {
  let level = hashes.slice();
  if (level.length === 0 || (level.length & (level.length - 1)) !== 0) throw new RangeError(`perfectRoot needs a power of two hashes, got ${level.length}`);
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(hashChildren(level[i], level[i + 1]));
    level = next;
  }
  return level[0];
}

/**
 * The root of a tree of `treeSize` leaves from its right-edge tiles: for each
 * level L with a non-zero base-256 digit, the first `digit` hashes of tile
 * (L, floor(treeSize / 256^(L+1))). `edge(L)` returns those hashes.
 */
export function rootFromEdgeTiles(treeSize: number, edge: (level: number) => readonly Uint8Array[]): Uint8Array {
  if (!Number.isSafeInteger(treeSize) || treeSize < 1) throw new RangeError(`tree size ${treeSize} has no root from tiles`);
  // Compact range nodes, leftmost (largest) first.
  const nodes: Uint8Array[] = [];
  const levels: number[] = [];
  for (let l = 0, n = treeSize; n > 0; l++, n = Math.floor(n / TILE_WIDTH)) levels.push(l);
  for (const level of levels.reverse()) {
    const digit = Math.floor(treeSize / TILE_WIDTH ** level) % TILE_WIDTH;
    if (digit === 0) continue;
    const hashes = edge(level);
    if (hashes.length !== digit) throw new RangeError(`edge tile at level ${level} has ${hashes.length} hashes, ${digit} expected`);
    let at = 0;
    for (let bit = 7; bit >= 0; bit--) {
      const size = 1 << bit;
      if (digit & size) {
        nodes.push(perfectRoot(hashes.slice(at, at + size)));
        at += size;
      }
    }
  }
  let root = nodes[nodes.length - 1];
  for (let i = nodes.length - 2; i >= 0; i--) root = hashChildren(nodes[i], root);
  return root;
}
