/**
 * A log source: the entries [a, b] of one CT log, in index order, each with
 * its MerkleTreeLeaf bytes, proven against a signed tree head. Two read APIs
 * stand behind it — RFC 6962 `get-entries` (optionally reading the data tiles
 * a hybrid log also serves) and static-ct-api tiles — and everything about
 * talking to a log (retries, Retry-After, backoff, pacing, timeouts, proxies)
 * lives in the LogHttp they share. The worker's collector and the manager's
 * planner both read logs through this.
 */
import type { LogHttp, HttpEvent, LogHttpOptions } from './http.js';
import type { RangeVerification } from './range-verifier.js';
import type { SignedTreeHead } from './sth.js';

export type LogApi = 'rfc6962' | 'static-ct-api';

/** Entries start, start+1, … of a log, in order. */
export interface LogEntries {
  start: number;
  /** The MerkleTreeLeaf of each entry (for a tile entry: rebuilt as version 0, leaf type 0, TimestampedEntry). */
  leaves: Uint8Array[];
  /** true when every entry here is already proven in the signed tree (tiles); RFC 6962 ranges are proven at the end. */
  proven: boolean;
}

export type SourceEvent =
  | HttpEvent
  | { type: 'page-size'; pageSize: number }
  | { type: 'tree-head'; treeSize: number; verified: boolean }
  | { type: 'stale-tree-head'; treeSize: number; kept: number }
  | { type: 'waiting-for-log'; treeSize: number; end: number }
  | { type: 'range-verification'; verification: RangeVerification };

export interface SourceStats {
  requests: number;
  bytes: number;
  rateLimited: number;
  retries: number;
  entries: number;
  pageSize: number | null;
  treeSize: number | null;
}

export interface LogSource {
  readonly api: LogApi;
  readonly http: LogHttp;
  readonly stats: SourceStats;
  /** The largest verified tree head seen, or null before the first. */
  readonly treeHead: SignedTreeHead | null;
  /** Ask the log for its tree head; keep it when it is larger (a smaller one is reported and ignored). */
  refreshTreeHead(): Promise<SignedTreeHead>;
  /**
   * Entries [start, end] in order; waits for the log to grow when `end` is past its tree.
   * Returns quietly when the signal aborts. A proof failure of a tiled log ends it with a
   * RangeProofError after the verdict is set; nothing unproven is yielded.
   */
  entries(start: number, end: number): AsyncGenerator<LogEntries>;
  /** Whether the last entries() run is proven; `unverified` until it has ended. */
  readonly verification: RangeVerification;
  /** CT timestamp of entry i (for planning; not proven). */
  timestampAt(index: number): Promise<number>;
  /**
   * Check that the tree head held (refreshTreeHead first) extends `seen`, a tree head verified
   * earlier (perhaps from another place the log is read from): equal roots at the same size, or a
   * consistency proof (RFC 6962) or the tiles' own hashes (static-ct-api) for a smaller one.
   * Throws ContradictoryAnswer when it does not, or when the held tree is smaller than `seen`.
   */
  checkConsistentWith(seen: TreeHeadRef): Promise<void>;
  /** Where the entries are read from, for messages: the base URL, or the first archive zip. */
  readonly where: string;
  setMinRequestInterval(ms: number): void;
  close(): Promise<void>;
}

/** A tree head by size and root, as kept between reads. */
export interface TreeHeadRef {
  treeSize: number;
  rootHash: Uint8Array;
}

export interface LogSourceOptions {
  api: LogApi;
  /** RFC 6962: the prefix of `ct/v1/`; static-ct-api: the monitoring prefix. */
  url: string;
  /** DER SubjectPublicKeyInfo: tree heads and checkpoints must carry its signature. */
  key: Uint8Array | null;
  /**
   * A frozen (shut-down) log: the one tree head it may serve. Any other, however well signed, is
   * refused with a ContradictoryAnswer: a mirror or archive must hold exactly the log's final tree.
   */
  pinnedTreeHead?: TreeHeadRef | null;
  /**
   * Read the log from these zip archives (static-ct-api layout, one subtree per zip, in tree
   * order) instead of `url`; `api` must be 'static-ct-api'. Entries lacking the leaf_index
   * extension (archives converted from RFC 6962 logs) are accepted by their position.
   */
  archives?: readonly string[];
  /** Tile level of the subtree one archive zip holds: 2 (256³ entries) in real archives; tests use less. */
  archiveSubtreeLevel?: number;
  /** static-ct-api: the checkpoint origin (submission prefix without scheme), when known. */
  origin?: string | null;
  /** RFC 6962 logs that also serve `tile/data/N`: read those instead of get-entries. */
  dataTiles?: boolean;
  /** Most entries asked in one get-entries request (the log may cap it lower). */
  batchSize?: number;
  /** The log's get-entries page size when known (it is learnt anyway). */
  pageSize?: number | null;
  /** Requests in flight at once. */
  maxInFlight?: number;
  /** How often to ask for a new tree head while the range reaches past the log's end. */
  treeHeadRefreshMs?: number;
  /** RFC 6962: prove the scanned range with two inclusion proofs (default true). Tiles are always proven. */
  verifyRange?: boolean;
  http?: LogHttpOptions;
  onEvent?: (event: SourceEvent) => void;
}

/** A tiled log's entries did not hash into its signed tree: nothing past `index` is proven. */
export class RangeProofError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
    this.name = 'RangeProofError';
  }
}
