/**
 * The work protocol between manager and workers: instructions, ping,
 * completion and termination, each in short transactions that lock in one
 * order (worker, leases, ranges, logs).
 */
import type { Assignment, CompleteRequest, Directives, InstructionsRequest, InstructionsResponse, PingRequest, StretchTimestamps, TerminateRequest } from '../../share/api/index.js';
import type { Db } from '../../db/connect.js';
import { inTransaction, type Trx } from '../../db/transaction.js';
import type { LeaseRow } from '../../db/tables.js';
import { ApiProblem, conflict, unprocessable } from '../errors.js';
import { GROWING_WINDOW_NOTE } from '../planner.js';
import { auditWorkMayAppear, eligibleAudits, type Claimant } from '../repositories/audits.js';
import { claimAssignment, endLease, lockActiveLeasesOfWorker, lockLeases, recordProgress } from '../repositories/leases.js';
import { addLogCounts, type LogCounts } from '../repositories/counters.js';
import { insertCoverage, markLeaseProven, type ConfirmedStretch } from '../repositories/coverage.js';
import { compareVersions } from '../../share/version.js';
import { lockWorker, lockWorkerAndLeases, refuseFlagged, upsertAndLockWorker } from '../repositories/workers.js';
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

async function categories(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('logs').select('category').distinct().where('in_catalogue', '=', 1).orderBy('category').execute();
  return rows.map((r) => r.category);
}

/**
 * May work still appear for a worker that got nothing now (docs/manager-api.md, "Idle")? A log in the
 * catalogue may yield work while it has fresh or resume-waiting ranges, an uncut part of its target,
 * no target yet (never answered, or an empty tree), or a window target its tree has not reached the
 * end of; whether it answers right now does not matter, except for a log the catalogue marks shut
 * down, which counts only while it answers. Leases held by other workers do not count: that work is
 * handed out, and comes back as resume-waiting ranges if its worker dies. Second scans do: one waiting
 * that this worker may take, or one that may appear for it (repositories/audits.ts, auditWorkMayAppear).
 */
async function workRemains(db: Db, worker: Claimant): Promise<boolean> {
  const log = await db
    .selectFrom('logs')
    .select('logs.id')
    .where('logs.in_catalogue', '=', 1)
    .where((eb) => eb.or([eb('logs.shut_down', '=', 0), eb('logs.available', '=', 1)]))
    .where((eb) =>
      eb.or([
        eb('logs.target_end', 'is', null),
        eb('logs.next_index', '<=', eb.ref('logs.target_end')),
        eb('logs.target_note', 'like', `%${GROWING_WINDOW_NOTE}%`),
        eb.exists(eb.selectFrom('ranges').select('ranges.id').where('ranges.state', 'in', ['resume_waiting', 'fresh']).whereRef('ranges.log_id', '=', 'logs.id')),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  if (log !== undefined) return true;
  // A second scan this worker may take later (its log answers again), or one that may yet need it: not idle.
  return (await eligibleAudits(db, null, worker)).length > 0 || (await auditWorkMayAppear(db, worker));
}

export async function giveInstructions(ctx: WorkContext, req: InstructionsRequest): Promise<InstructionsResponse> {
  const directives = await ctx.directives();
  checkVersion(req.version, directives);
  const known = await categories(ctx.db);
  const wanted = req.categories ?? known;
  for (const c of wanted) if (!known.includes(c)) throw unprocessable('UNKNOWN_CATEGORY', `categories: unknown category "${c}" (known: ${known.join(', ')})`);
  const identity = { workerUid: req.worker_id, friendName: req.friend_name, version: req.version };
  const assignments: Assignment[] = [];
  const worker = await inTransaction(ctx.db, async (trx) => refuseFlagged(await upsertAndLockWorker(trx, identity, ctx.now())));
  if (directives.paused) return { assignments, idle: false, directives };
  for (const category of wanted) {
    const claimed = await inTransaction(ctx.db, async (trx) => {
      const now = ctx.now();
      // Asking again for a category ends the lease still held in it (a restarted worker).
      const held = await trx
        .selectFrom('leases')
        .innerJoin('logs', 'logs.id', 'leases.log_id')
        .select('leases.id')
        .where('leases.worker_id', '=', worker.id)
        .where('leases.state', '=', 'active')
        .where('logs.category', '=', category)
        .execute();
      for (const lease of await lockLeases(
        trx,
        held.map((h) => h.id),
      ))
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
    const { worker, leases: locked } = await lockWorkerAndLeases(trx, req.worker_id, friendName, ids);
    const byId = checkLeases(req.leases, locked, worker.id);
    const scanned = await recordProgressAndCoverage(
      trx,
      req.leases.map((r, i) => ({ lease: byId.get(r.lease_id)!, confirmed: r.confirmed, timestamps: timestamps[i] })),
      now,
    );
    await trx
      .updateTable('workers')
      .set({
        state: 'alive',
        last_ping_at: now,
        version: req.version,
        ...(req.spool_backlog !== undefined ? { spool_backlog: req.spool_backlog } : {}),
        ...(req.rate_limited !== undefined ? { rate_limited: req.rate_limited } : {}),
        ...(req.collected !== undefined ? { collected: req.collected } : {}),
      })
      .where('id', '=', worker.id)
      .execute();
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
    } = await lockWorkerAndLeases(trx, req.worker_id, friendName, [req.lease_id]);
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
    await trx.updateTable('workers').set({ state: 'alive', last_ping_at: now }).where('id', '=', worker.id).execute();
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
  if (ids.length === 0) return;
  const foreign = await trx.selectFrom('leases').select('id').where('id', 'in', ids).where('worker_id', '!=', workerId).orderBy('id').execute();
  if (foreign.length === 0) return;
  const list = foreign.map((f) => f.id);
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
    const worker = await lockWorker(trx, req.worker_id, friendName);
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
    await trx
      .updateTable('workers')
      .set({ state: 'stopped', last_ping_at: now, ...(req.spool_backlog !== undefined ? { spool_backlog: req.spool_backlog } : {}) })
      .where('id', '=', worker.id)
      .execute();
    // Counter rows are shared: lock them last, as ping and complete do.
    await addLogCounts(trx, counts);
    return { released: active.length };
  });
}
