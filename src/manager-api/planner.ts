/**
 * Planning: read the catalogue (a catalogue file, or a browser log list; with a date window only
 * the shards that can hold its certificates), ask every log for its signed tree head
 * (verified when the catalogue has the key), and fix each log's target range
 * — a fraction of the tree from index 0, or the index bounds of a date
 * window found by binary search over entry timestamps. A log that does not
 * answer is marked unavailable and asked again later; it never holds up the
 * others.
 */
import type { FastifyBaseLogger } from 'fastify';
import { Rfc6962Source, TILE_WIDTH, openLogSource, type LogHttpOptions, type LogSource, type SignedTreeHead, type TreeHeadRef } from '../share/ct/index.js';
import { CatalogueError, expandArchives, firstArchive, loadCatalogue, type Catalogue } from '../share/logs/catalogue.js';
import { loadLogList, loadLogListSync, logListNeedsFetch, type LogListReading, type LogListSource } from '../share/logs/log-list.js';
import { logsForWindow, notAfterSpan } from '../share/logs/window.js';
import { BackgroundLoop } from './background.js';
import type { Clock } from './clock.js';
import { LOG_RETRY_FIRST_S, type ManagerConfig } from './config.js';
import type { Db } from '../db/connect.js';
import type { LogRow } from '../db/tables.js';
import { GROWING_WINDOW_NOTE, catalogueLogs, logsDueForCheck, markUnavailable, recordTreeHead, setPageSize, setTarget, syncCatalogue, type ReadPlace } from './repositories/logs.js';

/** Logs order entries only within the maximum merge delay: window searches widen by this on each side. */
export const MERGE_DELAY_MS = 24 * 3600 * 1000;
const PAGE_PROBE = 1024;
const CHECK_CONCURRENCY = 8;

export interface PlanOutcome {
  name: string;
  available: boolean;
  target_end: number | null;
  note: string | null;
}

export interface PlannerOptions {
  db: Db;
  config: ManagerConfig;
  clock: Clock;
  log: FastifyBaseLogger;
  /** How the manager talks to logs (tests: fewer tries, shorter backoff). */
  clientOptions?: LogHttpOptions;
  /** Tile level of one archive zip's subtree (tests; real archives: 2). */
  archiveSubtreeLevel?: number;
  /** Random numbers in [0, 1) for the jitter of retry waits (tests: a constant). */
  random?: () => number;
}

/** Retry waits vary by up to this share either way, so that logs that failed together are not asked together again. */
const RETRY_JITTER = 0.2;

/**
 * The wait before asking again a log that has just failed its tree head: LOG_RETRY_FIRST_S after it
 * last answered (or when it never was asked), otherwise twice the wait that has just ended, with
 * jitter, and never longer than --log-retry. A dropped connection thus costs seconds, while a log
 * that is gone is asked every --log-retry after a few minutes.
 */
export function retryWaitMs(previousWaitMs: number | null, maxMs: number, random: () => number = Math.random): number {
  const base = previousWaitMs === null ? LOG_RETRY_FIRST_S * 1000 : previousWaitMs * 2;
  return Math.round(Math.min(maxMs, base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random())));
}

/**
 * The wait that ended with this check, when the log was already failing: it is kept in the
 * database (next_check_at − checked_at of the failed check), so every manager sharing the database
 * and a restarted one go on from it. Null when the log answered its last check or never was asked.
 */
export function failedWaitMs(log: Pick<LogRow, 'available' | 'checked_at' | 'next_check_at'>): number | null {
  if (log.available !== 0 || log.checked_at === null || log.next_check_at === null) return null;
  const ms = new Date(log.next_check_at).getTime() - new Date(log.checked_at).getTime();
  return ms > 0 ? ms : null;
}

/**
 * The places a log can be read from, in the order tried: a live log only at its own URL; a
 * shut-down log at each mirror, then its archives, and at its own URL only when it has neither.
 */
export function readPlaces(log: Pick<LogRow, 'shut_down' | 'mirrors' | 'archives'>): ReadPlace[] {
  const mirrors: string[] = log.mirrors ? JSON.parse(log.mirrors) : [];
  const archives: string[] = log.archives ? JSON.parse(log.archives) : [];
  if (log.shut_down !== 1 || (mirrors.length === 0 && archives.length === 0)) return [{ from: 'origin', url: null, archives: null }];
  return [
    ...mirrors.map((url): ReadPlace => ({ from: 'mirror', url, archives: null })),
    ...(archives.length > 0 ? [{ from: 'archive' as const, url: firstArchive(archives), archives }] : []),
  ];
}

export function fractionTargetEnd(treeSize: number, numerator: number, denominator: number): number {
  return Math.min(treeSize - 1, Number((BigInt(treeSize) * BigInt(numerator)) / BigInt(denominator)));
}

/** Smallest index in [0, treeSize] whose entry timestamp is >= t (treeSize when none), by binary search. */
export async function firstIndexAtOrAfter(timestampAt: (i: number) => Promise<number>, treeSize: number, t: number): Promise<{ index: number; probes: number }> {
  let lo = 0;
  let hi = treeSize;
  let probes = 0;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    probes++;
    if ((await timestampAt(mid)) >= t) hi = mid;
    else lo = mid + 1;
  }
  return { index: lo, probes };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const run = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

/**
 * The catalogue's logs that can hold certificates issued in the window (logsForWindow): all of
 * them without a window. Throws a CatalogueError when the window leaves none.
 */
export function catalogueForWindow(catalogue: Catalogue, window: ManagerConfig['window'], source: string): { catalogue: Catalogue; left: string[] } {
  if (!window) return { catalogue, left: [] };
  const kept = logsForWindow(catalogue.logs, window);
  const left = catalogue.logs.filter((l) => !kept.includes(l)).map((l) => l.name);
  if (kept.length === 0) {
    const span = notAfterSpan(window);
    throw new CatalogueError(`${source}: no log can hold certificates issued in the window ${window.text} (they expire in [${span.start.toISOString()}, ${span.end.toISOString()}), and every log's temporal_interval lies outside)`);
  }
  return { catalogue: { logs: kept }, left };
}

export class Planner {
  private loop: BackgroundLoop | null = null;
  /** Null until a log list at a URL has been fetched and read. */
  private loaded: Catalogue | null = null;
  private loading: Promise<Catalogue> | null = null;
  /** A log list at a URL that could not be fetched: the last wait, and when to fetch it again. */
  private listRetry: { waitMs: number; at: number } | null = null;

  constructor(private readonly o: PlannerOptions) {
    // A catalogue file, or a log list on disk, is read now: a bad one stops the manager at start-up.
    // A list at a URL is fetched when the catalogue is first synced, and again until that works.
    const list = this.logListSource();
    if (!list) this.loaded = this.select(loadCatalogue(o.config.logsFile), o.config.logsFile ?? 'built-in catalogue');
    else if (!logListNeedsFetch(list)) this.loaded = this.fromLogList(loadLogListSync(list));
  }

  /** The catalogue planned from, or null while a log list at a URL has not been read yet. */
  get catalogue(): Catalogue | null {
    return this.loaded;
  }

  private logListSource(): LogListSource | null {
    const c = this.o.config;
    return c.logList ? { list: c.logList, signature: c.logListSig, key: c.logListKey, extraStates: c.logListStates } : null;
  }

  private fromLogList(reading: LogListReading): Catalogue {
    const c = this.o.config;
    const skipped = reading.logs.filter((l) => l.skipped).length;
    this.o.log.info({ logList: c.logList, kind: reading.kind, version: reading.version, signed: c.logListSig !== null, logs: reading.catalogue.logs.length, skipped }, 'log list read');
    return this.select(reading.catalogue, c.logList ?? 'log list');
  }

  private select(catalogue: Catalogue, source: string): Catalogue {
    const { catalogue: kept, left } = catalogueForWindow(catalogue, this.o.config.window, source);
    if (left.length > 0) this.o.log.info({ window: this.o.config.window?.text, kept: kept.logs.length, left }, 'logs whose temporal interval cannot hold certificates issued in the window are left out');
    return kept;
  }

  /** The catalogue, reading a log list at a URL first when it has not been read yet. */
  async loadCatalogue(): Promise<Catalogue> {
    if (this.loaded) return this.loaded;
    this.loading ??= loadLogList(this.logListSource()!)
      .then((reading) => (this.loaded = this.fromLogList(reading)))
      .finally(() => (this.loading = null));
    return this.loading;
  }

  /** The log source a check reads through, at one place the log is read from: the same CT reading layer as the workers'. */
  private source(log: LogRow, place: ReadPlace, pinned: TreeHeadRef | null): LogSource {
    return openLogSource({
      api: place.from === 'archive' ? 'static-ct-api' : log.api,
      url: place.url ?? log.url,
      key: log.public_key ? Buffer.from(log.public_key, 'base64') : null,
      // An archive's checkpoint carries the origin it was archived under: its own line is taken.
      origin: place.from === 'archive' ? null : log.checkpoint_origin,
      archives: place.archives ?? undefined,
      archiveSubtreeLevel: this.o.archiveSubtreeLevel,
      pinnedTreeHead: pinned,
      http: { requestTimeoutMs: this.o.config.sthTimeoutMs, maxTries: 2, backoff: { baseMs: 200, maxMs: 30_000 }, userAgent: 'ctjp-manager', ...this.o.clientOptions },
    });
  }

  /**
   * Open the log where it can be read and check its tree head: a live log at its own URL; a
   * shut-down log at its mirrors, then its archives (its origin only when it has neither). Nothing
   * but the log's key makes a tree head believable, and a mirror or archive must also serve the
   * final tree head the catalogue names, or extend the largest one seen. The first place that
   * passes is used; the errors of the others are reported together when none does.
   */
  private async openChecked(log: LogRow): Promise<{ source: LogSource; sth: SignedTreeHead; place: ReadPlace }> {
    const places = readPlaces(log);
    const final = log.final_tree_size !== null && log.final_root_hash !== null ? { treeSize: log.final_tree_size, rootHash: Buffer.from(log.final_root_hash, 'base64') } : null;
    const seen = log.tree_size !== null && log.root_hash !== null ? { treeSize: log.tree_size, rootHash: Buffer.from(log.root_hash, 'base64') } : null;
    const failures: string[] = [];
    for (const candidate of places) {
      const elsewhere = candidate.from !== 'origin';
      // An archive is first opened at its first zip alone: the checkpoint there says how many zips the tree takes.
      let place = candidate.archives ? { ...candidate, archives: [candidate.url!] } : candidate;
      let source = this.source(log, place, elsewhere ? final : null);
      try {
        let sth = await source.refreshTreeHead();
        if (candidate.archives) {
          const zips = expandArchives(candidate.archives, sth.treeSize);
          await source.close();
          place = { ...candidate, url: zips[0], archives: zips };
          source = this.source(log, place, { treeSize: sth.treeSize, rootHash: sth.rootHash });
          sth = await source.refreshTreeHead();
        }
        if (elsewhere && final === null && seen !== null) await source.checkConsistentWith(seen);
        return { source, sth, place };
      } catch (err) {
        await source.close();
        failures.push(places.length > 1 ? `${candidate.from} ${candidate.url ?? log.url}: ${(err as Error).message}` : (err as Error).message);
      }
    }
    throw new Error(failures.join('; '));
  }

  /** Write the catalogue's logs into the database (no log is asked anything). */
  async syncCatalogue(): Promise<void> {
    await syncCatalogue(this.o.db, await this.loadCatalogue());
  }

  /** Sync the catalogue into the database, then check and plan every log. */
  async planAll(force = false): Promise<PlanOutcome[]> {
    await this.syncCatalogue();
    const logs = await catalogueLogs(this.o.db);
    return mapLimit(logs, CHECK_CONCURRENCY, (log) => this.checkLog(log, force));
  }

  /** Check the logs whose next check is due (unavailable ones once their retry wait is over). */
  async checkDue(): Promise<PlanOutcome[]> {
    // A log list that could not be fetched yet: try again, with the same growing waits as a log's, and
    // plan everything once it is read.
    if (!this.loaded) return this.planWhenListDue();
    const logs = await logsDueForCheck(this.o.db, this.o.clock.now());
    return mapLimit(logs, CHECK_CONCURRENCY, (log) => this.checkLog(log, false));
  }

  private async planWhenListDue(): Promise<PlanOutcome[]> {
    const now = this.o.clock.now().getTime();
    if (this.listRetry && now < this.listRetry.at) return [];
    try {
      const outcomes = await this.planAll();
      this.listRetry = null;
      return outcomes;
    } catch (err) {
      const waitMs = retryWaitMs(this.listRetry?.waitMs ?? null, this.o.config.logRetryS * 1000, this.o.random);
      this.listRetry = { waitMs, at: now + waitMs };
      throw err;
    }
  }

  /**
   * Initial planning in the background, then a timer for due checks: as often as the first retry
   * wait, so that a log that failed once is asked again after seconds (a pass that finds nothing due
   * is one small query).
   */
  start(): void {
    const { config, log } = this.o;
    this.loop ??= new BackgroundLoop(
      (first) => (first ? this.planAll() : this.checkDue()),
      Math.min(config.logRetryS, LOG_RETRY_FIRST_S) * 1000,
      (err) => log.error({ err }, 'planning failed'),
    );
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }

  async checkLog(log: LogRow, force: boolean): Promise<PlanOutcome> {
    const { db, config, clock } = this.o;
    let source: LogSource | null = null;
    try {
      // The source verifies the tree head (get-sth or checkpoint) with the catalogue key when there is one.
      const opened = await this.openChecked(log);
      source = opened.source;
      const { sth, place } = opened;
      const now = clock.now();
      await recordTreeHead(db, log.id, sth, place, now, new Date(now.getTime() + config.logRefreshS * 1000));
      if (place.from !== 'origin' && place.from !== log.read_from) this.o.log.info({ log: log.name, from: place.from, url: place.url, treeSize: sth.treeSize }, 'shut-down log read from elsewhere');
      const treeSize = Math.max(sth.treeSize, log.tree_size ?? 0);
      if (sth.treeSize < (log.tree_size ?? 0)) this.o.log.warn({ log: log.name, served: sth.treeSize, kept: log.tree_size }, 'log served an older tree head; keeping the larger one');
      if (log.page_size === null && source.api === 'static-ct-api') {
        await setPageSize(db, log.id, TILE_WIDTH);
      } else if (log.page_size === null && treeSize > PAGE_PROBE && source instanceof Rfc6962Source) {
        const entries = await source.getEntries(0, PAGE_PROBE - 1);
        if (entries.length > 0) await setPageSize(db, log.id, entries.length);
      }
      const target = await this.target(log, source, treeSize, force);
      if (target) await setTarget(db, log.id, target);
      const end = target?.end ?? log.target_end;
      return { name: log.name, available: true, target_end: end, note: target?.note ?? log.target_note };
    } catch (err) {
      const now = clock.now();
      const message = (err as Error).message ?? String(err);
      const waitMs = retryWaitMs(failedWaitMs(log), config.logRetryS * 1000, this.o.random);
      await markUnavailable(db, log.id, message, now, new Date(now.getTime() + waitMs));
      this.o.log.warn({ log: log.name, err: message, retryInS: Math.round(waitMs / 1000) }, 'log unavailable; will retry');
      return { name: log.name, available: false, target_end: log.target_end, note: message };
    } finally {
      await source?.close();
    }
  }

  /** The target range to store, or null to keep the current one (targets are fixed once planned). */
  private async target(log: LogRow, source: LogSource, treeSize: number, force: boolean): Promise<{ start: number; end: number; mode: string; note: string } | null> {
    const { config } = this.o;
    if (treeSize === 0) return null;
    if (!config.window) {
      const f = config.targetFraction;
      const tag = `fraction ${f.text}`;
      if (!force && log.target_end !== null && log.target_mode === 'fraction' && log.target_note?.startsWith(`${tag} `)) return null;
      const end = fractionTargetEnd(treeSize, f.numerator, f.denominator);
      return { start: 0, end, mode: 'fraction', note: `${tag} of tree size ${treeSize}` };
    }
    const w = config.window;
    const tag = `window ${w.text}`;
    if (!force && log.target_end !== null && log.target_mode === 'window' && log.target_note?.startsWith(`${tag} `) && !log.target_note.includes(GROWING_WINDOW_NOTE)) return null;
    const timestampAt = (i: number): Promise<number> => source.timestampAt(i);
    const from = await firstIndexAtOrAfter(timestampAt, treeSize, w.from.getTime() - MERGE_DELAY_MS);
    const until = await firstIndexAtOrAfter(timestampAt, treeSize, w.until.getTime() + MERGE_DELAY_MS);
    const inside = until.index >= treeSize ? `; ${GROWING_WINDOW_NOTE}, re-planned as it grows` : '';
    const note = `${tag} widened by 24 h on each side (entries are ordered only within the maximum merge delay): indexes ${from.index}..${until.index - 1} of tree size ${treeSize}, ${from.probes + until.probes} probes${inside}`;
    this.o.log.info({ log: log.name }, note);
    return { start: from.index, end: until.index - 1, mode: 'window', note };
  }
}
