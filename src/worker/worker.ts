/**
 * The worker process: registers with the manager, takes one assignment per
 * category and scans them in parallel, uploads what it finds (spooling what
 * the manager does not take), pings with each lease's confirmed position,
 * obeys the manager's directives, and stops cleanly on request.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Assignment, Directives, LeaseReport, StretchTimestamps, UploadItem } from '../share/api/index.js';
import { RoutePool, sleep, type RangeVerification } from '../share/ct/index.js';
import { CategoryRunner, type RunnerHost } from './category-runner.js';
import { leaseVerification } from './lease-verification.js';
import type { WorkerConfig } from './config.js';
import { ManagerClient, ManagerError } from './manager-client.js';
import { WarningThrottle, formatProgressLine } from './progress.js';
import { Spool, lockSpoolDir } from './spool.js';
import { Uploader } from './uploader.js';
import { WORKER_VERSION, compareVersions, userAgent } from './version.js';

/** How long to wait before asking again when the manager has no work. */
const IDLE_WAIT_MS = 60_000;
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
