/**
 * CtLogCollector: scans one inclusive index range of one CT log — RFC 6962
 * or static-ct-api, through the CT reading layer's log source — and hands
 * over, in index order, every chunk of entries it has read together with the
 * `.jp` entries found in it. The CLI, the tests and the benchmark all drive
 * this class.
 *
 * What is proven when: a tiled log's chunks are each proven against the
 * checkpoint before they arrive here (a proof failure ends the scan with a
 * RangeProofError, nothing unproven is handed over); an RFC 6962 range is
 * proven at its end with two inclusion proofs (`verification`).
 */
import {
  openLogSource,
  type BackoffPolicy,
  type LogApi,
  type LogSource,
  type RangeVerification,
  type RoutePool,
  type SourceEvent,
  type TreeHeadRef,
} from '../share/ct/index.js';
import { leafCoversJp } from './jp-filter.js';

export { CtLogUnavailableError, RangeProofError } from '../share/ct/index.js';

export interface FoundEntry {
  index: number;
  /** The MerkleTreeLeaf (base64): as the log served it, or rebuilt from a tile entry. */
  leafInput: string;
}

/** A contiguous run of scanned indexes [start, end] (inclusive) and the `.jp` entries among them. */
export interface ScannedChunk {
  start: number;
  end: number;
  found: FoundEntry[];
  /** CT timestamps (ms since the epoch) of the entries at start and at end, for the manager's coverage ledger. */
  firstTimestamp: number;
  lastTimestamp: number;
}

/**
 * The CT timestamp of a MerkleTreeLeaf: version (1 byte), leaf type (1 byte), then the
 * TimestampedEntry's uint64 timestamp, big-endian. Read in place: no leaf is decoded for it.
 * The source has already refused leaves too short to be a MerkleTreeLeaf.
 */
export function leafTimestamp(leaf: Uint8Array): number {
  return Number(new DataView(leaf.buffer, leaf.byteOffset, leaf.byteLength).getBigUint64(2, false));
}

export type CollectorEvent = SourceEvent;

export interface CollectorOptions {
  /** RFC 6962: the prefix of `ct/v1/`; static-ct-api: the monitoring prefix. */
  logUrl: string;
  /** The log's read API (default rfc6962). */
  api?: LogApi;
  /** static-ct-api: the checkpoint origin, when known. */
  origin?: string | null;
  /** An RFC 6962 log that also serves data tiles: read those. */
  dataTiles?: boolean;
  /** Read the log at this mirror (same read API as `api`) instead of logUrl. */
  readUrl?: string | null;
  /** Read the log from these zip archives (static-ct-api layout) instead of logUrl. */
  archives?: readonly string[] | null;
  /** A shut-down log's final tree head: the only one accepted, and what entries are proven against. */
  pinnedTreeHead?: TreeHeadRef | null;
  /** First index to scan. */
  start: number;
  /** Last index to scan (inclusive). */
  end: number;
  /** Most entries asked for in one get-entries request (the log may cap it lower). */
  batchSize?: number;
  /** The log's page size when already known (it is learnt anyway). */
  pageSize?: number | null;
  /** Requests in flight at once. */
  maxInFlight?: number;
  /** Proxies to spread the requests over; or a shared RoutePool. Direct when empty. */
  proxies?: readonly string[];
  routes?: RoutePool;
  userAgent?: string;
  /** The log's public key (DER SubjectPublicKeyInfo): tree heads must carry its signature. Required for tiled logs. */
  logKey?: Uint8Array | null;
  /** Least time between two request starts to this log. */
  minRequestIntervalMs?: number;
  /** false: a new connection per request (DigiCert asks for this). */
  persistentConnections?: boolean;
  backoff?: BackoffPolicy;
  requestTimeoutMs?: number;
  /** How often to ask for a new tree head while the range reaches past the log's end. */
  treeHeadRefreshMs?: number;
  /** Give up (throw CtLogUnavailableError) after failing without a single success for this long. */
  giveUpAfterMs?: number;
  /** RFC 6962: prove the scanned range (two inclusion proofs per scan; default true). Tiles are always proven. */
  verifyRange?: boolean;
  /** Which leaves to keep; by default those covering a `.jp` name. */
  keep?: (leafInput: Uint8Array) => boolean;
  signal?: AbortSignal;
  onEvent?: (event: CollectorEvent) => void;
}

export interface CollectorStats {
  requests: number;
  /** Bytes received from the log (before gzip decoding). */
  bytes: number;
  entries: number;
  found: number;
  rateLimited: number;
  retries: number;
  pageSize: number | null;
  treeSize: number | null;
}

export class CtLogCollector {
  private readonly source: LogSource;
  private readonly keep: (leafInput: Uint8Array) => boolean;
  private found = 0;

  constructor(private readonly options: CollectorOptions) {
    const { start, end } = options;
    if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`start ${start} is not a non-negative integer`);
    if (!Number.isSafeInteger(end) || end < start) throw new RangeError(`end ${end} is not an integer >= start ${start}`);
    this.keep = options.keep ?? leafCoversJp;
    const archived = (options.archives?.length ?? 0) > 0;
    this.source = openLogSource({
      api: archived ? 'static-ct-api' : (options.api ?? 'rfc6962'),
      url: options.readUrl ?? options.logUrl,
      key: options.logKey ?? null,
      // An archive's checkpoint names the origin it was archived under.
      origin: archived ? null : (options.origin ?? null),
      archives: archived ? options.archives! : undefined,
      pinnedTreeHead: options.pinnedTreeHead ?? null,
      dataTiles: options.dataTiles ?? false,
      batchSize: options.batchSize,
      pageSize: options.pageSize,
      maxInFlight: options.maxInFlight,
      treeHeadRefreshMs: options.treeHeadRefreshMs,
      verifyRange: options.verifyRange,
      onEvent: options.onEvent,
      http: {
        proxies: options.proxies,
        routes: options.routes,
        userAgent: options.userAgent ?? 'ctjp-worker',
        requestTimeoutMs: options.requestTimeoutMs,
        minRequestIntervalMs: options.minRequestIntervalMs,
        persistentConnections: options.persistentConnections,
        backoff: options.backoff,
        giveUpAfterMs: options.giveUpAfterMs,
        signal: options.signal,
      },
    });
  }

  get stats(): CollectorStats {
    const s = this.source.stats;
    return { requests: s.requests, bytes: s.bytes, entries: s.entries, found: this.found, rateLimited: s.rateLimited, retries: s.retries, pageSize: s.pageSize, treeSize: s.treeSize };
  }

  /** Whether the scanned range is proven to be in the log's tree; `unverified` until the scan has ended. */
  get verification(): RangeVerification {
    return this.source.verification;
  }

  /** The manager asked for slower scanning: space request starts at least this far apart. */
  setMinRequestInterval(ms: number): void {
    this.source.setMinRequestInterval(ms);
  }

  /** Calls onChunk for every chunk, in index order, waiting for each before the next. */
  async run(onChunk: (chunk: ScannedChunk) => Promise<void> | void): Promise<void> {
    for await (const chunk of this.chunks()) await onChunk(chunk);
  }

  /**
   * The scan: yields chunks in index order until `end` is reached or the
   * signal aborts (then it returns quietly after the chunks already read).
   */
  async *chunks(): AsyncGenerator<ScannedChunk> {
    try {
      for await (const entries of this.source.entries(this.options.start, this.options.end)) {
        // Sources hand over at least one entry at a time; an empty batch would be no chunk at all.
        if (entries.leaves.length === 0) continue;
        const found: FoundEntry[] = [];
        for (let i = 0; i < entries.leaves.length; i++) {
          const leaf = entries.leaves[i];
          if (this.keep(leaf)) found.push({ index: entries.start + i, leafInput: Buffer.from(leaf.buffer, leaf.byteOffset, leaf.byteLength).toString('base64') });
        }
        this.found += found.length;
        const leaves = entries.leaves;
        yield { start: entries.start, end: entries.start + leaves.length - 1, found, firstTimestamp: leafTimestamp(leaves[0]), lastTimestamp: leafTimestamp(leaves[leaves.length - 1]) };
      }
    } finally {
      await this.source.close();
    }
  }
}
