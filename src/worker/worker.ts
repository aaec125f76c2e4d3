/**
 * The worker process: registers with the manager, takes one assignment per
 * category and scans them in parallel, uploads what it finds (spooling what
 * the manager does not take), pings with each lease's confirmed position,
 * obeys the manager's directives, and stops cleanly on request.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Assignment, Directives, UploadItem } from '../share/api/index.js';
import { sleep } from './backoff.js';
import { CtLogCollector, CtLogUnavailableError, type CollectorEvent, type ScannedChunk } from './collector.js';
import { leaseVerification, type RangeVerification } from './range-verifier.js';
import type { WorkerConfig } from './config.js';
import { ManagerClient, ManagerError } from './manager-client.js';
import { knownLogKey } from './log-keys.js';
import { politenessFor } from './politeness.js';
import { RateMeter, WarningThrottle, formatProgressLine } from './progress.js';
import { RoutePool } from './routes.js';
import { Spool, lockSpoolDir } from './spool.js';
import { Uploader } from './uploader.js';
import { WORKER_VERSION, compareVersions, userAgent } from './version.js';

/** Upload the `.jp` entries found so far at least this often. */
const FLUSH_EVERY_MS = 15_000;
/** How long to wait before asking again when the manager has no work. */
const IDLE_WAIT_MS = 60_000;
/** Pause before scanning a log again after it stopped answering. */
const LOG_RETRY_MS = 5 * 60_000;
/** The whole shutdown must fit in this. */
const SHUTDOWN_BUDGET_MS = 9_000;

const DEFAULT_DIRECTIVES: Directives = { paused: false, min_worker_version: null, ping_interval_s: 30, upload_max_items: 500, slow_logs: [] };

export interface WorkerOutput {
  line: (text: string) => void;
  warn: (text: string) => void;
}

interface Counters {
  requests: number;
  scanned: number;
  found: number;
  uploaded: number;
  rateLimited: number;
}

/** Scans the assignments of one category, one after the other. */
class CategoryRunner {
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
  readonly totals: Counters = { requests: 0, scanned: 0, found: 0, uploaded: 0, rateLimited: 0 };
  readonly meter = new RateMeter();
  private controller: AbortController | null = null;
  private collector: CtLogCollector | null = null;
  private task: Promise<void> | null = null;
  private stopReason: 'shutdown' | 'stale' | 'released' | null = null;

  constructor(
    readonly category: string,
    private readonly worker: Worker,
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
    this.stopReason = null;
    this.controller = new AbortController();
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
    if (this.stopReason === null && this.confirmed >= a.end && !(await w.completeLease(a))) {
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
    this.worker.wakeFinder();
  }

  private async scanFrom(a: Assignment, start: number, signal: AbortSignal): Promise<void> {
    const w = this.worker;
    const polite = politenessFor(a.log_url, { minRequestIntervalMs: w.config.minRequestIntervalMs, inFlight: w.config.inFlight, routes: w.routes.size });
    const collector = new CtLogCollector({
      logUrl: a.log_url,
      start,
      end: a.end,
      batchSize: w.config.batchSize,
      pageSize: a.page_size,
      maxInFlight: polite.maxInFlight,
      routes: w.routes,
      userAgent: userAgent(w.config.name),
      // The manager's catalogue key first (it is what the manager verified), the built-in one otherwise.
      logKey: a.log_key ? Buffer.from(a.log_key, 'base64') : knownLogKey(a.log_url),
      minRequestIntervalMs: Math.max(polite.minRequestIntervalMs, a.min_interval_ms ?? 0, w.slowLogInterval(a.log_name)),
      persistentConnections: polite.persistentConnections,
      signal,
      onEvent: (e) => this.onEvent(a, e),
    });
    this.collector = collector;
    let pending: UploadItem[] = [];
    let pendingSince = 0;
    let scannedThrough = start - 1;
    let lastRequests = 0;
    let lastRateLimited = 0;
    const flush = async (): Promise<void> => {
      const through = scannedThrough;
      const items = pending;
      pending = [];
      if (items.length > 0) await w.uploader.deliver(this.category, items);
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
        this.take(chunk, a, (items) => {
          if (pending.length === 0) pendingSince = Date.now();
          pending.push(...items);
        });
        scannedThrough = chunk.end;
        this.position = chunk.end + 1;
        account();
        if (pending.length === 0) this.confirmed = scannedThrough;
        else if (pending.length >= w.uploader.maxItems || Date.now() - pendingSince >= FLUSH_EVERY_MS) await flush();
      }
      if (!signal.aborted) this.verifications.push(collector.verification);
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
        friend_name: this.worker.config.name,
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

export class Worker {
  readonly routes: RoutePool;
  readonly client: ManagerClient;
  uploader!: Uploader;
  private readonly runners = new Map<string, CategoryRunner>();
  private readonly throttle: WarningThrottle;
  private directives: Directives = DEFAULT_DIRECTIVES;
  private workerId = '';
  private stopping = false;
  private updateNoticeShown = false;
  private finderWake: (() => void) | null = null;
  private pauseWaiters: (() => void)[] = [];
  private readonly stopController = new AbortController();
  private unlock: (() => Promise<void>) | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private idleAnswered = false;
  private exitCode = 0;
  private done!: Promise<number>;
  private finish!: (code: number) => void;

  constructor(
    readonly config: WorkerConfig,
    private readonly out: WorkerOutput = { line: (t) => console.log(t), warn: (t) => console.error(t) },
  ) {
    this.throttle = new WarningThrottle(out.warn, 30_000);
    this.routes = new RoutePool(config.proxies, { onWarning: (m) => this.warn('proxy', m), connectionsPerHost: Math.max(8, config.inFlight * 2) });
    this.client = new ManagerClient({ baseUrl: config.managerUrl, token: config.token, userAgent: userAgent(config.name) });
  }

  warn(key: string, message: string): void {
    this.throttle.warn(key, message);
  }

  get id(): string {
    return this.workerId;
  }

  slowLogInterval(logName: string): number {
    return this.directives.slow_logs.find((s) => s.log_name === logName)?.min_interval_ms ?? 0;
  }

  private get updateRequired(): boolean {
    const min = this.directives.min_worker_version;
    return min !== null && compareVersions(WORKER_VERSION, min) < 0;
  }

  /** Resolves at once unless the manager paused scanning (or asked for an update); then waits until it no longer does. */
  async whileNotPaused(signal: AbortSignal): Promise<void> {
    while ((this.directives.paused || this.updateRequired) && !signal.aborted) {
      await new Promise<void>((resolve) => {
        this.pauseWaiters.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  wakeFinder(): void {
    this.finderWake?.();
  }

  /** Runs until stopped; resolves with the process exit code. */
  async run(): Promise<number> {
    this.done = new Promise((resolve) => (this.finish = resolve));
    this.unlock = await lockSpoolDir(this.config.spoolDir);
    const spool = await Spool.open<UploadItem>(this.config.spoolDir, {
      maxBytes: this.config.spoolMaxBytes,
      retryIntervalMs: this.config.spoolRetryMs,
      onWarning: (m) => this.warn('spool', m),
    });
    this.uploader = new Uploader(this.client, spool, {
      maxItems: DEFAULT_DIRECTIVES.upload_max_items,
      onWarning: (k, m) => this.warn(k, m),
      onAccepted: (category, n) => {
        this.runner(category).totals.uploaded += n;
      },
    });
    this.workerId = await this.loadWorkerId();
    this.out.line(`ctjp-worker ${WORKER_VERSION} as "${this.config.name}" (id ${this.workerId}) → ${this.config.managerUrl}`);
    this.out.line(`routes: ${this.routes.size === 1 && this.config.proxies.length === 0 ? 'direct' : `${this.config.proxies.length} proxies`}; spool: ${this.config.spoolDir}${spool.size > 0 ? ` (${spool.itemCount} items waiting from an earlier run)` : ''}`);
    this.uploader.start(Math.min(30_000, Math.max(1_000, Math.floor(this.config.spoolRetryMs / 4))));
    this.statusTimer = setInterval(() => this.printStatus(), this.config.statusIntervalMs);
    this.statusTimer.unref();

    await this.register();
    if (!this.stopping) {
      void this.pingLoop();
      void this.findWorkLoop();
    }
    return this.done;
  }

  private async loadWorkerId(): Promise<string> {
    const file = join(this.config.spoolDir, 'worker-id');
    const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
    if (/^[A-Za-z0-9._:-]{1,64}$/.test(existing)) return existing;
    const base = this.config.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'worker';
    const id = `${base}-${randomBytes(6).toString('hex')}`;
    await writeFile(file, `${id}\n`, { mode: 0o600 });
    return id;
  }

  private identity() {
    return { worker_id: this.workerId, friend_name: this.config.name, version: WORKER_VERSION };
  }

  private async register(): Promise<void> {
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        const res = await this.client.register(this.identity());
        this.applyDirectives(res.directives);
        return;
      } catch (err) {
        if (err instanceof ManagerError && (err.status === 401 || err.status === 403)) {
          this.out.warn(`⛔ the manager refused this worker: ${err.message}. Check --token / CTJP_TOKEN and that --name matches the name the token was issued for.`);
        } else {
          this.warn('register', `cannot register with the manager yet (${(err as Error).message}); trying again`);
        }
        await sleep(Math.min(60_000, 2_000 * attempt), this.stopController.signal).catch(() => {});
      }
    }
  }

  private applyDirectives(d: Directives): void {
    const wasHeld = this.directives.paused || this.updateRequired;
    const wasPaused = this.directives.paused;
    this.directives = d;
    this.uploader.maxItems = Math.max(1, Math.min(d.upload_max_items || DEFAULT_DIRECTIVES.upload_max_items, 1000));
    if (d.paused && !wasPaused) this.out.warn('⏸️  the manager paused scanning; waiting for it to resume (uploads and pings go on)');
    if (!d.paused && wasPaused) this.out.line('▶️  the manager resumed scanning');
    if (this.updateRequired && !this.updateNoticeShown) {
      this.updateNoticeShown = true;
      this.out.warn(
        `⛔ the manager requires ctjp-worker ${d.min_worker_version} or newer (this is ${WORKER_VERSION}). Scanning has stopped. ` +
          'Update: git pull && npm ci (Node), download the new ctjp-worker.mjs, or docker pull the image; then start the worker again.',
      );
      void this.releaseAll();
    }
    if (!this.updateRequired) this.updateNoticeShown = false;
    const held = d.paused || this.updateRequired;
    if (wasHeld && !held) {
      for (const resolve of this.pauseWaiters.splice(0)) resolve();
      this.wakeFinder();
    }
    for (const r of this.runners.values()) {
      if (r.lease) r.setMinInterval(Math.max(this.config.minRequestIntervalMs, r.lease.min_interval_ms ?? 0, this.slowLogInterval(r.lease.log_name)));
    }
  }

  /** An update is required: give every lease back so that up-to-date workers take them. */
  private async releaseAll(): Promise<void> {
    const busy = [...this.runners.values()].filter((r) => r.busy);
    const leases = busy.map((r) => ({ lease_id: r.lease!.lease_id, confirmed: r.confirmed }));
    await Promise.all(busy.map((r) => r.stop('released')));
    if (leases.length > 0) {
      const after = busy.map((r, i) => ({ lease_id: leases[i].lease_id, confirmed: r.confirmed }));
      await this.client.terminate({ worker_id: this.workerId, leases: after, spool_backlog: this.uploader.spool.itemCount }, 10_000).catch((err: unknown) => {
        this.warn('terminate', `could not give the leases back: ${(err as Error).message}`);
      });
    }
  }

  private runner(category: string): CategoryRunner {
    let r = this.runners.get(category);
    if (!r) {
      r = new CategoryRunner(category, this);
      this.runners.set(category, r);
    }
    return r;
  }

  /** Report a lease as done; false when the manager could not be reached (the pings retry it). */
  async completeLease(a: Assignment): Promise<boolean> {
    try {
      const verification = leaseVerification(a.start, a.end, this.runner(a.category).verifications);
      await this.client.complete({ worker_id: this.workerId, lease_id: a.lease_id, verification });
      return true;
    } catch (err) {
      if (err instanceof ManagerError && !err.retriable) {
        this.warn('complete', `the manager did not take the completion of ${a.log_name} ${a.start}-${a.end}: ${err.message}`);
        return true;
      }
      this.warn('complete', `cannot report ${a.log_name} ${a.start}-${a.end} as done yet (${(err as Error).message}); retrying with the next ping`);
      return false;
    }
  }

  /**
   * The only place that asks for instructions. While the worker holds no
   * lease it asks for every category (and so learns them); otherwise only
   * for the categories without work, because asking for a category ends the
   * lease held in it.
   */
  private async findWorkLoop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let wait = IDLE_WAIT_MS;
      const held = this.directives.paused || this.updateRequired;
      const idleRunners = [...this.runners.values()].filter((r) => !r.busy);
      const anyBusy = [...this.runners.values()].some((r) => r.busy);
      if (!held && (!anyBusy || idleRunners.length > 0)) {
        try {
          const res = await this.client.instructions({ ...this.identity(), ...(anyBusy ? { categories: idleRunners.map((r) => r.category) } : {}) });
          failures = 0;
          this.applyDirectives(res.directives);
          for (const a of res.assignments) {
            const r = this.runner(a.category);
            if (r.busy) continue;
            this.out.line(`${a.category}: ${a.resumed ? 'resuming' : 'scanning'} ${a.log_name} ${a.start.toLocaleString('en-US')}–${a.end.toLocaleString('en-US')} (lease ${a.lease_id})`);
            r.start(a);
          }
          this.idleAnswered = res.idle;
          if (res.assignments.length > 0) continue;
          if (this.config.exitWhenIdle && res.idle && ![...this.runners.values()].some((r) => r.busy)) {
            await this.exitWhenIdle();
            return;
          }
        } catch (err) {
          failures++;
          this.warn('instructions', `cannot get instructions (${(err as Error).message}); asking again soon`);
          wait = Math.min(IDLE_WAIT_MS, 2_000 * 2 ** Math.min(5, failures));
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        this.finderWake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.finderWake = null;
    }
  }

  private async exitWhenIdle(): Promise<void> {
    this.out.line('✅ the manager has no work left; delivering the spool and exiting');
    for (let i = 0; i < 12 && this.uploader.spool.size > 0 && !this.stopping; i++) {
      if (await this.uploader.drain().catch(() => false)) break;
      await sleep(5_000, this.stopController.signal).catch(() => {});
    }
    if (this.uploader.spool.size > 0) this.out.warn(`⚠️  ${this.uploader.spool.itemCount} items stay in the spool (${this.config.spoolDir}); they are sent at the next start`);
    await this.shutdown('idle', 0);
  }

  private leaseReports() {
    return [...this.runners.values()].filter((r) => r.busy).map((r) => ({ lease_id: r.lease!.lease_id, confirmed: r.confirmed, collected: r.collectedInLease }));
  }

  private async pingLoop(): Promise<void> {
    while (!this.stopping) {
      await sleep(Math.max(1, this.directives.ping_interval_s) * 1000, this.stopController.signal).catch(() => {});
      if (this.stopping) return;
      await this.pingOnce();
    }
  }

  async pingOnce(): Promise<void> {
    for (const r of this.runners.values()) {
      if (r.awaitingCompletion && r.lease && (await this.completeLease(r.lease))) r.release();
    }
    const totals = [...this.runners.values()].reduce((s, r) => ({ found: s.found + r.totals.found, rl: s.rl + r.totals.rateLimited }), { found: 0, rl: 0 });
    const body = () => ({
      worker_id: this.workerId,
      version: WORKER_VERSION,
      leases: this.leaseReports(),
      spool_backlog: this.uploader.spool.itemCount,
      rate_limited: totals.rl,
      collected: totals.found,
    });
    try {
      const res = await this.client.ping(body());
      this.applyDirectives(res.directives);
    } catch (err) {
      if (err instanceof ManagerError && err.status === 409) {
        const stale = new Set(err.staleLeases);
        for (const r of this.runners.values()) {
          if (r.lease && stale.has(r.lease.lease_id)) {
            this.warn(`stale-${r.category}`, `${r.category}: the manager gave lease ${r.lease.lease_id} (${r.lease.log_name}) to someone else; dropping it`);
            await r.stop('stale');
          }
        }
        await this.client.ping(body()).then(
          (res) => this.applyDirectives(res.directives),
          () => {},
        );
        return;
      }
      this.warn('ping', `ping failed (${(err as Error).message}); scanning goes on`);
    }
  }

  private printStatus(): void {
    const width = Math.max(8, ...[...this.runners.keys()].map((k) => k.length));
    for (const r of [...this.runners.values()].sort((a, b) => a.category.localeCompare(b.category))) {
      const note = this.directives.paused
        ? 'paused by the manager'
        : this.updateRequired
          ? 'update required'
          : r.busy
            ? null
            : this.idleAnswered
              ? 'no work left'
              : 'waiting for work';
      this.out.line(
        formatProgressLine(
          {
            category: r.category,
            requests: r.totals.requests,
            uploaded: r.totals.uploaded,
            found: r.totals.found,
            scanned: r.totals.scanned,
            index: r.position,
            remaining: r.lease && r.position !== null ? Math.max(0, r.lease.end - r.position + 1) : null,
            rate: r.meter.perSecond(),
            note,
          },
          width,
        ),
      );
    }
    const spool = this.uploader.spool;
    if (spool.size > 0) this.out.line(`${'spool'.padEnd(width)} 📦 ${spool.itemCount.toLocaleString('en-US')} items in ${spool.size} units waiting for the manager`);
  }

  /**
   * Stop: no more fetching, a last upload attempt of what was found (spooled
   * otherwise), the leases reported to the termination endpoint, then exit.
   * Everything fits in 10 seconds.
   */
  async shutdown(reason: string, code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.exitCode = code;
    const deadline = Date.now() + SHUTDOWN_BUDGET_MS;
    const hard = setTimeout(() => this.finish(code === 0 ? 1 : code), SHUTDOWN_BUDGET_MS + 500);
    hard.unref();
    if (reason !== 'idle') this.out.line(`🛑 stopping (${reason}): finishing uploads and telling the manager…`);
    this.stopController.abort(new Error('stopping'));
    this.wakeFinder();
    for (const resolve of this.pauseWaiters.splice(0)) resolve();
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.uploader?.stop();
    const busy = [...this.runners.values()].filter((r) => r.busy);
    // Leave at least 2.5 s for the termination call.
    await Promise.race([Promise.all(busy.map((r) => r.stop('shutdown'))), sleep(Math.max(0, deadline - Date.now() - 2_500))]);
    const leases = busy.map((r) => ({ lease_id: r.lease!.lease_id, confirmed: r.confirmed }));
    if (this.workerId) {
      try {
        await this.client.terminate(
          { worker_id: this.workerId, leases, spool_backlog: this.uploader?.spool.itemCount ?? 0 },
          Math.max(500, deadline - Date.now() - 200),
        );
        this.out.line(`👋 told the manager; ${leases.length} lease(s) handed back at their confirmed positions`);
      } catch (err) {
        this.out.warn(`⚠️  could not reach the manager to say goodbye (${(err as Error).message}); it will notice on its own`);
      }
    }
    await Promise.race([Promise.all([this.routes.close(), this.client.close()]), sleep(300)]);
    await this.unlock?.().catch(() => {});
    clearTimeout(hard);
    this.finish(this.exitCode);
  }
}
