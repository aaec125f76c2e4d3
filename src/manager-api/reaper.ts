/**
 * The reaper declares workers dead after CTJP_DEAD_AFTER_S of silence and
 * turns their active leases into resume-waiting ranges starting at their last
 * confirmed position + 1. After a manager restart it waits a grace period
 * (dead-after) before reaping anyone whose silence may be the manager's own
 * downtime; workers that were already silent before the manager went down
 * (judged by the manager's own heartbeat in `settings`) are reaped at once. Each pass also lets
 * quarantined certificates that a sighting in good standing now supports count again, and audits
 * held for a worker's spooled uploads are judged again.
 */
import type { FastifyBaseLogger } from 'fastify';
import { BackgroundLoop } from './background.js';
import type { Clock } from './clock.js';
import type { Db } from '../db/connect.js';
import { inTransaction } from '../db/transaction.js';
import { heldAuditIds } from './repositories/audits.js';
import { addLogCounts } from './repositories/counters.js';
import { endLease, lockActiveLeasesOfWorker } from './repositories/leases.js';
import { releaseSupportedCertificates } from './repositories/quarantine.js';
import { getSetting, setSetting } from './repositories/settings.js';
import { lockSilentWorkers, updateWorker } from './repositories/workers.js';
import { rejudgeHeld } from './services/audit.js';

const HEARTBEAT = 'manager_heartbeat_at';
const BATCH = 200;

export interface ReaperOptions {
  db: Db;
  clock: Clock;
  deadAfterS: number;
  intervalS: number;
  log: FastifyBaseLogger;
}

export class Reaper {
  private loop: BackgroundLoop | null = null;
  private startedAt: Date;
  /** When the manager (any process) last ran the reaper before this one started. */
  private previousHeartbeat: Date | null = null;
  private started = false;

  constructor(private readonly o: ReaperOptions) {
    this.startedAt = o.clock.now();
  }

  /** Read the previous heartbeat (once) and note the start time; the grace period runs from here. */
  async init(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.startedAt = this.o.clock.now();
    const hb = await getSetting(this.o.db, HEARTBEAT);
    this.previousHeartbeat = hb ? new Date(hb) : null;
  }

  /** The silence cutoff now: workers whose last ping is older are dead. */
  cutoff(): Date | null {
    const now = this.o.clock.now().getTime();
    const deadMs = this.o.deadAfterS * 1000;
    if (now - this.startedAt.getTime() >= deadMs) return new Date(now - deadMs);
    // Within the grace period only those silent long before the manager stopped.
    if (this.previousHeartbeat) return new Date(Math.min(this.previousHeartbeat.getTime(), now) - deadMs);
    return null;
  }

  /** One pass: reap every silent worker. Returns the workers reaped. */
  async reapOnce(): Promise<number> {
    await this.init();
    const now = this.o.clock.now();
    await setSetting(this.o.db, HEARTBEAT, now.toISOString());
    await this.auditPass(now);
    const cutoff = this.cutoff();
    if (!cutoff) return 0;
    let total = 0;
    for (;;) {
      const reaped = await inTransaction(this.o.db, async (trx) => {
        const workers = await lockSilentWorkers(trx, cutoff, BATCH);
        for (const w of workers) {
          await updateWorker(trx, w.id, { state: 'dead' });
          for (const lease of await lockActiveLeasesOfWorker(trx, w.id)) await endLease(trx, lease, 'expired', now);
        }
        return workers;
      });
      for (const w of reaped) this.o.log.info({ worker: w.worker_uid, friend: w.friend_name }, 'worker silent: declared dead, its leases wait for resumption');
      total += reaped.length;
      if (reaped.length < BATCH) break;
    }
    return total;
  }

  /** Quarantine and held audits, which do not wait for the grace period. */
  private async auditPass(now: Date): Promise<void> {
    // A quarantined certificate uploaded since from another log or index by a worker in good standing counts again.
    const released = await inTransaction(this.o.db, (trx) => releaseSupportedCertificates(trx));
    if (released > 0) this.o.log.info({ released }, 'quarantined certificates confirmed by other sightings count again');
    // Audits held for a worker's spooled uploads are judged again: the uploads may have arrived.
    for (const id of await heldAuditIds(this.o.db, BATCH)) {
      await inTransaction(this.o.db, async (trx) => {
        const counts = await rejudgeHeld(trx, id, now);
        await addLogCounts(trx, counts);
      });
    }
  }

  start(): void {
    this.loop ??= new BackgroundLoop(
      () => this.reapOnce(),
      this.o.intervalS * 1000,
      (err) => this.o.log.error({ err }, 'reaper pass failed'),
    );
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }
}
