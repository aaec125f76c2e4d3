/**
 * The work protocol between manager and workers: instructions, ping,
 * completion and termination, each in short transactions that lock in one
 * order (worker, leases, ranges, logs).
 */
import type { Assignment, CompleteRequest, Directives, InstructionsRequest, InstructionsResponse, PingRequest, StretchTimestamps, TerminateRequest } from '../../share/api/index.js';
import type { Db } from '../../db/connect.js';
import { inTransaction, type Trx } from '../../db/transaction.js';
import type { LeaseRow, WorkerRow } from '../../db/tables.js';
import { ApiProblem, conflict, forbidden, notFound, unprocessable } from '../errors.js';
import { auditWorkMayAppear, eligibleAudits, type Claimant } from '../repositories/audits.js';
import { activeLeaseIdsInCategory, claimAssignment, endLease, foreignLeaseIds, lockActiveLeasesOfWorker, lockLeases, recordProgress } from '../repositories/leases.js';
import { catalogueCategories, someLogHasWorkToCome } from '../repositories/logs.js';
import { addLogCounts, type LogCounts } from '../repositories/counters.js';
import { insertCoverage, markLeaseProven, type ConfirmedStretch } from '../repositories/coverage.js';
import { compareVersions } from '../../share/version.js';
import { lockWorkerAndLeases, lockWorkerByUid, updateWorker, upsertAndLockWorker, type WorkerIdentity } from '../repositories/workers.js';
import { afterCompletion, selectForAudit, type AuditSelection } from './audit.js';

export interface WorkContext extends AuditSelection {
  db: Db;
  now: () => Date;
  assignmentSize: number;
  directives: () => Promise<Directives>;
}

function checkVersion(version: string, d: Directives): void {
  if (d.min_worker_version && compareVersions(version, d.min_worker_version) < 0) {
    throw new ApiProblem(426, 'UPGRADE_REQUIRED', `worker version ${version} is older than the minimum ${d.min_worker_version}: update the worker`);
  }
}

/** A worker id belongs to the friend who first used it; another friend using it is refused. */
function ownedBy<W extends Pick<WorkerRow, 'friend_name'>>(w: W, workerUid: string, friendName: string | null): W {
  if (friendName !== null && w.friend_name !== friendName) throw forbidden(`worker_id ${workerUid} belongs to another friend`);
  return w;
}

/** A worker that never registered cannot report (404). */
function known<W>(w: W | undefined, workerUid: string): W {
  if (!w) throw notFound('UNKNOWN_WORKER', `worker_id ${workerUid} is not registered: ask for instructions or register first`);
  return w;
}

/** A worker an audit found wrong gets no work until an operator clears it (403 WORKER_FLAGGED). */
function refuseFlagged<W extends Pick<WorkerRow, 'worker_uid' | 'flagged_at' | 'flag_reason'>>(w: W): W {
  if (w.flagged_at !== null) {
    throw new ApiProblem(403, 'WORKER_FLAGGED', `worker ${w.worker_uid} is flagged by an audit and gets no work until an operator clears it: ${w.flag_reason ?? 'see the dashboard'}`);
  }
  return w;
}

/** Create or revive a worker (locked); another friend's worker id is refused, which rolls the revival back. */
async function upsertOwnWorker(trx: Trx, identity: WorkerIdentity, now: Date): Promise<WorkerRow> {
  return ownedBy(await upsertAndLockWorker(trx, identity, now), identity.workerUid, identity.friendName);
}

/** Register a worker, or revive it. */
export async function register(ctx: WorkContext, identity: WorkerIdentity): Promise<WorkerRow> {
  return inTransaction(ctx.db, (trx) => upsertOwnWorker(trx, identity, ctx.now()));
}

/** Lock a known worker and some leases; 404 when it never registered, 403 when it is another friend's. */
async function lockOwnWorkerAndLeases(trx: Trx, workerUid: string, friendName: string | null, leaseIds: number[]) {
  const { worker, leases } = await lockWorkerAndLeases(trx, workerUid, leaseIds);
  return { worker: ownedBy(known(worker, workerUid), workerUid, friendName), leases };
}

/**
 * May work still appear for a worker that got nothing now (docs/manager-api.md, "Idle")? A log in the
 * catalogue may yield work (repositories/logs.ts, someLogHasWorkToCome); whether it answers right now
 * does not matter, except for a log the catalogue marks shut down, which counts only while it answers.
 * Leases held by other workers do not count: that work is handed out, and comes back as
 * resume-waiting ranges if its worker dies. Second scans do: one waiting that this worker may take,
 * or one that may appear for it (repositories/audits.ts, auditWorkMayAppear).
 */
async function workRemains(db: Db, worker: Claimant): Promise<boolean> {
  if (await someLogHasWorkToCome(db)) return true;
  // A second scan this worker may take later (its log answers again), or one that may yet need it: not idle.
  return (await eligibleAudits(db, null, worker)).length > 0 || (await auditWorkMayAppear(db, worker));
}

export async function giveInstructions(ctx: WorkContext, req: InstructionsRequest): Promise<InstructionsResponse> {
  // Read together (both are plain reads); the version is still judged before the categories.
  const [directives, categories] = await Promise.all([ctx.directives(), catalogueCategories(ctx.db)]);
  checkVersion(req.version, directives);
  const wanted = req.categories ?? categories;
  for (const c of wanted) if (!categories.includes(c)) throw unprocessable('UNKNOWN_CATEGORY', `categories: unknown category "${c}" (known: ${categories.join(', ')})`);
  const identity = { workerUid: req.worker_id, friendName: req.friend_name, version: req.version };
  const assignments: Assignment[] = [];
  const worker = await inTransaction(ctx.db, async (trx) => refuseFlagged(await upsertOwnWorker(trx, identity, ctx.now())));
  if (directives.paused) return { assignments, idle: false, directives };
  for (const category of wanted) {
    const claimed = await inTransaction(ctx.db, async (trx) => {
      const now = ctx.now();
      // Asking again for a category ends the lease still held in it (a restarted worker).
      for (const lease of await lockLeases(trx, await activeLeaseIdsInCategory(trx, worker.id, category)))
        if (lease.state === 'active') await endLease(trx, lease, 'released', now);
      return claimAssignment(trx, worker, category, ctx.assignmentSize, now, selectForAudit(worker, now, ctx));
    });
    if (claimed) {
      assignments.push({
        lease_id: claimed.leaseId,
        category: claimed.category,
        log_name: claimed.logName,
        log_url: claimed.logUrl,
        start: claimed.start,
        end: claimed.end,
        page_size: claimed.pageSize,
        resumed: claimed.resumed,
        min_interval_ms: claimed.minIntervalMs,
        log_key: claimed.logKey,
        log_api: claimed.logApi,
        log_origin: claimed.logOrigin,
        data_tiles: claimed.dataTiles,
        ...(claimed.readFrom !== 'origin'
          ? { read_from: claimed.readFrom, read_url: claimed.readUrl, ...(claimed.archives ? { archives: claimed.archives } : {}), tree_head: claimed.treeHead }
          : {}),
      });
    }
  }
  const idle = assignments.length === 0 && !(await workRemains(ctx.db, worker));
  return { assignments, idle, directives };
}

/** Check reported leases against the worker's active ones; any stale one refuses the whole report (409). */
function checkLeases(reported: { lease_id: number; confirmed: number }[], locked: LeaseRow[], workerId: number): Map<number, LeaseRow> {
  const byId = new Map(locked.map((l) => [l.id, l]));
  const stale = reported.filter((r) => {
    const l = byId.get(r.lease_id);
    return !l || l.worker_id !== workerId || l.state !== 'active';
  });
  if (stale.length > 0) {
    const ids = stale.map((s) => s.lease_id);
    throw conflict('STALE_LEASE', `lease${ids.length > 1 ? 's' : ''} ${ids.join(', ')} ${ids.length > 1 ? 'are' : 'is'} no longer yours (ended, expired or unknown): drop ${ids.length > 1 ? 'them' : 'it'} and ask for instructions`, { stale_leases: ids });
  }
  for (const r of reported) {
    const l = byId.get(r.lease_id)!;
    if (r.confirmed < l.start_index - 1 || r.confirmed > l.end_index) {
      throw unprocessable('CONFIRMED_OUTSIDE_LEASE', `leases: confirmed ${r.confirmed} of lease ${l.id} is outside [${l.start_index - 1}, ${l.end_index}]`);
    }
  }
  return byId;
}

/**
 * The reported CT timestamps of a stretch: both or neither. The schema has already refused
 * anything that is not an integer within the CT era; they need not be ordered (logs order entries
 * only within their merge delay).
 */
function stretchTimestamps(r: StretchTimestamps, where: string): { first: number | null; last: number | null } {
  const first = r.first_timestamp ?? null;
  const last = r.last_timestamp ?? null;
  if ((first === null) !== (last === null)) {
    throw unprocessable('INCOMPLETE_TIMESTAMPS', `${where}${first === null ? 'first_timestamp' : 'last_timestamp'} is missing: send first_timestamp and last_timestamp together, or neither`);
  }
  return { first, last };
}

/**
 * Progress recorded, and the stretch each lease newly confirmed written to the coverage ledger:
 * [its confirmed position before + 1, after], with the timestamps the worker reported for it.
 * No progress, no row (a repeated report says nothing new).
 */
async function recordProgressAndCoverage(trx: Trx, reports: { lease: LeaseRow; confirmed: number; timestamps: { first: number | null; last: number | null } }[], now: Date) {
  const before = reports.map((r) => r.lease.confirmed);
  const counts = await recordProgress(trx, reports, now);
  const stretches: ConfirmedStretch[] = [];
  reports.forEach((r, i) => {
    // The ledger holds each range's own scans: a second scan looks again at what is already there.
    if (r.lease.confirmed > before[i] && r.lease.kind === 'scan') stretches.push({ lease: r.lease, start: before[i] + 1, end: r.lease.confirmed, firstTimestamp: r.timestamps.first, lastTimestamp: r.timestamps.last });
  });
  await insertCoverage(trx, stretches, now);
  return counts;
}

export async function ping(ctx: WorkContext, req: PingRequest, friendName: string | null): Promise<{ ok: true; directives: Directives }> {
  const ids = [...new Set(req.leases.map((l) => l.lease_id))];
  if (ids.length !== req.leases.length) throw unprocessable('DUPLICATE_LEASE', 'leases: a lease is reported twice');
  const timestamps = req.leases.map((r, i) => stretchTimestamps(r, `leases/${i}/`));
  await inTransaction(ctx.db, async (trx) => {
    const now = ctx.now();
    const { worker, leases: locked } = await lockOwnWorkerAndLeases(trx, req.worker_id, friendName, ids);
    const byId = checkLeases(req.leases, locked, worker.id);
    const scanned = await recordProgressAndCoverage(
      trx,
      req.leases.map((r, i) => ({ lease: byId.get(r.lease_id)!, confirmed: r.confirmed, timestamps: timestamps[i] })),
      now,
    );
    await updateWorker(trx, worker.id, {
      state: 'alive',
      last_ping_at: now,
      version: req.version,
      ...(req.spool_backlog !== undefined ? { spool_backlog: req.spool_backlog } : {}),
      ...(req.rate_limited !== undefined ? { rate_limited: req.rate_limited } : {}),
      ...(req.collected !== undefined ? { collected: req.collected } : {}),
    });
    // Counter rows are shared with every other ping and upload: lock them last, just before commit.
    await addLogCounts(trx, scanned);
  });
  return { ok: true, directives: await ctx.directives() };
}

export async function complete(ctx: WorkContext, req: CompleteRequest, friendName: string | null): Promise<{ ok: true }> {
  const timestamps = stretchTimestamps(req, '');
  await inTransaction(ctx.db, async (trx) => {
    const now = ctx.now();
    const {
      worker,
      leases: [lease],
    } = await lockOwnWorkerAndLeases(trx, req.worker_id, friendName, [req.lease_id]);
    checkLeases([{ lease_id: req.lease_id, confirmed: lease?.end_index ?? 0 }], lease ? [lease] : [], worker.id);
    const counts: Map<number, Partial<LogCounts>> = await recordProgressAndCoverage(trx, [{ lease, confirmed: lease.end_index, timestamps }], now);
    const v = req.verification;
    const own = lease.kind === 'scan';
    // Every entry of the lease is proven in a signed tree head: so is every stretch it confirmed, the one just written included.
    if (v?.state === 'verified' && own) await markLeaseProven(trx, lease);
    if (v !== undefined) {
      const c = counts.get(lease.log_id) ?? {};
      // A second scan's proof counts when it proves a range for the first time (afterCompletion).
      if (v.state === 'verified' && own) c.verified = lease.end_index - lease.start_index + 1;
      if (v.state === 'failed') c.verification_failures = 1;
      counts.set(lease.log_id, c);
    }
    await endLease(trx, lease, 'completed', now, v);
    for (const [logId, add] of await afterCompletion(trx, lease, v, now)) {
      const c = counts.get(logId) ?? {};
      c.verified = (c.verified ?? 0) + (add.verified ?? 0);
      counts.set(logId, c);
    }
    await updateWorker(trx, worker.id, { state: 'alive', last_ping_at: now });
    await addLogCounts(trx, counts);
  });
  return { ok: true };
}

/**
 * Another worker's lease named in a termination refuses it all (409), before anything changes: the
 * caller may be confused about its identity, and releasing its own leases while ignoring the
 * foreign one would hide that. A lease's worker never changes, so the rows need no lock.
 */
async function refuseForeignLeases(trx: Trx, workerId: number, ids: number[]): Promise<void> {
  const list = await foreignLeaseIds(trx, ids, workerId);
  if (list.length === 0) return;
  const many = list.length > 1;
  throw conflict('FOREIGN_LEASE', `lease${many ? 's' : ''} ${list.join(', ')} ${many ? 'belong' : 'belongs'} to another worker: a worker terminates only its own leases (nothing was changed)`, { foreign_leases: list });
}

/**
 * The worker is stopping: record the positions it reports (stale ones of its own are
 * ignored: they were already taken back), then turn every active lease of the
 * worker into a resume-waiting range at once. Another worker's lease refuses the whole request.
 */
export async function terminate(ctx: WorkContext, req: TerminateRequest, friendName: string | null): Promise<{ released: number }> {
  const timestamps = req.leases.map((r, i) => stretchTimestamps(r, `leases/${i}/`));
  return inTransaction(ctx.db, async (trx) => {
    const now = ctx.now();
    const worker = ownedBy(known(await lockWorkerByUid(trx, req.worker_id), req.worker_id), req.worker_id, friendName);
    await refuseForeignLeases(
      trx,
      worker.id,
      req.leases.map((l) => l.lease_id),
    );
    const active = await lockActiveLeasesOfWorker(trx, worker.id);
    const byId = new Map(active.map((l) => [l.id, l]));
    const reports: { lease: LeaseRow; confirmed: number; timestamps: { first: number | null; last: number | null } }[] = [];
    for (const [i, r] of req.leases.entries()) {
      const lease = byId.get(r.lease_id);
      if (!lease) continue;
      if (r.confirmed < lease.start_index - 1 || r.confirmed > lease.end_index) {
        throw unprocessable('CONFIRMED_OUTSIDE_LEASE', `leases: confirmed ${r.confirmed} of lease ${lease.id} is outside [${lease.start_index - 1}, ${lease.end_index}]`);
      }
      reports.push({ lease, confirmed: r.confirmed, timestamps: timestamps[i] });
    }
    const counts = await recordProgressAndCoverage(trx, reports, now);
    for (const lease of active) await endLease(trx, lease, 'terminated', now);
    await updateWorker(trx, worker.id, { state: 'stopped', last_ping_at: now, ...(req.spool_backlog !== undefined ? { spool_backlog: req.spool_backlog } : {}) });
    // Counter rows are shared: lock them last, as ping and complete do.
    await addLogCounts(trx, counts);
    return { released: active.length };
  });
}
