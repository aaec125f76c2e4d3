/**
 * The worker process: registers with the manager, takes one assignment per
 * category and scans them in parallel, uploads what it finds (spooling what
 * the manager does not take), pings with each lease's confirmed position,
 * obeys the manager's directives, and stops cleanly on request.
 *
 * What it prints is meant for a friend watching it: every lane (category)
 * from the start, one line when a lane has no work and why (again only when
 * that changes), a line per completed range and per log whose target is done,
 * and the category's ETA at this worker's rate (share-status.ts).
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Assignment, Directives, LeaseReport, StretchTimestamps, UploadItem } from '../share/api/index.js';
import { RoutePool, sleep, type RangeVerification } from '../share/ct/index.js';
import { compareVersions, versionProblem } from '../share/version.js';
import { CategoryRunner, type RunnerHost } from './category-runner.js';
import { leaseVerification } from './lease-verification.js';
import type { WorkerConfig } from './config.js';
import { ManagerClient, ManagerError } from './manager-client.js';
import { SmoothedRate, WarningThrottle, formatProgressLine } from './progress.js';
import { categoryShares, logRemaining, noWorkReason, type CategoryShare } from './share-status.js';
import { Spool, lockSpoolDir } from './spool.js';
import { sharedAbortController } from './shared-abort.js';
import { Uploader } from './uploader.js';
import { WORKER_VERSION, userAgent } from './version.js';

/** How long to wait before asking again when the manager has no work. */
const IDLE_WAIT_MS = 60_000;
/** How often the manager's status is read for the categories' remaining targets. */
const SHARE_REFRESH_MS = 60_000;
/** After a completed range the status is read again soon (for "target done"), but not more often than this. */
const SHARE_MIN_GAP_MS = 5_000;
/** How long the manager answers the status from its cache (src/manager-api/routes/status.ts), with a margin. */
const STATUS_CACHE_MS = 1_500;
/** The whole shutdown must fit in this. */
const SHUTDOWN_BUDGET_MS = 9_000;

const DEFAULT_DIRECTIVES: Directives = { paused: false, min_worker_version: null, ping_interval_s: 30, upload_max_items: 500, slow_logs: [] };

export interface WorkerOutput {
  line: (text: string) => void;
  warn: (text: string) => void;
}

export class Worker implements RunnerHost {
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
  /** A wake-up that came while the finder was asking (a lease released meanwhile): it asks again at once. */
  private finderWoken = false;
  private pauseWaiters: (() => void)[] = [];
  private readonly stopController = sharedAbortController();
  private unlock: (() => Promise<void>) | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private idleAnswered = false;
  /** The categories' remaining targets from the last status read, or null before the first. */
  private shares: Map<string, CategoryShare> | null = null;
  /** Each category's scanned counter when that status was read (its own progress since is subtracted). */
  private scannedAtShare = new Map<string, number>();
  private shareTimer: NodeJS.Timeout | null = null;
  private shareSoon: NodeJS.Timeout | null = null;
  private shareReading: Promise<void> | null = null;
  private shareReadAt = 0;
  private shareFailing = false;
  /** Per category: this worker's smoothed rate and the counter it was last sampled at. */
  private readonly categoryRates = new Map<string, { rate: SmoothedRate; scanned: number; at: number }>();
  /** The reason last printed for each category without work ('*': the whole worker); printed again only when it changes. */
  private readonly noWork = new Map<string, string>();
  /** Logs this worker scanned a range of, and those whose whole target it already announced. */
  private readonly logsWorked = new Set<string>();
  private readonly targetsAnnounced = new Set<string>();
  private firstStatusPrinted = false;
  private exitCode = 0;
  private done!: Promise<number>;
  private finish!: (code: number) => void;

  constructor(
    readonly config: WorkerConfig,
    private readonly out: WorkerOutput = { line: (t) => console.log(t), warn: (t) => console.error(t) },
  ) {
    this.throttle = new WarningThrottle(out.warn, 30_000);
    this.routes = new RoutePool(config.proxies, { onWarning: (m) => this.warn('proxy', m), connectionsPerHost: Math.max(32, (config.inFlight ?? 0) * 2) });
    this.client = new ManagerClient({ baseUrl: config.managerUrl, token: config.token, userAgent: userAgent(config.name, config.contact) });
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

  minIntervalFor(a: Assignment): number {
    return Math.max(a.min_interval_ms ?? 0, this.slowLogInterval(a.log_name));
  }

  async deliver(category: string, items: UploadItem[]): Promise<void> {
    await this.uploader.deliver(category, items);
  }

  get uploadMaxItems(): number {
    return this.uploader.maxItems;
  }

  get friendName(): string {
    return this.config.name;
  }

  /** The friend's own contact wins over the one the manager's operator set. */
  get userAgent(): string {
    return userAgent(this.config.name, this.config.contact ?? this.directives.contact ?? null);
  }

  leaseReleased(): void {
    this.wakeFinder();
  }

  /** A minimum that is not a semantic version cannot be met or missed here; the manager, which checks every worker, decides then. */
  private get updateRequired(): boolean {
    const min = this.directives.min_worker_version;
    return min !== null && versionProblem(min) === null && compareVersions(WORKER_VERSION, min) < 0;
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
    if (this.finderWake) this.finderWake();
    else this.finderWoken = true;
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
      // The lanes (categories) are known before the first progress lines.
      await this.readShare();
      this.shareTimer = setInterval(() => void this.readShare(), SHARE_REFRESH_MS);
      this.shareTimer.unref();
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
      const after = busy.map((r, i) => ({ lease_id: leases[i].lease_id, confirmed: r.confirmed, ...r.stretchTimestamps() }));
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
  async completeLease(a: Assignment, scans: readonly RangeVerification[], stretch: StretchTimestamps): Promise<boolean> {
    try {
      const verification = leaseVerification(a.start, a.end, scans);
      await this.client.complete({ worker_id: this.workerId, lease_id: a.lease_id, verification, ...stretch });
      this.out.line(`✅ ${a.log_name}: range ${a.start.toLocaleString('en-US')}–${a.end.toLocaleString('en-US')} done (lease ${a.lease_id})`);
      this.readShareSoon();
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
      this.finderWoken = false;
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
            this.logsWorked.add(a.log_name);
            r.start(a);
          }
          this.idleAnswered = res.idle;
          const exiting = this.config.exitWhenIdle && res.idle && ![...this.runners.values()].some((r) => r.busy);
          // The last range's "target done" line comes before "the collection is finished".
          if (exiting) await this.finalShare();
          this.reportNoWork(res.idle, res.assignments.map((a) => a.category), anyBusy ? idleRunners.map((r) => r.category) : [...this.runners.keys()]);
          if (!this.firstStatusPrinted) this.printStatus();
          if (res.assignments.length > 0) continue;
          if (exiting) {
            await this.exitWhenIdle();
            return;
          }
        } catch (err) {
          failures++;
          this.warn('instructions', `cannot get instructions (${(err as Error).message}); asking again soon`);
          wait = Math.min(IDLE_WAIT_MS, 2_000 * 2 ** Math.min(5, failures));
        }
      }
      if (this.finderWoken) continue;
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

  /**
   * One line per change: which categories got nothing and why. A category that gets work forgets
   * its reason, so the next time it runs dry is said again.
   */
  private reportNoWork(idle: boolean, assigned: string[], asked: string[]): void {
    for (const c of assigned) this.noWork.delete(c);
    if (assigned.length > 0) this.noWork.delete('*');
    const busy = new Set([...this.runners.values()].filter((r) => r.busy).map((r) => r.category));
    const dry = asked.filter((c) => !assigned.includes(c) && !busy.has(c));
    if (idle) {
      // The whole collection: one line, whatever the lanes.
      const reason = noWorkReason(true, undefined);
      if (this.noWork.get('*') !== reason) this.out.line(`💤 no work: ${reason}${this.config.exitWhenIdle ? '' : '; waiting in case the manager plans more'}`);
      this.noWork.clear();
      this.noWork.set('*', reason);
      for (const c of dry) this.noWork.set(c, reason);
      return;
    }
    if (this.noWork.get('*') === noWorkReason(true, undefined)) this.noWork.delete('*');
    if (dry.length === 0 && asked.length === 0 && assigned.length === 0 && busy.size === 0) dry.push('*');
    const changed = new Map<string, string[]>();
    for (const c of dry) {
      const share = c === '*' ? undefined : this.shares?.get(c);
      // The last status read may predate this worker's own last ranges: count them.
      const reason = noWorkReason(false, share && { ...share, remaining: this.categoryRemaining(c) ?? share.remaining });
      if (this.noWork.get(c) === reason) continue;
      this.noWork.set(c, reason);
      changed.set(reason, [...(changed.get(reason) ?? []), c]);
    }
    for (const [reason, cats] of changed) this.out.line(`💤 ${cats.includes('*') ? 'no work for now' : `no work for ${cats.join(', ')}`}: ${reason}`);
  }

  /** Read the manager's status: the lanes, each category's remaining target, logs whose target got done. */
  private readShare(): Promise<void> {
    this.shareReading ??= (async () => {
      try {
        // Counted when asked: what this worker scans while the answer is on its way is not in it.
        const scannedBefore = new Map([...this.runners.values()].map((r) => [r.category, r.totals.scanned]));
        const { logs } = await this.client.status(10_000);
        this.shareReadAt = Date.now();
        this.shares = categoryShares(logs);
        for (const c of this.shares.keys()) this.runner(c);
        this.scannedAtShare = new Map([...this.runners.keys()].map((c) => [c, scannedBefore.get(c) ?? 0]));
        for (const l of logs) {
          if (!this.logsWorked.has(l.name) || this.targetsAnnounced.has(l.name) || logRemaining(l) !== 0) continue;
          this.targetsAnnounced.add(l.name);
          this.out.line(`🏁 ${l.name}: its whole target (indexes ${l.target_start.toLocaleString('en-US')}–${(l.target_end ?? 0).toLocaleString('en-US')}) is scanned`);
        }
        this.shareFailing = false;
      } catch (err) {
        // Only the ETA and the reasons get vaguer; scanning does not depend on it. Said once, not every minute.
        if (!this.shareFailing) this.warn('status', `cannot read the manager's status for the category ETA (${(err as Error).message}); trying again every minute`);
        this.shareFailing = true;
      } finally {
        this.shareReading = null;
      }
    })();
    return this.shareReading;
  }

  /** A range completed: read the status again soon, so a finished target is announced. */
  private readShareSoon(): void {
    if (this.shareSoon || this.stopping) return;
    const wait = Math.max(0, this.shareReadAt + SHARE_MIN_GAP_MS - Date.now());
    this.shareSoon = setTimeout(() => {
      this.shareSoon = null;
      void this.readShare();
    }, wait);
    this.shareSoon.unref();
  }

  /** Entries of the category's target left: the last status, less what this worker scanned since. */
  private categoryRemaining(category: string): number | null {
    const share = this.shares?.get(category);
    // A log not planned yet has a target nobody knows: "done" would be wrong.
    if (!share || (share.remaining === 0 && share.unplanned.length > 0)) return null;
    const since = (this.runners.get(category)?.totals.scanned ?? 0) - (this.scannedAtShare.get(category) ?? 0);
    return Math.max(0, share.remaining - Math.max(0, since));
  }

  /** This worker's rate in the category, sampled at each status line while it scans there. */
  private categoryRate(category: string, scanned: number, busy: boolean, now: number): number {
    let c = this.categoryRates.get(category);
    if (!c) {
      c = { rate: new SmoothedRate(), scanned, at: now };
      this.categoryRates.set(category, c);
    } else {
      // Time spent waiting for work is not counted: the rate is what this worker does while it has some.
      if (busy || scanned > c.scanned) c.rate.add(scanned - c.scanned, now - c.at);
      c.scanned = scanned;
      c.at = now;
    }
    return c.rate.perSecond;
  }

  /** A last status read before exiting. The manager keeps a status for a second: a read just before would be answered from it. */
  private async finalShare(): Promise<void> {
    await sleep(Math.max(0, this.shareReadAt + STATUS_CACHE_MS - Date.now()), this.stopController.signal).catch(() => {});
    await this.readShare();
  }

  private async exitWhenIdle(): Promise<void> {
    this.out.line('✅ delivering the spool and exiting (--exit-when-idle)');
    for (let i = 0; i < 12 && this.uploader.spool.size > 0 && !this.stopping; i++) {
      if (await this.uploader.drain().catch(() => false)) break;
      await sleep(5_000, this.stopController.signal).catch(() => {});
    }
    if (this.uploader.spool.size > 0) this.out.warn(`⚠️  ${this.uploader.spool.itemCount} items stay in the spool (${this.config.spoolDir}); they are sent at the next start`);
    await this.shutdown('idle', 0);
  }

  /** Each held lease's position, with the timestamps of the stretch since the position the manager last took. */
  private leaseReports(): LeaseReport[] {
    return [...this.runners.values()].filter((r) => r.busy).map((r) => ({ lease_id: r.lease!.lease_id, confirmed: r.confirmed, collected: r.collectedInLease, ...r.stretchTimestamps(r.confirmed) }));
  }

  /** The manager took these reports: the next stretch of each lease starts after it. */
  private acknowledge(reports: readonly LeaseReport[]): void {
    const byLease = new Map(reports.map((l) => [l.lease_id, l.confirmed]));
    for (const r of this.runners.values()) {
      const confirmed = r.lease ? byLease.get(r.lease.lease_id) : undefined;
      if (confirmed !== undefined) r.acknowledge(r.lease!.lease_id, confirmed);
    }
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
      if (r.awaitingCompletion && r.lease && (await this.completeLease(r.lease, r.verifications, r.stretchTimestamps(r.lease.end)))) r.release();
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
      const sent = body();
      const res = await this.client.ping(sent);
      this.acknowledge(sent.leases);
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
        const sent = body();
        await this.client.ping(sent).then(
          (res) => {
            this.acknowledge(sent.leases);
            this.applyDirectives(res.directives);
          },
          () => {},
        );
        return;
      }
      this.warn('ping', `ping failed (${(err as Error).message}); scanning goes on`);
    }
  }

  private printStatus(): void {
    this.firstStatusPrinted = true;
    const now = Date.now();
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
            categoryRemaining: this.categoryRemaining(r.category),
            categoryRate: this.categoryRate(r.category, r.totals.scanned, r.busy, now),
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
    if (this.shareTimer) clearInterval(this.shareTimer);
    if (this.shareSoon) clearTimeout(this.shareSoon);
    this.uploader?.stop();
    const busy = [...this.runners.values()].filter((r) => r.busy);
    // Leave at least 2.5 s for the termination call.
    await Promise.race([Promise.all(busy.map((r) => r.stop('shutdown'))), sleep(Math.max(0, deadline - Date.now() - 2_500))]);
    const leases = busy.map((r) => ({ lease_id: r.lease!.lease_id, confirmed: r.confirmed, ...r.stretchTimestamps() }));
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
