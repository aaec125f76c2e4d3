/**
 * Audits, rescans and per-lease reports (docs/manager-api.md, "Audits, rescans and quarantine"):
 * the rows only. What to audit, how two scans are judged and whom to flag is services/audit.ts;
 * the quarantine's rows are quarantine.ts, the status figures audit-figures.ts. Functions that
 * change rows take a transaction.
 *
 * Locking: an audit row is locked after the leases and ranges of its transaction (the order of
 * services/work.ts), sightings and certificates after it, the counter rows last.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import type { Trx } from '../../db/transaction.js';
import type { AuditRow, LeaseRow, NewAuditRow } from '../../db/tables.js';
import { insertRows } from './multi-row-insert.js';

/** Rows per statement of the repositories that write or look up many rows at once. */
export const CHUNK = 500;
/** Waiting audits looked at per claim: the first one the worker may take is taken. */
const CANDIDATES = 50;

export type AuditKind = 'audit' | 'rescan';
export type AuditReason = 'selected' | 'failed' | 'unverified' | 'no_verdict' | 'flagged';
/** States an audit is still open in: a second scan is sought or running. */
export const OPEN_AUDIT_STATES = ['waiting', 'leased'] as const;

export function chunks<T>(xs: readonly T[], n = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}


/** What a compared lease reported at one index. */
export interface LeaseReport {
  lease_id: number;
  leaf_index: number;
  leaf_hash: Buffer;
}

/**
 * Called inside the upload transaction with the items of compared leases (the upload knows
 * which they are from its look-up of the leases): record what each lease reported, duplicates of
 * stored sightings included (sightings keep one row per (log, index), so a second scan's items
 * would otherwise leave no trace). Leases not compared (most of them) write nothing.
 */
export async function recordLeaseReports(trx: Trx, reports: readonly LeaseReport[]): Promise<void> {
  const rows = [...reports].sort((a, b) => a.lease_id - b.lease_id || a.leaf_index - b.leaf_index);
  await insertRows(trx, 'lease_reports', rows, { ignore: true, chunk: 512 });
}

/** What a lease reported: leaf hash (hex) by index. */
export async function leaseReports(q: Db | Trx, leaseId: number): Promise<Map<number, string>> {
  const rows = await q.selectFrom('lease_reports').select(['leaf_index', 'leaf_hash']).where('lease_id', '=', leaseId).execute();
  return new Map(rows.map((r) => [Number(r.leaf_index), r.leaf_hash.toString('hex')]));
}

export interface NewAudit {
  lease: Pick<LeaseRow, 'id' | 'log_id' | 'range_id' | 'start_index' | 'end_index'>;
  kind: AuditKind;
  reason: AuditReason;
  /** A verified scan of the range by a worker in good standing already exists. */
  proven: boolean;
  note?: string | null;
}

/** The audits row of a new second scan: waiting until a worker may take it. */
function auditRow(a: NewAudit, now: Date): NewAuditRow {
  return {
    log_id: a.lease.log_id,
    range_id: a.lease.range_id,
    lease_id: a.lease.id,
    kind: a.kind,
    reason: a.reason,
    start_index: a.lease.start_index,
    end_index: a.lease.end_index,
    state: 'waiting',
    proven: a.proven ? 1 : 0,
    note: a.note ?? null,
    created_at: now,
    updated_at: now,
  };
}

export async function insertAudit(trx: Trx, a: NewAudit, now: Date): Promise<number> {
  const res = await trx.insertInto('audits').values(auditRow(a, now)).executeTakeFirstOrThrow();
  return Number(res.insertId);
}

/** Many rescans at once (a flagged worker's ranges). */
export async function insertAudits(trx: Trx, audits: readonly NewAudit[], now: Date): Promise<void> {
  for (const part of chunks(audits)) await trx.insertInto('audits').values(part.map((a) => auditRow(a, now))).execute();
}

export async function lockAudit(trx: Trx, id: number): Promise<AuditRow | undefined> {
  return trx.selectFrom('audits').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function updateAudit(trx: Trx, id: number, set: Partial<Pick<AuditRow, 'state' | 'stage' | 'attempts' | 'proven' | 'current_lease_id' | 'note'>>, now: Date): Promise<void> {
  await trx
    .updateTable('audits')
    .set({ ...set, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** A second scan ended without completing (expired, terminated, released): its audit waits for another worker. */
export async function returnAuditToWaiting(trx: Trx, lease: Pick<LeaseRow, 'id' | 'audit_id'>, now: Date): Promise<void> {
  if (lease.audit_id === null) return;
  await trx.updateTable('audits').set({ state: 'waiting', current_lease_id: null, updated_at: now }).where('id', '=', lease.audit_id).where('current_lease_id', '=', lease.id).execute();
}

/** Those of these leases that some audit (open or decided) already scans again or judged. */
export async function leasesWithAudit(q: Db | Trx, leaseIds: readonly number[]): Promise<Set<number>> {
  const out = new Set<number>();
  for (const part of chunks(leaseIds)) {
    const rows = await q.selectFrom('audits').select('lease_id').where('lease_id', 'in', part).execute();
    for (const r of rows) out.add(Number(r.lease_id));
  }
  return out;
}

/** Those of these leases whose range an audit or rescan proved (or found proven when it was made). */
export async function leasesWithProvenAudit(q: Db | Trx, leaseIds: readonly number[]): Promise<Set<number>> {
  const out = new Set<number>();
  for (const part of chunks(leaseIds)) {
    const rows = await q.selectFrom('audits').select('lease_id').where('lease_id', 'in', part).where('proven', '=', 1).execute();
    for (const r of rows) out.add(Number(r.lease_id));
  }
  return out;
}

/** The leases whose results count for an audit: its original, and every second scan that completed verified, in lease order, with their workers. */
export async function auditResultLeases(q: Db | Trx, audit: Pick<AuditRow, 'id' | 'lease_id'>) {
  return q
    .selectFrom('leases')
    .innerJoin('workers', 'workers.id', 'leases.worker_id')
    .select(['leases.id', 'leases.worker_id', 'leases.verification', 'leases.verified_tree_size', 'leases.verified_root_hash', 'workers.worker_uid', 'workers.friend_name'])
    .where((eb) => eb.or([eb('leases.id', '=', audit.lease_id), eb.and([eb('leases.audit_id', '=', audit.id), eb('leases.state', '=', 'completed'), eb('leases.verification', '=', 'verified')])]))
    .orderBy('leases.id')
    .execute();
}

/** Audits held for a worker's spooled uploads, oldest first. */
export async function heldAuditIds(db: Db, limit: number): Promise<number[]> {
  const rows = await db.selectFrom('audits').select('id').where('state', '=', 'held').orderBy('id').limit(limit).execute();
  return rows.map((r) => r.id);
}

/** The worker asking: who it is, for whom it may scan again. */
export interface Claimant {
  id: number;
  friend_name: string;
}

/** A lease whose result counts for an audit: the original, and every second scan that completed verified. */
export interface Involved {
  auditId: number;
  workerId: number;
  friendName: string;
}

export async function involvedIn(q: Db | Trx, audits: readonly Pick<AuditRow, 'id' | 'lease_id'>[]): Promise<Map<number, Involved[]>> {
  const out = new Map<number, Involved[]>(audits.map((a) => [a.id, []]));
  if (audits.length === 0) return out;
  const withWorker = () => q.selectFrom('leases').innerJoin('workers', 'workers.id', 'leases.worker_id');
  // The originals (second_of null) and the verified second scans, in one round trip.
  const rows = await withWorker()
    .select(['leases.id', sql<number | null>`NULL`.as('second_of'), 'workers.id as worker_id', 'workers.friend_name'])
    .where(
      'leases.id',
      'in',
      audits.map((a) => a.lease_id),
    )
    .unionAll(
      withWorker()
        .select(['leases.id', 'leases.audit_id as second_of', 'workers.id as worker_id', 'workers.friend_name'])
        .where(
          'leases.audit_id',
          'in',
          audits.map((a) => a.id),
        )
        .where('leases.state', '=', 'completed')
        .where('leases.verification', '=', 'verified'),
    )
    .execute();
  const originals = new Map(rows.filter((r) => r.second_of === null).map((o) => [o.id, o]));
  for (const a of audits) {
    const o = originals.get(a.lease_id);
    if (o) out.get(a.id)!.push({ auditId: a.id, workerId: o.worker_id, friendName: o.friend_name });
  }
  for (const s of rows) if (s.second_of !== null) out.get(Number(s.second_of))?.push({ auditId: Number(s.second_of), workerId: s.worker_id, friendName: s.friend_name });
  return out;
}

/** Friends with an alive worker in good standing. */
async function aliveFriends(q: Db | Trx): Promise<Set<string>> {
  const rows = await q.selectFrom('workers').select('friend_name').distinct().where('state', '=', 'alive').where('flagged_at', 'is', null).execute();
  return new Set(rows.map((r) => r.friend_name));
}

/**
 * May this worker scan the audit's range again? An audit (and its third scan) needs a friend none
 * of the counted scans came from. A rescan prefers one too; when no alive worker of such a friend
 * exists, another worker of the same friend may take it (a collection of one friend still gets its
 * failed ranges proven).
 */
export function mayTake(kind: string, involved: readonly Involved[], w: Claimant, alive: ReadonlySet<string>): boolean {
  const friends = new Set(involved.map((i) => i.friendName));
  if (!friends.has(w.friend_name)) return true;
  if (kind !== 'rescan' || involved.some((i) => i.workerId === w.id)) return false;
  for (const f of alive) if (!friends.has(f)) return false;
  return true;
}

/**
 * Waiting audits of these logs (all logs when null) this worker may take, oldest first, third scans
 * (open disputes) before second ones. No lock is taken: claimAudit takes the row.
 */
export async function eligibleAudits(q: Db | Trx, logIds: readonly number[] | null, w: Claimant, limit = CANDIDATES): Promise<AuditRow[]> {
  if (logIds !== null && logIds.length === 0) return [];
  let query = q.selectFrom('audits').selectAll().where('state', '=', 'waiting');
  if (logIds !== null) query = query.where('log_id', 'in', [...logIds]);
  const waiting = await query.orderBy('stage', 'desc').orderBy('id').limit(limit).execute();
  if (waiting.length === 0) return [];
  const involved = await involvedIn(q, waiting);
  const alive = waiting.some((a) => a.kind === 'rescan') ? await aliveFriends(q) : new Set<string>();
  return waiting.filter((a) => mayTake(a.kind, involved.get(a.id) ?? [], w, alive));
}

/**
 * Could a second scan for this worker appear later, though none waits for it now? A scan lease
 * selected for audit that still runs needs a worker of another friend once it completes; an audit
 * whose second (or third) scan runs may turn into a dispute for a friend none of its scans came
 * from, or come back if that scan ends unverified; one held for a live worker's spool may too. A
 * worker told it is idle meanwhile stops asking (--exit-when-idle exits), and the audit would wait
 * for a friend that is gone.
 */
export async function auditWorkMayAppear(q: Db | Trx, w: Claimant): Promise<boolean> {
  const selected = await q
    .selectFrom('leases')
    .innerJoin('workers', 'workers.id', 'leases.worker_id')
    .select('leases.id')
    .where('leases.state', '=', 'active')
    .where('leases.kind', '=', 'scan')
    .where('leases.audited', '=', 1)
    .where('workers.friend_name', '!=', w.friend_name)
    .limit(1)
    .executeTakeFirst();
  if (selected) return true;
  const spooling = sql<boolean>`EXISTS (SELECT 1 FROM leases l JOIN workers k ON k.id = l.worker_id
    WHERE (l.id = audits.lease_id OR (l.audit_id = audits.id AND l.state = 'completed')) AND k.spool_backlog > 0 AND k.state = 'alive')`;
  const open = await q
    .selectFrom('audits')
    .selectAll()
    .where((eb) => eb.or([eb('state', '=', 'leased'), eb.and([eb('state', '=', 'held'), spooling])]))
    .orderBy('id')
    .limit(CANDIDATES * 10)
    .execute();
  if (open.length === 0) return false;
  const involved = await involvedIn(q, open);
  // The scan running now counts as one of the audit's: its friend is not the one a dispute would need.
  const running = open.flatMap((a) => (a.current_lease_id === null ? [] : [a.current_lease_id]));
  const lessees =
    running.length === 0
      ? []
      : await q.selectFrom('leases').innerJoin('workers', 'workers.id', 'leases.worker_id').select(['leases.audit_id', 'workers.id as worker_id', 'workers.friend_name']).where('leases.id', 'in', running).execute();
  for (const l of lessees) if (l.audit_id !== null) involved.get(Number(l.audit_id))?.push({ auditId: Number(l.audit_id), workerId: l.worker_id, friendName: l.friend_name });
  const alive = open.some((a) => a.kind === 'rescan') ? await aliveFriends(q) : new Set<string>();
  return open.some((a) => mayTake(a.kind, involved.get(a.id) ?? [], w, alive));
}

/** Take a waiting audit for a new lease, unless another transaction holds it or took it. */
export async function claimAudit(trx: Trx, id: number): Promise<AuditRow | undefined> {
  return trx.selectFrom('audits').selectAll().where('id', '=', id).where('state', '=', 'waiting').forUpdate().skipLocked().executeTakeFirst();
}

/**
 * Every coverage stretch of the log inside [start, end] is proven: a scan of the range by a worker
 * in good standing was verified (docs/manager-api.md, "Coverage").
 */
export async function markRangeProven(trx: Trx, logId: number, start: number, end: number): Promise<void> {
  await trx.updateTable('coverage').set({ proven: 1 }).where('log_id', '=', logId).where('start_index', '>=', start).where('start_index', '<=', end).where('end_index', '<=', end).execute();
}

/** A flagged worker's stretches are not proven until another scan proves their ranges. */
export async function unproveWorkerCoverage(trx: Trx, workerId: number): Promise<void> {
  await trx.updateTable('coverage').set({ proven: 0 }).where('worker_id', '=', workerId).execute();
}

/** Cleared: the stretches of its leases that completed verified are proven again. */
export async function reproveWorkerCoverage(trx: Trx, workerId: number): Promise<void> {
  await sql`UPDATE coverage c JOIN leases l ON l.id = c.lease_id SET c.proven = 1
    WHERE c.worker_id = ${workerId} AND l.state = 'completed' AND l.verification = 'verified'`.execute(trx);
}
