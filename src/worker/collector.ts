/**
 * CtLogCollector: scans one inclusive index range of one RFC 6962 log and
 * hands over, in index order, every chunk of entries it has read together
 * with the `.jp` entries found in it. The CLI, the tests and the benchmark
 * all drive this class.
 *
 * Rules it keeps (ct-protocol.md §3, field-lessons.md):
 * - requests are aligned to the log's page size, learnt from the first short answers;
 * - every answer is untrusted: never more entries than asked, every leaf must decode,
 *   and a leaf_index extension, when present, must name the index asked for;
 * - the next request always starts at start + returned, so no index is ever skipped;
 * - 429 waits for Retry-After when given, else backs off with jitter and spaces all
 *   requests to the log further apart; 5xx, empty answers and network errors back off too;
 * - the signed tree head is verified when the log's key is known, only the largest one is
 *   kept, and no entry at or beyond its tree size is asked for;
 * - the scanned range is proven to be in the log's tree with two inclusion proofs
 *   (range-verifier.ts); the verdict is `verification` once the scan ends.
 */
import { request } from 'undici';
import { CtDecodeError, decodeBase64, decodeMerkleTreeLeaf, leafHash, leafIndexExtension, parseSth, verifySthSignature, type SignedTreeHead } from '../share/ct/index.js';
import { DEFAULT_BACKOFF, Pacer, backoffDelay, parseRetryAfter, sleep, type BackoffPolicy } from './backoff.js';
import { leafCoversJp } from './jp-filter.js';
import { ContradictoryProof, RangeVerifier, type LeafProof, type RangeVerification } from './range-verifier.js';
import { RoutePool, type Route } from './routes.js';

export interface FoundEntry {
  index: number;
  /** The leaf_input exactly as the log served it (base64). */
  leafInput: string;
}

/** A contiguous run of scanned indexes [start, end] (inclusive) and the `.jp` entries among them. */
export interface ScannedChunk {
  start: number;
  end: number;
  found: FoundEntry[];
}

export type CollectorEvent =
  | { type: 'page-size'; pageSize: number }
  | { type: 'tree-head'; treeSize: number; verified: boolean }
  | { type: 'stale-tree-head'; treeSize: number; kept: number }
  | { type: 'rate-limited'; waitMs: number; retryAfter: boolean; route: string }
  | { type: 'retry'; reason: string; waitMs: number; route: string }
  | { type: 'waiting-for-log'; treeSize: number; end: number }
  | { type: 'range-verification'; verification: RangeVerification };

export interface CollectorOptions {
  /** The log's base URL; `ct/v1/...` is appended. */
  logUrl: string;
  /** First index to scan. */
  start: number;
  /** Last index to scan (inclusive). */
  end: number;
  /** Most entries asked for in one request (the log may cap it lower). */
  batchSize?: number;
  /** The log's page size when already known (it is learnt anyway). */
  pageSize?: number | null;
  /** Requests in flight at once once the page size is known. */
  maxInFlight?: number;
  /** Proxies to spread the requests over; or a shared RoutePool. Direct when empty. */
  proxies?: readonly string[];
  routes?: RoutePool;
  userAgent?: string;
  /** The log's public key (DER SubjectPublicKeyInfo): tree heads must carry its signature. */
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
  /** Prove the scanned range is in the log's tree (two inclusion proofs per scan; default true). */
  verifyRange?: boolean;
  /** Which leaves to keep; by default those covering a `.jp` name. */
  keep?: (leafInput: Uint8Array) => boolean;
  signal?: AbortSignal;
  onEvent?: (event: CollectorEvent) => void;
}

export interface CollectorStats {
  requests: number;
  entries: number;
  found: number;
  rateLimited: number;
  retries: number;
  pageSize: number | null;
  treeSize: number | null;
}

/** The log kept failing for longer than giveUpAfterMs. */
export class CtLogUnavailableError extends Error {
  constructor(
    readonly logUrl: string,
    readonly lastReason: string,
  ) {
    super(`${logUrl} has not answered usefully for too long (last: ${lastReason})`);
    this.name = 'CtLogUnavailableError';
  }
}

/** A response the collector refuses; the request is retried. */
class BadResponse extends Error {}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | null,
  ) {
    super(`HTTP ${status}`);
  }
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** Smallest power of two >= n. */
function ceilPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

interface Range {
  start: number;
  end: number;
}

interface FetchedRange {
  start: number;
  /** Entries read, from `start` on (may be fewer than asked). */
  count: number;
  found: FoundEntry[];
  /** Their leaf hashes, when the range is being verified. */
  hashes: Buffer[];
}

const PROOF_TRIES = 4;

export class CtLogCollector {
  readonly stats: CollectorStats = { requests: 0, entries: 0, found: 0, rateLimited: 0, retries: 0, pageSize: null, treeSize: null };
  private readonly base: string;
  private readonly routes: RoutePool;
  private readonly ownsRoutes: boolean;
  private readonly pacer: Pacer;
  private readonly backoff: BackoffPolicy;
  private readonly keep: (leafInput: Uint8Array) => boolean;
  private sth: SignedTreeHead | null = null;
  private pageSize: number | null = null;
  private lastSuccess = Date.now();
  private answered = false;
  private readonly verifier: RangeVerifier | null;
  private verdict: RangeVerification | null = null;

  constructor(private readonly options: CollectorOptions) {
    const { start, end } = options;
    if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`start ${start} is not a non-negative integer`);
    if (!Number.isSafeInteger(end) || end < start) throw new RangeError(`end ${end} is not an integer >= start ${start}`);
    const url = new URL(options.logUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`log URL ${options.logUrl} is not http(s)`);
    this.base = url.href.endsWith('/') ? url.href : `${url.href}/`;
    this.ownsRoutes = options.routes === undefined;
    this.routes = options.routes ?? new RoutePool(options.proxies ?? []);
    this.pacer = new Pacer(options.minRequestIntervalMs ?? 0);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.keep = options.keep ?? leafCoversJp;
    this.verifier = options.verifyRange === false ? null : new RangeVerifier(start, end, (i, h) => this.proveLeaf(i, h), (options.logKey ?? null) !== null);
    if (options.pageSize && options.pageSize > 0) {
      this.pageSize = Math.min(options.pageSize, this.batchSize);
      this.stats.pageSize = this.pageSize;
    }
  }

  /** Whether the scanned range is proven to be in the log's tree; `unverified` until the scan has ended. */
  get verification(): RangeVerification {
    const { start, end } = this.options;
    if (this.verdict !== null) return this.verdict;
    return { state: 'unverified', start, end, reason: this.verifier === null ? 'verification switched off' : 'the scan did not reach the end' };
  }

  /** The manager asked for slower scanning: space request starts at least this far apart. */
  setMinRequestInterval(ms: number): void {
    this.pacer.setMinInterval(ms);
  }

  private get batchSize(): number {
    return Math.max(1, this.options.batchSize ?? 256);
  }

  private emit(event: CollectorEvent): void {
    this.options.onEvent?.(event);
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
    const { end, signal } = this.options;
    const maxInFlight = Math.max(1, this.options.maxInFlight ?? 4);
    let nextToAsk = this.options.start;
    let nextToYield = this.options.start;
    const retryFirst: Range[] = [];
    const done = new Map<number, FetchedRange>();
    const inFlight = new Map<number, Promise<void>>();
    let failure: unknown = null;

    try {
      await this.refreshTreeHead();
      while (nextToYield <= end) {
        if (signal?.aborted) return;
        if (failure !== null) throw failure;
        const limit = Math.min(end, (this.sth?.treeSize ?? 0) - 1);
        // One request at a time until the first answer has shown how the log pages.
        const allowed = this.answered ? maxInFlight : 1;
        while (inFlight.size < allowed) {
          const again = retryFirst.shift();
          let range: Range | null;
          if (again !== undefined) {
            range = this.nextRange(again.start, again.end);
            if (range !== null && range.end < again.end) retryFirst.unshift({ start: range.end + 1, end: again.end });
          } else {
            range = this.nextRange(nextToAsk, limit);
          }
          if (range === null) break;
          if (range.start === nextToAsk) nextToAsk = range.end + 1;
          const p = this.fetchRange(range).then(
            (got) => {
              done.set(got.start, got);
              if (got.count < range.end - range.start + 1) retryFirst.unshift({ start: got.start + got.count, end: range.end });
            },
            (err: unknown) => {
              failure ??= err;
            },
          );
          inFlight.set(range.start, p);
          void p.finally(() => inFlight.delete(range.start));
        }
        let chunk = done.get(nextToYield);
        if (chunk !== undefined) {
          while (chunk !== undefined) {
            done.delete(nextToYield);
            const c: ScannedChunk = { start: chunk.start, end: chunk.start + chunk.count - 1, found: chunk.found };
            nextToYield = c.end + 1;
            await this.verifier?.take(chunk.start, chunk.hashes);
            yield c;
            chunk = done.get(nextToYield);
          }
          continue;
        }
        if (inFlight.size === 0) {
          if (failure !== null) throw failure;
          // Everything up to the tree head is read but the range goes further: wait for the log to grow.
          this.emit({ type: 'waiting-for-log', treeSize: this.sth?.treeSize ?? 0, end });
          await sleep(this.options.treeHeadRefreshMs ?? 60_000, signal);
          await this.refreshTreeHead();
          continue;
        }
        await Promise.race(inFlight.values());
      }
      if (this.verifier !== null) {
        this.verdict = await this.verifier.finish();
        this.emit({ type: 'range-verification', verification: this.verdict });
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    } finally {
      await Promise.allSettled(inFlight.values());
      if (this.ownsRoutes) await this.routes.close();
    }
  }

  /** The next request: from `from` up to the page boundary (or the batch size), within `limit`. */
  private nextRange(from: number, limit: number): Range | null {
    if (from > limit) return null;
    const size = this.pageSize ?? this.batchSize;
    const pageEnd = Math.floor(from / size) * size + size - 1;
    return { start: from, end: Math.min(limit, pageEnd, from + this.batchSize - 1) };
  }

  /** Learn the page size from a short answer: the cap it hit, aligned when it looks aligned. */
  private learnPageSize(asked: Range, count: number): void {
    const askedCount = asked.end - asked.start + 1;
    if (count >= askedCount) return;
    const boundary = asked.start + count;
    const aligned = ceilPow2(count);
    const guess = boundary % aligned === 0 && aligned <= this.batchSize ? aligned : count;
    if (this.pageSize === null || guess > this.pageSize) {
      this.pageSize = guess;
      this.stats.pageSize = guess;
      this.emit({ type: 'page-size', pageSize: guess });
    }
  }

  private checkGaveUp(reason: string): void {
    if (Date.now() - this.lastSuccess > (this.options.giveUpAfterMs ?? 30 * 60_000)) {
      throw new CtLogUnavailableError(this.options.logUrl, reason);
    }
  }

  /** GET `<log>/ct/v1/<path>` through the next route; resolves with the parsed JSON body. */
  private async getJson(path: string, route: Route): Promise<unknown> {
    this.stats.requests++;
    const timeout = this.options.requestTimeoutMs ?? 30_000;
    const signals = [AbortSignal.timeout(timeout)];
    if (this.options.signal) signals.push(this.options.signal);
    const res = await request(`${this.base}ct/v1/${path}`, {
      dispatcher: route.dispatcher,
      headers: { 'user-agent': this.options.userAgent ?? 'ctjp-worker', accept: 'application/json' },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      reset: this.options.persistentConnections === false,
      signal: AbortSignal.any(signals),
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new HttpStatusError(res.statusCode, parseRetryAfter(res.headers['retry-after']));
    }
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      await res.body.dump();
      throw new BadResponse(`body of ${declared} bytes is too large`);
    }
    const text = await res.body.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new BadResponse('body is not JSON');
    }
  }

  /** One request with every retry it takes; only a usable answer or give-up leaves here. */
  private async withRetries<T>(what: string, attempt: (route: Route) => Promise<T>, maxTries = Infinity): Promise<T> {
    const signal = this.options.signal;
    for (let tries = 1; ; tries++) {
      signal?.throwIfAborted();
      await this.pacer.take(signal);
      const route = this.routes.pick();
      let reason: string;
      try {
        const value = await attempt(route);
        this.routes.succeeded(route);
        this.pacer.succeeded();
        this.lastSuccess = Date.now();
        return value;
      } catch (err) {
        if (signal?.aborted || err instanceof ContradictoryProof) throw err;
        if (err instanceof HttpStatusError && err.status === 429) {
          this.stats.rateLimited++;
          this.routes.succeeded(route);
          const waitMs = err.retryAfterMs !== null ? Math.min(err.retryAfterMs, 10 * 60_000) : backoffDelay(tries, this.backoff);
          if (err.retryAfterMs === null) this.pacer.slowDown();
          this.pacer.pause(waitMs);
          this.emit({ type: 'rate-limited', waitMs, retryAfter: err.retryAfterMs !== null, route: route.label });
          this.checkGaveUp('429 Too Many Requests');
          continue;
        }
        if (err instanceof HttpStatusError) {
          this.routes.succeeded(route);
          reason = `${what}: HTTP ${err.status}`;
          if (err.retryAfterMs !== null) this.pacer.pause(Math.min(err.retryAfterMs, 10 * 60_000));
        } else if (err instanceof BadResponse || err instanceof CtDecodeError) {
          this.routes.succeeded(route);
          reason = `${what}: ${err.message}`;
        } else {
          const e = err as Error & { code?: string };
          reason = `${what}: ${e.code ?? e.name}${e.message ? ` ${e.message}` : ''}`;
          this.routes.failed(route, reason);
        }
      }
      if (tries >= maxTries) throw new Error(reason);
      this.stats.retries++;
      const waitMs = backoffDelay(tries, this.backoff);
      this.emit({ type: 'retry', reason, waitMs, route: route.label });
      this.checkGaveUp(reason);
      await sleep(waitMs, signal);
    }
  }

  /** Ask for the tree head; keep the largest verified one, never going back to a smaller one. */
  private async refreshTreeHead(): Promise<void> {
    const key = this.options.logKey ?? null;
    const sth = await this.withRetries('get-sth', async (route) => {
      const got = parseSth(await this.getJson('get-sth', route));
      if (key !== null && !verifySthSignature(got, key)) throw new BadResponse('tree head signature does not verify with the log key');
      return got;
    });
    if (this.sth !== null && sth.treeSize < this.sth.treeSize) {
      this.emit({ type: 'stale-tree-head', treeSize: sth.treeSize, kept: this.sth.treeSize });
      return;
    }
    this.sth = sth;
    this.stats.treeSize = sth.treeSize;
    this.emit({ type: 'tree-head', treeSize: sth.treeSize, verified: key !== null });
  }

  /** get-entries for [range.start, range.end]: at least one entry, never more than asked, all checked. */
  private async fetchRange(range: Range): Promise<FetchedRange> {
    const asked = range.end - range.start + 1;
    return this.withRetries(`get-entries ${range.start}-${range.end}`, async (route) => {
      const body = await this.getJson(`get-entries?start=${range.start}&end=${range.end}`, route);
      const entries = (body as { entries?: unknown } | null)?.entries;
      if (!Array.isArray(entries)) throw new BadResponse('no entries array');
      if (entries.length === 0) throw new BadResponse('empty entries array inside the tree');
      if (entries.length > asked) throw new BadResponse(`${entries.length} entries returned, ${asked} asked`);
      const found: FoundEntry[] = [];
      const hashes: Buffer[] = [];
      for (let i = 0; i < entries.length; i++) {
        const index = range.start + i;
        const e = entries[i] as { leaf_input?: unknown } | null;
        const b64 = e?.leaf_input;
        if (typeof b64 !== 'string') throw new BadResponse(`entry ${index} has no leaf_input`);
        const leaf = decodeBase64(b64, `entry ${index} leaf_input`);
        const decoded = decodeMerkleTreeLeaf(leaf);
        const claimed = leafIndexExtension(decoded.extensions);
        if (claimed !== null && claimed !== index) throw new BadResponse(`entry ${index} says it is entry ${claimed}`);
        if (this.verifier !== null) hashes.push(leafHash(leaf));
        if (this.keep(leaf)) found.push({ index, leafInput: b64 });
      }
      this.learnPageSize(range, entries.length);
      this.answered = true;
      this.stats.entries += entries.length;
      this.stats.found += found.length;
      return { start: range.start, count: entries.length, found, hashes };
    });
  }

  /**
   * The inclusion proof of one scanned leaf in the largest tree head held.
   * By hash first (what every RFC 6962 log serves); a log holding the same
   * leaf twice answers with the other index, so then by index.
   */
  private async proveLeaf(index: number, hash: Uint8Array): Promise<LeafProof> {
    const sth = this.sth;
    if (sth === null || index >= sth.treeSize) throw new Error(`entry ${index} is not below a verified tree head`);
    const n = sth.treeSize;
    const auditPath = (body: unknown): Uint8Array[] => {
      const path = (body as { audit_path?: unknown } | null)?.audit_path;
      if (!Array.isArray(path) || path.length > 64 || path.some((p) => typeof p !== 'string')) throw new BadResponse('no audit_path array of base64 strings');
      return path.map((p: string, i) => decodeBase64(p, `audit_path[${i}]`));
    };
    return this.withRetries(
      `inclusion proof of ${index}`,
      async (route) => {
        const byHash = await this.getJson(`get-proof-by-hash?hash=${encodeURIComponent(Buffer.from(hash).toString('base64'))}&tree_size=${n}`, route);
        const leafIndex = (byHash as { leaf_index?: unknown } | null)?.leaf_index;
        if (typeof leafIndex !== 'number') throw new BadResponse('no leaf_index in the proof');
        if (leafIndex === index) return { path: auditPath(byHash), sth };
        const byIndex = await this.getJson(`get-entry-and-proof?leaf_index=${index}&tree_size=${n}`, route);
        const leafInput = (byIndex as { leaf_input?: unknown } | null)?.leaf_input;
        if (typeof leafInput !== 'string') throw new BadResponse('no leaf_input in get-entry-and-proof');
        if (!leafHash(decodeBase64(leafInput, 'leaf_input')).equals(hash)) throw new ContradictoryProof(`the log holds another leaf at ${index} than get-entries served`);
        return { path: auditPath(byIndex), sth };
      },
      PROOF_TRIES,
    );
  }
}
