/**
 * A test log over a list of leaves a test brings (the real leaves of
 * test/data/ct-real, re-stamped or not), repeated to the size it asks for,
 * served by the same server, faults and tiles as the generated logs: for
 * tests that need a small log of known leaves, requests they can script and
 * see, a tree head that lags the entries, or a log that only claims a tree;
 * and, with leaf_index, for the worker benchmark's log.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { decodeExtraData, decodeMerkleTreeLeaf, leafHash, type ExtraData } from '../../src/share/ct/index.js';
import type { FaultOptions, LogRequest } from './faults.js';
import { LogState, TestLogServer, type LogEntries, type LogStateOptions } from './server.js';
import { tileLeafOf, withLeafIndex } from './tiles.js';

/**
 * Leaves (and their extra data) repeated to a size: entry i is leaf i mod the list's length, with
 * (leafIndex) the leaf_index extension i in place of the leaf's own extensions, as a tiled log's
 * entries carry it.
 */
export class LeafListEntries implements LogEntries {
  readonly roots: string[] = [];
  private readonly hashes: Buffer[];
  private readonly extraBase64: string[];
  private readonly decodedExtra: (ExtraData | null)[];
  private readonly issuers = new Map<string, Buffer>();

  constructor(
    private readonly leaves: readonly Buffer[],
    readonly size: number,
    extraData: readonly Buffer[] = [],
    readonly leafIndex = false,
  ) {
    if (leaves.length === 0) throw new RangeError('a leaf list needs at least one leaf');
    this.hashes = leaves.map((l) => leafHash(l));
    this.extraBase64 = leaves.map((_, i) => extraData[i]?.toString('base64') ?? '');
    this.decodedExtra = leaves.map((l, i) => (extraData[i] === undefined ? null : decodeExtraData(decodeMerkleTreeLeaf(l).entryType, extraData[i])));
    for (const x of this.decodedExtra) for (const c of x?.chain ?? []) this.issuers.set(createHash('sha256').update(c).digest('hex'), Buffer.from(c));
  }

  leafHash(i: number): Buffer {
    return this.leafIndex ? leafHash(this.leafInput(i)) : this.hashes[i % this.hashes.length];
  }

  leafInput(i: number): Buffer {
    const leaf = this.leaves[i % this.leaves.length];
    return this.leafIndex ? withLeafIndex(leaf, i) : leaf;
  }

  extraData(i: number): string {
    return this.extraBase64[i % this.leaves.length];
  }

  tileLeaf(i: number): Buffer {
    return tileLeafOf(this.leafInput(i), this.decodedExtra[i % this.leaves.length]);
  }

  issuer(hex: string): Buffer | undefined {
    return this.issuers.get(hex);
  }

  issuerNames(): string[] {
    return [...this.issuers.keys()];
  }

  entryTimestamp(i: number): number {
    return decodeMerkleTreeLeaf(this.leafInput(i)).timestamp;
  }
}

export interface LeafListLogOptions extends LogStateOptions {
  /** The leaves (leaf_input bytes), in log order, repeated to `size`. */
  leaves: readonly Buffer[];
  /** Each leaf's extra_data (default: empty). */
  extraData?: readonly Buffer[];
  /** Entries in the log (default: one per leaf). */
  size?: number;
  /** The catalogue's words for it; the log is served under `/<category>/<name>/` (default test/leaf-list). */
  category?: string;
  name?: string;
  /** Most entries per get-entries answer (default 32). */
  pageSize?: number;
  /** Cut answers at multiples of pageSize, as Google's logs do (default true). */
  aligned?: boolean;
  /** Tree size published in get-sth (default: every entry). */
  publishedSize?: number;
  faults?: FaultOptions;
  /** Log key (default: a fresh ECDSA P-256 key). */
  key?: KeyObject;
}

export interface LeafListLog {
  /** The log's URL (RFC 6962 base and static-ct-api prefix), ending in '/'. */
  url: string;
  /** DER SubjectPublicKeyInfo of the log key. */
  publicKey: Buffer;
  readonly state: LogState;
  /** Every request, with recordRequests. */
  readonly requests: LogRequest[];
  /** Change what get-sth publishes (at most the size). */
  setPublishedSize(n: number): void;
  setFaults(f: FaultOptions): void;
  close(): Promise<void>;
}

export async function startLeafListLog(o: LeafListLogOptions): Promise<LeafListLog> {
  const size = o.size ?? o.leaves.length;
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`size must be a positive integer, got ${size}`);
  const name = o.name ?? 'leaf-list';
  const key = o.key ?? generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const entries = new LeafListEntries(o.leaves, o.claimedSize ?? size, o.extraData);
  const state = new LogState(o.category ?? 'test', name, { pageSize: o.pageSize ?? 32, aligned: o.aligned ?? true }, key, entries, name, o);
  state.setFaults(o.faults ?? {});
  if (o.publishedSize !== undefined) state.setPublishedSize(o.publishedSize);
  const server = new TestLogServer([state]);
  const base = await server.listen('127.0.0.1', 0);
  return {
    url: `${base}${state.prefix}`,
    publicKey: state.spki,
    state,
    requests: state.requests,
    setPublishedSize: (n) => state.setPublishedSize(n),
    setFaults: (f) => state.setFaults(f),
    close: () => server.close(),
  };
}
