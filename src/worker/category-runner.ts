/**
 * Scans the assignments of one category, one after the other: opens a
 * collector on the lease's log (whatever its read API), hands what it finds
 * to the uploader, keeps the lease's confirmed position, and reports the
 * lease's proof verdict when it completes. It sees the worker only through
 * RunnerHost.
 *
 * It also keeps the CT timestamps the manager's coverage ledger asks for:
 * each report (ping, completion, termination) confirms the stretch after the
 * position the manager last acknowledged, and carries the timestamps of that
 * stretch's first and last entries. A report the manager did not answer is
 * not acknowledged, so the next one covers its stretch too.
 */
import type { Assignment, StretchTimestamps, UploadItem } from '../share/api/index.js';
import { CtLogUnavailableError, RangeProofError, sleep, type RangeVerification, type RoutePool } from '../share/ct/index.js';
import { CtLogCollector, type CollectorEvent, type ScannedChunk } from './collector.js';
import type { WorkerConfig } from './config.js';
import { knownLogKey } from './log-keys.js';
import { politenessFor } from './politeness.js';
import { RateMeter } from './progress.js';
import { sharedAbortController } from './shared-abort.js';

/** Upload the `.jp` entries found so far at least this often. */
const FLUSH_EVERY_MS = 15_000;
/** Pause before scanning a log again after it stopped answering (or its entries failed their proof). */
const LOG_RETRY_MS = 5 * 60_000;

/** What a runner needs of the worker. */
export interface RunnerHost {
  readonly config: Pick<WorkerConfig, 'batchSize' | 'inFlight' | 'minRequestIntervalMs'>;
  /** The User-Agent for CT log requests. */
  readonly userAgent: string;
  /** The friend's name, on every upload item. */
  readonly friendName: string;
  readonly routes: RoutePool;
  warn(key: string, message: string): void;
  /** Least spacing of requests to this lease's log, from the manager's directives. */
  minIntervalFor(a: Assignment): number;
  /** Resolves at once unless the manager paused scanning. */
  whileNotPaused(signal: AbortSignal): Promise<void>;
  /** Upload (or spool) the finds of a category. */
  deliver(category: string, items: UploadItem[]): Promise<void>;
  readonly uploadMaxItems: number;
  /** Report a lease done with its scans' verdicts and the timestamps of its last stretch; false when the manager could not be reached. */
  completeLease(a: Assignment, scans: readonly RangeVerification[], stretch: StretchTimestamps): Promise<boolean>;
  /** The runner is free: time to ask for work. */
  leaseReleased(): void;
}

export interface Counters {
  requests: number;
  scanned: number;
  found: number;
  uploaded: number;
  rateLimited: number;
}

/** Scans the assignments of one category, one after the other. */
export class CategoryRunner {
  lease: Assignment | null = null;
  /** Highest index up to which everything is scanned and every .jp entry uploaded or spooled. */
  confirmed = -1;
  /** Next index to scan. */
  position: number | null = null;
  collectedInLease = 0;
  /** Verdicts of the scans of the current lease (one per collector run; a run restarts after a log outage). */
  verifications: RangeVerification[] = [];
  /** The lease is fully scanned but the manager has not yet acknowledged its completion. */
  awaitingCompletion = false;
  /** The confirmed position the manager last acknowledged for this lease (a.start - 1 at first). */
  acknowledged = -1;
  /** Scanned chunks after the acknowledged position, in index order: where each starts and ends, and its entries' timestamps there. */
  private chunkTimes: { start: number; end: number; first: number; last: number }[] = [];
  readonly totals: Counters = { requests: 0, scanned: 0, found: 0, uploaded: 0, rateLimited: 0 };
  readonly meter = new RateMeter();
  private controller: AbortController | null = null;
  private collector: CtLogCollector | null = null;
  private task: Promise<void> | null = null;
  private stopReason: 'shutdown' | 'stale' | 'released' | null = null;

  constructor(
    readonly category: string,
    private readonly worker: RunnerHost,
  ) {}

  get busy(): boolean {
    return this.lease !== null;
  }

  start(a: Assignment): void {
    this.lease = a;
    this.confirmed = a.start - 1;
    this.position = a.start;
    this.collectedInLease = 0;
    this.verifications = [];
    this.awaitingCompletion = false;
    this.acknowledged = a.start - 1;
    this.chunkTimes = [];
    this.stopReason = null;
    this.controller = sharedAbortController();
    this.task = this.scanLease(a, this.controller.signal).catch((err: unknown) => {
      this.worker.warn(`scan-${this.category}`, `${this.category}: scanning ${a.log_name} failed: ${(err as Error).message}`);
    });
  }

  /** Stop fetching; resolves once the last chunk is uploaded or spooled. */
  async stop(reason: 'shutdown' | 'stale' | 'released'): Promise<void> {
    this.stopReason = reason;
    this.controller?.abort(new Error(reason));
    await this.task;
    if (reason !== 'shutdown' && this.lease !== null) this.release();
  }

  /**
   * The timestamps of the stretch a report of `confirmed` confirms: (acknowledged, confirmed].
   * Empty when nothing new is confirmed, or when a chunk edge is not known (never expected: the
   * confirmed position only moves to chunk ends, and every scan starts right after it).
   */
  stretchTimestamps(confirmed = this.confirmed): StretchTimestamps {
    if (confirmed <= this.acknowledged) return {};
    const first = this.chunkTimes.find((c) => c.start === this.acknowledged + 1);
    const last = this.chunkTimes.find((c) => c.end === confirmed);
    return first && last ? { first_timestamp: first.first, last_timestamp: last.last } : {};
  }

  /** The manager took a report of this lease at `confirmed`: the next stretch starts after it. */
  acknowledge(leaseId: number, confirmed: number): void {
    if (this.lease?.lease_id !== leaseId || confirmed <= this.acknowledged) return;
    this.acknowledged = confirmed;
    let drop = 0;
    while (drop < this.chunkTimes.length && this.chunkTimes[drop].end <= confirmed) drop++;
    this.chunkTimes.splice(0, drop);
  }

  setMinInterval(ms: number): void {
    this.collector?.setMinRequestInterval(ms);
  }

  private async scanLease(a: Assignment, signal: AbortSignal): Promise<void> {
    const w = this.worker;
    while (!signal.aborted && this.confirmed < a.end) {
      try {
        await this.scanFrom(a, this.confirmed + 1, signal);
      } catch (err) {
        if (signal.aborted) break;
        const why = err instanceof CtLogUnavailableError ? err.message : `${(err as Error).message}`;
        w.warn(`scan-${this.category}`, `${this.category}: ${why}; trying ${a.log_name} again in ${LOG_RETRY_MS / 60_000} min`);
        await sleep(LOG_RETRY_MS, signal).catch(() => {});
      }
    }
    if (this.stopReason === null && this.confirmed >= a.end && !(await w.completeLease(a, this.verifications, this.stretchTimestamps(a.end)))) {
      // The manager did not hear it: keep reporting the lease (fully confirmed) and retry with the pings.
      this.awaitingCompletion = true;
      return;
    }
    if (this.stopReason !== 'shutdown') this.release();
  }

  /** Forget the lease and let the finder ask for the next one. */
  release(): void {
    this.lease = null;
    this.position = null;
    this.awaitingCompletion = false;
    this.worker.leaseReleased();
  }

  private async scanFrom(a: Assignment, start: number, signal: AbortSignal): Promise<void> {
    const w = this.worker;
    // A mirror or archive is read at another operator's host: be polite to that one.
    const elsewhere = (a.read_from ?? 'origin') !== 'origin';
    const readUrl = elsewhere ? (a.read_url ?? a.log_url) : a.log_url;
    const polite = politenessFor(elsewhere ? 'elsewhere' : a.category, readUrl, { minRequestIntervalMs: w.config.minRequestIntervalMs, inFlight: w.config.inFlight });
    const collector = new CtLogCollector({
      logUrl: a.log_url,
      api: a.log_api ?? 'rfc6962',
      origin: a.log_origin ?? null,
      dataTiles: a.data_tiles ?? false,
      readUrl: a.read_from === 'mirror' ? readUrl : null,
      archives: a.read_from === 'archive' ? (a.archives ?? []) : null,
      pinnedTreeHead: a.tree_head ? { treeSize: a.tree_head.tree_size, rootHash: Buffer.from(a.tree_head.root_hash, 'base64') } : null,
      start,
      end: a.end,
      batchSize: w.config.batchSize,
      pageSize: a.page_size,
      maxInFlight: polite.maxInFlight,
      routes: w.routes,
      userAgent: w.userAgent,
      // The manager's catalogue key first (it is what the manager verified), the built-in one otherwise.
      logKey: a.log_key ? Buffer.from(a.log_key, 'base64') : knownLogKey(a.log_url),
      minRequestIntervalMs: Math.max(polite.minRequestIntervalMs, w.minIntervalFor(a)),
      persistentConnections: polite.persistentConnections,
      signal,
      onEvent: (e) => this.onEvent(a, e),
    });
    this.collector = collector;
    // Chunks read past the confirmed position by a scan that failed are read again from here.
    while (this.chunkTimes.length > 0 && this.chunkTimes[this.chunkTimes.length - 1].end >= start) this.chunkTimes.pop();
    let pending: UploadItem[] = [];
    let pendingSince = 0;
    let scannedThrough = start - 1;
    let lastRequests = 0;
    let lastRateLimited = 0;
    const flush = async (): Promise<void> => {
      const through = scannedThrough;
      const items = pending;
      pending = [];
      if (items.length > 0) await w.deliver(this.category, items);
      this.confirmed = Math.max(this.confirmed, through);
    };
    const account = (): void => {
      this.totals.requests += collector.stats.requests - lastRequests;
      this.totals.rateLimited += collector.stats.rateLimited - lastRateLimited;
      lastRequests = collector.stats.requests;
      lastRateLimited = collector.stats.rateLimited;
    };
    try {
      for await (const chunk of collector.chunks()) {
        await w.whileNotPaused(signal);
        this.chunkTimes.push({ start: chunk.start, end: chunk.end, first: chunk.firstTimestamp, last: chunk.lastTimestamp });
        this.take(chunk, a, (items) => {
          if (pending.length === 0) pendingSince = Date.now();
          pending.push(...items);
        });
        scannedThrough = chunk.end;
        this.position = chunk.end + 1;
        account();
        if (pending.length === 0) this.confirmed = scannedThrough;
        else if (pending.length >= w.uploadMaxItems || Date.now() - pendingSince >= FLUSH_EVERY_MS) await flush();
      }
      if (!signal.aborted) this.verifications.push(collector.verification);
    } catch (err) {
      // A tiled log's entries failed their proof: the verdict counts for the lease, nothing past it is confirmed.
      if (err instanceof RangeProofError) this.verifications.push(collector.verification);
      throw err;
    } finally {
      account();
      // Also on shutdown: the last upload attempt (spooled if the manager does not take it).
      await flush();
      this.collector = null;
    }
  }

  private take(chunk: ScannedChunk, a: Assignment, add: (items: UploadItem[]) => void): void {
    const n = chunk.end - chunk.start + 1;
    this.totals.scanned += n;
    this.meter.add(n);
    if (chunk.found.length === 0) return;
    this.totals.found += chunk.found.length;
    this.collectedInLease += chunk.found.length;
    add(
      chunk.found.map((f) => ({
        leaf_input: f.leafInput,
        ct_log_url: a.log_url,
        log_name: a.log_name,
        friend_name: this.worker.friendName,
        index: f.index,
        lease_id: a.lease_id,
      })),
    );
  }

  private onEvent(a: Assignment, e: CollectorEvent): void {
    const w = this.worker;
    if (e.type === 'rate-limited') {
      w.warn(`429-${this.category}`, `${this.category}: ${a.log_name} asks to slow down (429); waiting ${(e.waitMs / 1000).toFixed(1)} s${e.retryAfter ? ' as told' : ''} via ${e.route}`);
    } else if (e.type === 'retry') {
      w.warn(`retry-${this.category}`, `${this.category}: ${a.log_name}: ${e.reason}; retrying in ${(e.waitMs / 1000).toFixed(1)} s via ${e.route}`);
    } else if (e.type === 'waiting-for-log') {
      w.warn(`grow-${this.category}`, `${this.category}: ${a.log_name} has only ${e.treeSize} entries; waiting for it to reach ${e.end + 1}`);
    } else if (e.type === 'range-verification' && e.verification.state === 'failed') {
      w.warn(`verify-${this.category}`, `❗ ${this.category}: ${a.log_name} ${e.verification.start}-${e.verification.end} is NOT in the log's signed tree: ${e.verification.reason}`);
    } else if (e.type === 'range-verification' && e.verification.state === 'unverified') {
      w.warn(`verify-${this.category}`, `${this.category}: ${a.log_name} ${e.verification.start}-${e.verification.end} could not be proven in the log's tree: ${e.verification.reason}`);
    } else if (e.type === 'stale-tree-head') {
      w.warn(`stale-${this.category}`, `${this.category}: ${a.log_name} served an older tree head (${e.treeSize} < ${e.kept}); ignored`);
    }
  }
}

