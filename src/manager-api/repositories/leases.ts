/**
 * Ranges and leases: claiming work for a worker, progress, completion and
 * release. Every function here takes a transaction (they lock rows), and all
 * claims happen in the database: ranges are cut from logs.next_index under
 * the log row's lock (unique (log_id, start_index) as a backstop), fresh and
 * resume-waiting ranges are taken with SELECT ... FOR UPDATE SKIP LOCKED, and
 * a range has at most one active lease (ranges.current_lease_id), so no index
 * is handed to two live leases whatever the number of requests or manager
 * processes.
 */
import { sql } from 'kysely';
import type { LeaseVerification, LogApi, ReadFrom } from '../../share/api/index.js';
import { TILE_WIDTH } from '../../share/ct/tiles.js';
import type { Trx } from '../../db/transaction.js';
import type { LeaseKind, LeaseRow } from '../../db/tables.js';
import { claimAudit, eligibleAudits, returnAuditToWaiting, updateAudit, type Claimant } from './audits.js';

export type LeaseEndState = 'completed' | 'expired' | 'terminated' | 'released';

export interface ClaimedAssignment {
  leaseId: number;
  category: string;
  logId: number;
  logName: string;
  logUrl: string;
  start: number;
  end: number;
  pageSize: number | null;
  resumed: boolean;
  minIntervalMs: number | null;
  /** Base64 DER SubjectPublicKeyInfo from the catalogue. */
  logKey: string | null;
  logApi: LogApi;
  /** The checkpoint origin of a static-ct-api log (null otherwise, or when the catalogue has no submission URL). */
  logOrigin: string | null;
  /** An RFC 6962 log that also serves data tiles. */
  dataTiles: boolean;
  readFrom: ReadFrom;
  readUrl: string | null;
  archives: string[] | null;
  /** A shut-down log read elsewhere: the tree head verified, the only one its entries may be proven against. */
  treeHead: { tree_size: number; root_hash: string } | null;
}

/**
 * The end of a fresh range starting at start: about size entries, ending on a
 * page boundary of the log where its page size is known, never past targetEnd.
 */
export function freshRangeEnd(start: number, size: number, pageSize: number | null, targetEnd: number): number {
  let end = start + size - 1;
  if (pageSize && pageSize > 1 && size >= pageSize) {
    const boundary = Math.floor((start + size) / pageSize) * pageSize;
    end = boundary > start ? boundary - 1 : start + pageSize - 1;
  }
  return Math.min(end, targetEnd);
}

/** The assignment size for a log read by tiles: the configured size rounded to whole tiles, at least one. */
export function tiledAssignmentSize(size: number): number {
  return Math.max(TILE_WIDTH, Math.round(size / TILE_WIDTH) * TILE_WIDTH);
}

/** Is this log read by 256-entry data tiles (a static-ct-api log, an RFC 6962 log with data_tiles, or an archive)? */
export function readByTiles(log: { api: string; data_tiles: number; read_from?: string }): boolean {
  return log.api === 'static-ct-api' || log.data_tiles === 1 || log.read_from === 'archive';
}

/**
 * The end of the next fresh range of a log starting at start. A log read by tiles gets whole
 * 256-entry tiles: ranges end just before a multiple of 256 (so the next one starts on one),
 * except the last, which ends at the target end; the first may start unaligned at the target
 * start. Other logs end on their get-entries page boundary where known (freshRangeEnd).
 */
export function nextRangeEnd(log: { api: string; data_tiles: number; page_size: number | null; read_from?: string }, start: number, size: number, targetEnd: number): number {
  if (readByTiles(log)) return freshRangeEnd(start, tiledAssignmentSize(size), TILE_WIDTH, targetEnd);
  return freshRangeEnd(start, size, log.page_size, targetEnd);
}

interface CategoryLog {
  id: number;
  name: string;
  url: string;
  api: LogApi;
  checkpoint_origin: string | null;
  data_tiles: number;
  page_size: number | null;
  min_interval_ms: number | null;
  public_key: string | null;
  shut_down: number;
  read_from: ReadFrom;
  read_url: string | null;
  read_archives: string | null;
  tree_size: number | null;
  root_hash: string | null;
  target_start: number;
  target_end: number | null;
  next_index: number;
  /** Start of the log's lowest fresh range; null when none is cut. */
  low: number | null;
}

/** The category's logs, with what claimFresh ranks them by, in one round trip. */
async function availableLogs(trx: Trx, category: string): Promise<CategoryLog[]> {
  const rows = await trx
    .selectFrom('logs')
    .select(['id', 'name', 'url', 'api', 'checkpoint_origin', 'data_tiles', 'page_size', 'min_interval_ms', 'public_key', 'shut_down', 'read_from', 'read_url', 'read_archives', 'tree_size', 'root_hash', 'target_start', 'target_end', 'next_index'])
    .select((eb) => eb.selectFrom('ranges').select(sql<number | null>`MIN(start_index)`.as('m')).whereRef('ranges.log_id', '=', 'logs.id').where('ranges.state', '=', 'fresh').as('low'))
    .where('category', '=', category)
    .where('available', '=', 1)
    .where('in_catalogue', '=', 1)
    .execute();
  return rows.map((r) => ({ ...r, low: r.low === null ? null : Number(r.low) }));
}

/** What a new lease is: a scan (selected for audit or not), or a second scan for an audit. */
interface LeaseNature {
  kind: LeaseKind;
  audited: boolean;
  auditId: number | null;
}

const scanLease = (audited: boolean): LeaseNature => ({ kind: 'scan', audited, auditId: null });

async function insertLease(trx: Trx, rangeId: number, logId: number, workerId: number, start: number, end: number, now: Date, nature: LeaseNature): Promise<number> {
  // A selected scan and every second scan record what they report (lease_reports), to be compared.
  const compared = nature.audited || nature.kind !== 'scan' ? 1 : 0;
  const res = await trx
    .insertInto('leases')
    .values({
      range_id: rangeId,
      log_id: logId,
      worker_id: workerId,
      start_index: start,
      end_index: end,
      confirmed: start - 1,
      state: 'active',
      created_at: now,
      last_progress_at: now,
      kind: nature.kind,
      audited: nature.audited ? 1 : 0,
      compared,
      audit_id: nature.auditId,
    })
    .executeTakeFirstOrThrow();
  return Number(res.insertId);
}

/** Take the oldest resume-waiting range of these logs that no other transaction holds. */
async function claimResumeWaiting(trx: Trx, logs: CategoryLog[], workerId: number, now: Date, nature: LeaseNature): Promise<{ log: CategoryLog; leaseId: number; start: number; end: number } | null> {
  const range = await trx
    .selectFrom('ranges')
    .select(['id', 'log_id', 'resume_from', 'end_index'])
    .where('state', '=', 'resume_waiting')
    .where(
      'log_id',
      'in',
      logs.map((l) => l.id),
    )
    .orderBy('id')
    .limit(1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  if (!range) return null;
  const leaseId = await insertLease(trx, range.id, range.log_id, workerId, range.resume_from, range.end_index, now, nature);
  await trx.updateTable('ranges').set({ state: 'assigned', current_lease_id: leaseId, updated_at: now }).where('id', '=', range.id).where('state', '=', 'resume_waiting').executeTakeFirstOrThrow();
  const log = logs.find((l) => l.id === range.log_id)!;
  return { log, leaseId, start: range.resume_from, end: range.end_index };
}

/** Fresh ranges cut from a log at a time, so that concurrent claims find several to take. */
export const CUT_BATCH = 32;

/** Hand a range this transaction holds to a new lease. */
async function leaseRange(trx: Trx, range: { id: number; log_id: number; start_index: number; end_index: number }, workerId: number, now: Date, nature: LeaseNature): Promise<number> {
  const leaseId = await insertLease(trx, range.id, range.log_id, workerId, range.start_index, range.end_index, now, nature);
  await trx.updateTable('ranges').set({ state: 'assigned', current_lease_id: leaseId, updated_at: now }).where('id', '=', range.id).where('state', '=', 'fresh').executeTakeFirstOrThrow();
  return leaseId;
}

/**
 * Take a fresh range from the least advanced log of the category. Fresh
 * ranges are rows cut ahead of time, taken with SKIP LOCKED, so concurrent
 * claims proceed in parallel; only when none is free is the log row locked
 * to cut the next batch from logs.next_index.
 */
async function claimFresh(trx: Trx, logs: CategoryLog[], workerId: number, size: number, now: Date, nature: LeaseNature): Promise<{ log: CategoryLog; leaseId: number; start: number; end: number } | null> {
  // Ranking only: the ranges themselves are taken under locks below, so a few milliseconds' staleness does no harm.
  const targets = logs;
  const low = new Map(logs.filter((l) => l.low !== null).map((l) => [l.id, l.low!]));
  const progress = (t: (typeof targets)[number], at: number): number => (t.target_end === null ? 2 : (at - t.target_start) / (t.target_end - t.target_start + 1));
  const byProgress = (at: (t: (typeof targets)[number]) => number) => [...targets].sort((a, b) => progress(a, at(a)) - progress(b, at(b)) || a.id - b.id);
  const takeFresh = (logId: number, skipLocked: boolean) => {
    let q = trx.selectFrom('ranges').select(['id', 'log_id', 'start_index', 'end_index']).where('state', '=', 'fresh').where('log_id', '=', logId).orderBy('start_index').limit(1).forUpdate();
    if (skipLocked) q = q.skipLocked();
    return q.executeTakeFirst();
  };
  const withFresh = byProgress((t) => low.get(t.id) ?? t.next_index).filter((t) => low.has(t.id));
  // Free fresh ranges first; when other claims hold them all, wait for one rather
  // than cutting more (a held range may be released, or taken and skipped).
  for (const skipLocked of [true, false]) {
    for (const t of withFresh) {
      const range = await takeFresh(t.id, skipLocked);
      if (!range) continue;
      const leaseId = await leaseRange(trx, range, workerId, now, nature);
      return { log: logs.find((l) => l.id === t.id)!, leaseId, start: range.start_index, end: range.end_index };
    }
  }
  for (const t of byProgress((t) => t.next_index)) {
    if (t.target_end === null || t.next_index > t.target_end) continue;
    const log = await trx.selectFrom('logs').select(['id', 'next_index', 'target_end', 'page_size', 'api', 'data_tiles']).where('id', '=', t.id).forUpdate().executeTakeFirstOrThrow();
    // Cutters queue on the log row: the one before may have cut ranges this
    // transaction could not see yet. Take one of those before cutting more.
    const exhausted = log.target_end === null || log.next_index > log.target_end;
    const waiting = await takeFresh(log.id, !exhausted);
    if (waiting) {
      const leaseId = await leaseRange(trx, waiting, workerId, now, nature);
      return { log: logs.find((l) => l.id === log.id)!, leaseId, start: waiting.start_index, end: waiting.end_index };
    }
    if (exhausted || log.target_end === null) continue;
    const cut: { start: number; end: number }[] = [];
    for (let start = log.next_index; start <= log.target_end && cut.length < CUT_BATCH; ) {
      const end = nextRangeEnd(log, start, size, log.target_end);
      cut.push({ start, end });
      start = end + 1;
    }
    await trx
      .insertInto('ranges')
      .values(cut.map((r) => ({ log_id: log.id, start_index: r.start, end_index: r.end, state: 'fresh', resume_from: r.start, current_lease_id: null, updated_at: now })))
      .execute();
    await trx.updateTable('logs').set({ next_index: cut[cut.length - 1].end + 1 }).where('id', '=', log.id).execute();
    const first = await trx.selectFrom('ranges').select(['id', 'log_id', 'start_index', 'end_index']).where('log_id', '=', log.id).where('start_index', '=', cut[0].start).executeTakeFirstOrThrow();
    const leaseId = await leaseRange(trx, first, workerId, now, nature);
    return { log: logs.find((l) => l.id === log.id)!, leaseId, start: first.start_index, end: first.end_index };
  }
  return null;
}

/**
 * A second scan this worker may take (an open dispute's third scan first, then audits and rescans,
 * oldest first): a lease over the audit's exact range that leaves the range itself alone (it is
 * done; the second scan only re-reads it).
 */
async function claimSecondScan(trx: Trx, logs: CategoryLog[], worker: Claimant, now: Date): Promise<{ log: CategoryLog; leaseId: number; start: number; end: number } | null> {
  const candidates = await eligibleAudits(
    trx,
    logs.map((l) => l.id),
    worker,
  );
  for (const c of candidates) {
    const audit = await claimAudit(trx, c.id);
    if (!audit) continue;
    const leaseId = await insertLease(trx, audit.range_id, audit.log_id, worker.id, audit.start_index, audit.end_index, now, { kind: audit.kind, audited: false, auditId: audit.id });
    await updateAudit(trx, audit.id, { state: 'leased', current_lease_id: leaseId }, now);
    return { log: logs.find((l) => l.id === audit.log_id)!, leaseId, start: audit.start_index, end: audit.end_index };
  }
  return null;
}

/**
 * One assignment in a category for a worker: resume-waiting ranges first (work already begun), then
 * second scans (audits, disputes, rescans: so that a disagreement is decided and a failed range
 * proven soon, at a cost of a few per cent of the work), then fresh ranges. `audited`: a scan lease
 * made now is selected for audit (services/audit.ts decides). A second scan is sent as a resumed
 * range: to the worker it looks like any range another worker left.
 */
export async function claimAssignment(trx: Trx, worker: Claimant, category: string, size: number, now: Date, audited: boolean): Promise<ClaimedAssignment | null> {
  const logs = await availableLogs(trx, category);
  if (logs.length === 0) return null;
  let resumed = true;
  const nature = scanLease(audited);
  let claim = await claimResumeWaiting(trx, logs, worker.id, now, nature);
  claim ??= await claimSecondScan(trx, logs, worker, now);
  if (!claim) {
    resumed = false;
    claim = await claimFresh(trx, logs, worker.id, size, now, nature);
  }
  if (!claim) return null;
  return {
    leaseId: claim.leaseId,
    category,
    logId: claim.log.id,
    logName: claim.log.name,
    logUrl: claim.log.url,
    start: claim.start,
    end: claim.end,
    pageSize: claim.log.page_size,
    resumed,
    minIntervalMs: claim.log.min_interval_ms,
    logKey: claim.log.public_key,
    logApi: claim.log.api,
    logOrigin: claim.log.checkpoint_origin,
    dataTiles: claim.log.data_tiles === 1,
    ...readPlaceOf(claim.log),
  };
}

/** Where a claimed log is read, and for a shut-down log read elsewhere the tree head it is pinned to. */
function readPlaceOf(log: CategoryLog): Pick<ClaimedAssignment, 'readFrom' | 'readUrl' | 'archives' | 'treeHead'> {
  const elsewhere = log.read_from !== 'origin';
  return {
    readFrom: log.read_from,
    readUrl: elsewhere ? log.read_url : null,
    archives: log.read_from === 'archive' && log.read_archives ? (JSON.parse(log.read_archives) as string[]) : null,
    treeHead: elsewhere && log.tree_size !== null && log.root_hash !== null ? { tree_size: log.tree_size, root_hash: log.root_hash } : null,
  };
}

/** Lock leases by id (in id order, so concurrent callers never deadlock on each other). */
export async function lockLeases(trx: Trx, ids: number[]): Promise<LeaseRow[]> {
  if (ids.length === 0) return [];
  return trx.selectFrom('leases').selectAll().where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

/** A worker's active leases in a category (ids only, unlocked: lockLeases takes them). */
export async function activeLeaseIdsInCategory(trx: Trx, workerId: number, category: string): Promise<number[]> {
  const rows = await trx
    .selectFrom('leases')
    .innerJoin('logs', 'logs.id', 'leases.log_id')
    .select('leases.id')
    .where('leases.worker_id', '=', workerId)
    .where('leases.state', '=', 'active')
    .where('logs.category', '=', category)
    .execute();
  return rows.map((r) => r.id);
}

/** Those of these leases that belong to another worker, in id order (a lease's worker never changes: no lock). */
export async function foreignLeaseIds(trx: Trx, ids: readonly number[], workerId: number): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await trx
    .selectFrom('leases')
    .select('id')
    .where('id', 'in', [...ids])
    .where('worker_id', '!=', workerId)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

/** Leases by id, in id order, unlocked. */
export async function leasesByIds(q: Trx, ids: readonly number[]): Promise<LeaseRow[]> {
  if (ids.length === 0) return [];
  return q
    .selectFrom('leases')
    .selectAll()
    .where('id', 'in', [...ids])
    .orderBy('id')
    .execute();
}

/** A worker's scan leases that ended (any way), in id order. */
export async function endedScanLeasesOfWorker(trx: Trx, workerId: number): Promise<LeaseRow[]> {
  return trx.selectFrom('leases').selectAll().where('worker_id', '=', workerId).where('kind', '=', 'scan').where('state', '!=', 'active').orderBy('id').execute();
}

export async function lockActiveLeasesOfWorker(trx: Trx, workerId: number): Promise<LeaseRow[]> {
  return trx.selectFrom('leases').selectAll().where('worker_id', '=', workerId).where('state', '=', 'active').orderBy('id').forUpdate().execute();
}

/**
 * Record confirmed positions of active leases (never backwards), in one
 * statement. Returns the newly confirmed entries per log, for the scanned
 * counters. The range's resume point is taken from the lease when the lease
 * ends, so ranges are only touched on a lease's first progress.
 */
export async function recordProgress(trx: Trx, reports: { lease: LeaseRow; confirmed: number }[], now: Date): Promise<Map<number, { scanned: number }>> {
  const scanned = new Map<number, { scanned: number }>();
  if (reports.length === 0) return scanned;
  const updates = reports.map(({ lease, confirmed }) => {
    const next = Math.min(Math.max(lease.confirmed, confirmed), lease.end_index);
    const delta = next - lease.confirmed;
    const seconds = (now.getTime() - new Date(lease.last_progress_at).getTime()) / 1000;
    const rate = seconds > 0 ? delta / seconds : lease.rate;
    // A second scan re-reads a done range: it neither adds to the log's scanned entries nor moves the range.
    const own = lease.kind === 'scan';
    const started = own && lease.confirmed < lease.start_index && next >= lease.start_index;
    if (own) scanned.set(lease.log_id, { scanned: (scanned.get(lease.log_id)?.scanned ?? 0) + delta });
    lease.confirmed = next;
    return { id: lease.id, rangeId: lease.range_id, next, rate, started };
  });
  await trx
    .updateTable('leases')
    .set({
      confirmed: sql`CASE id ${sql.join(
        updates.map((u) => sql`WHEN ${u.id} THEN ${u.next}`),
        sql` `,
      )} END`,
      rate: sql`CASE id ${sql.join(
        updates.map((u) => sql`WHEN ${u.id} THEN ${u.rate}`),
        sql` `,
      )} END`,
      last_progress_at: now,
    })
    .where(
      'id',
      'in',
      updates.map((u) => u.id),
    )
    .execute();
  const started = updates.filter((u) => u.started);
  if (started.length > 0) {
    await trx
      .updateTable('ranges')
      .set({ state: 'running', updated_at: now })
      .where(
        'id',
        'in',
        started.map((u) => u.rangeId),
      )
      .where('state', '=', 'assigned')
      .execute();
  }
  return scanned;
}

/**
 * End an active lease. Completed (or fully confirmed) leases finish their
 * range; others turn it into a resume-waiting range from confirmed + 1.
 */
/**
 * End an active lease; its range is done, or waits for resumption after the confirmed position.
 * A completion may carry the worker's verdict on whether the entries are in the log's signed tree.
 */
export async function endLease(trx: Trx, lease: LeaseRow, state: LeaseEndState, now: Date, verification?: LeaseVerification): Promise<void> {
  const finished = state === 'completed' || lease.confirmed >= lease.end_index;
  const verdict = verification && {
    verification: verification.state,
    verified_tree_size: verification.state === 'verified' ? (verification.tree_size ?? null) : null,
    verification_note: verification.reason ?? null,
    verified_root_hash: verification.state === 'verified' ? (verification.root_hash ?? null) : null,
  };
  await trx
    .updateTable('leases')
    .set({ state, rate: 0, ended_at: now, ...verdict })
    .where('id', '=', lease.id)
    .where('state', '=', 'active')
    .execute();
  // A second scan never holds its range; one that did not complete leaves its audit to another worker (a completed one is judged by services/audit.ts).
  if (lease.kind !== 'scan') {
    if (state !== 'completed') await returnAuditToWaiting(trx, lease, now);
    return;
  }
  await trx
    .updateTable('ranges')
    .set(finished ? { state: 'done', resume_from: lease.end_index + 1, current_lease_id: null, updated_at: now } : { state: 'resume_waiting', resume_from: lease.confirmed + 1, current_lease_id: null, updated_at: now })
    .where('id', '=', lease.range_id)
    .where('current_lease_id', '=', lease.id)
    .execute();
}
