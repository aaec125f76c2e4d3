/**
 * Audits, rescans, per-lease reports and quarantine (docs/manager-api.md, "Audits, rescans and
 * quarantine"): the rows only. What to audit, how two scans are judged and whom to flag is
 * services/audit.ts. Functions that change rows take a transaction.
 *
 * Locking: an audit row is locked after the leases and ranges of its transaction (the order of
 * services/work.ts), sightings and certificates after it, the counter rows last.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import type { Trx } from '../../db/transaction.js';
import type { AuditRow, LeaseRow, NewAuditRow } from '../../db/tables.js';
import { LOG_COUNTER_SHARDS } from './counters.js';
import { insertRows } from './multi-row-insert.js';

const CHUNK = 500;
/** Waiting audits looked at per claim: the first one the worker may take is taken. */
const CANDIDATES = 50;

export type AuditKind = 'audit' | 'rescan';
export type AuditReason = 'selected' | 'failed' | 'unverified' | 'no_verdict' | 'flagged';
/** States an audit is still open in: a second scan is sought or running. */
export const OPEN_AUDIT_STATES = ['waiting', 'leased'] as const;

function chunks<T>(xs: readonly T[], n = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

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
  await insertRows(trx, 'lease_reports', rows, { ignore: true, chunk: CHUNK });
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

async function involvedIn(q: Db | Trx, audits: readonly Pick<AuditRow, 'id' | 'lease_id'>[]): Promise<Map<number, Involved[]>> {
  const out = new Map<number, Involved[]>(audits.map((a) => [a.id, []]));
  if (audits.length === 0) return out;
  const originals = await q
    .selectFrom('leases')
    .innerJoin('workers', 'workers.id', 'leases.worker_id')
    .select(['leases.id', 'workers.id as worker_id', 'workers.friend_name'])
    .where(
      'leases.id',
      'in',
      audits.map((a) => a.lease_id),
    )
    .execute();
  const byLease = new Map(originals.map((o) => [o.id, o]));
  for (const a of audits) {
    const o = byLease.get(a.lease_id);
    if (o) out.get(a.id)!.push({ auditId: a.id, workerId: o.worker_id, friendName: o.friend_name });
  }
  const seconds = await q
    .selectFrom('leases')
    .innerJoin('workers', 'workers.id', 'leases.worker_id')
    .select(['leases.audit_id', 'workers.id as worker_id', 'workers.friend_name'])
    .where(
      'leases.audit_id',
      'in',
      audits.map((a) => a.id),
    )
    .where('leases.state', '=', 'completed')
    .where('leases.verification', '=', 'verified')
    .execute();
  for (const s of seconds) out.get(Number(s.audit_id))?.push({ auditId: Number(s.audit_id), workerId: s.worker_id, friendName: s.friend_name });
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

// ---- Quarantine ----------------------------------------------------------------------------

interface SightingRef {
  id: number;
  log_id: number;
  leaf_index: number;
  leaf_hash: Buffer;
  leaf_timestamp: number;
  certificate_id: number | null;
}

type Deltas = Map<string, { logId: number; day: string; sightings: number; certificates: number }>;

function bump(d: Deltas, logId: number, day: string, sightings: number, certificates: number): void {
  const k = `${logId}|${day}`;
  const e = d.get(k) ?? { logId, day, sightings: 0, certificates: 0 };
  e.sightings += sightings;
  e.certificates += certificates;
  d.set(k, e);
}

/**
 * Move the status counters (log_counters and daily_counts) by these amounts, negative to leave
 * quarantined rows out, positive to count them again. Counter rows last, in log (and day) order.
 */
async function moveCounters(trx: Trx, deltas: Deltas): Promise<void> {
  const days = [...deltas.values()].filter((d) => d.sightings !== 0 || d.certificates !== 0).sort((a, b) => a.logId - b.logId || a.day.localeCompare(b.day));
  if (days.length === 0) return;
  const perLog = new Map<number, { sightings: number; certificates: number }>();
  for (const d of days) {
    const l = perLog.get(d.logId) ?? { sightings: 0, certificates: 0 };
    l.sightings += d.sightings;
    l.certificates += d.certificates;
    perLog.set(d.logId, l);
  }
  await trx
    .insertInto('daily_counts')
    .values(days.map((d) => ({ log_id: d.logId, day: d.day, sightings: d.sightings, certificates: d.certificates })))
    .onDuplicateKeyUpdate({ sightings: sql`sightings + VALUES(sightings)`, certificates: sql`certificates + VALUES(certificates)` })
    .execute();
  const shard = Math.floor(Math.random() * LOG_COUNTER_SHARDS);
  await trx
    .insertInto('log_counters')
    .values([...perLog].sort((a, b) => a[0] - b[0]).map(([logId, l]) => ({ log_id: logId, shard, sightings: l.sightings, certificates: l.certificates })))
    .onDuplicateKeyUpdate({ sightings: sql`sightings + VALUES(sightings)`, certificates: sql`certificates + VALUES(certificates)` })
    .execute();
}

async function logIdsByName(trx: Trx, names: readonly string[]): Promise<Map<string, number>> {
  if (names.length === 0) return new Map();
  const rows = await trx.selectFrom('logs').select(['id', 'name']).where('name', 'in', [...new Set(names)]).execute();
  return new Map(rows.map((r) => [r.name, r.id]));
}

/** Certificates to quarantine (every sighting quarantined) or release (one not), among these ids; counted per log and day. */
async function flipCertificates(trx: Trx, ids: readonly number[], to: 0 | 1, deltas: Deltas): Promise<number> {
  let flipped = 0;
  for (const part of chunks([...new Set(ids)].sort((a, b) => a - b))) {
    const supported = sql<boolean>`EXISTS (SELECT 1 FROM sightings s WHERE s.certificate_id = certificates.id AND s.quarantined = 0)`;
    const rows = await trx
      .selectFrom('certificates')
      .select(['id', 'log_name', 'leaf_timestamp'])
      .where('id', 'in', part)
      .where('quarantined', '=', to === 1 ? 0 : 1)
      .where(to === 1 ? sql<boolean>`NOT ${supported}` : supported)
      .forUpdate()
      .execute();
    if (rows.length === 0) continue;
    await trx
      .updateTable('certificates')
      .set({ quarantined: to })
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    const logs = await logIdsByName(
      trx,
      rows.map((r) => r.log_name),
    );
    for (const r of rows) {
      const logId = logs.get(r.log_name);
      if (logId !== undefined) bump(deltas, logId, utcDay(Number(r.leaf_timestamp)), 0, to === 1 ? -1 : 1);
    }
    flipped += rows.length;
  }
  return flipped;
}

/** Set the quarantine mark of these sightings (all currently the other way), then of their certificates; counters follow. */
async function flipSightings(trx: Trx, rows: readonly SightingRef[], to: 0 | 1): Promise<{ sightings: number; certificates: number }> {
  if (rows.length === 0) return { sightings: 0, certificates: 0 };
  const deltas: Deltas = new Map();
  const sorted = [...rows].sort((a, b) => a.id - b.id);
  for (const part of chunks(sorted)) {
    await trx
      .updateTable('sightings')
      .set({ quarantined: to })
      .where(
        'id',
        'in',
        part.map((r) => r.id),
      )
      .execute();
  }
  for (const r of sorted) bump(deltas, r.log_id, utcDay(Number(r.leaf_timestamp)), to === 1 ? -1 : 1, 0);
  const certificates = await flipCertificates(
    trx,
    sorted.flatMap((r) => (r.certificate_id === null ? [] : [r.certificate_id])),
    to,
    deltas,
  );
  await moveCounters(trx, deltas);
  return { sightings: rows.length, certificates };
}

const SIGHTING_REF = ['id', 'log_id', 'leaf_index', 'leaf_hash', 'leaf_timestamp', 'certificate_id'] as const;

/**
 * (index, leaf hash) pairs of this log that a worker in good standing of another friend than
 * `friend` reported (lease_reports), among these indexes: what confirms a flagged worker's sightings.
 */
async function confirmedElsewhere(trx: Trx, logId: number, indexes: readonly number[], friend: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of chunks([...new Set(indexes)])) {
    const rows = await trx
      .selectFrom('lease_reports')
      .innerJoin('leases', 'leases.id', 'lease_reports.lease_id')
      .innerJoin('workers', 'workers.id', 'leases.worker_id')
      .select(['lease_reports.leaf_index', 'lease_reports.leaf_hash'])
      .where('lease_reports.leaf_index', 'in', part)
      .where('leases.log_id', '=', logId)
      .where('workers.friend_name', '!=', friend)
      .where('workers.flagged_at', 'is', null)
      .execute();
    for (const r of rows) out.add(`${r.leaf_index}:${r.leaf_hash.toString('hex')}`);
  }
  return out;
}

/**
 * Quarantine what a flagged worker reported first and no worker of another friend confirmed: its
 * sightings (found through its leases, each a range of the (log, index) key) and the certificates
 * no other sighting supports. Idempotent. Returns the rows quarantined now.
 */
export async function quarantineWorker(trx: Trx, worker: { id: number; friend_name: string }): Promise<{ sightings: number; certificates: number }> {
  // Every kind: a second scan is the first to report what the scan before it missed (or made up).
  const leases = await trx.selectFrom('leases').select(['id', 'log_id', 'start_index', 'end_index']).where('worker_id', '=', worker.id).orderBy('id').execute();
  const quarantine: SightingRef[] = [];
  for (const l of leases) {
    const rows = await trx
      .selectFrom('sightings')
      .select([...SIGHTING_REF])
      .where('log_id', '=', l.log_id)
      .where('leaf_index', '>=', l.start_index)
      .where('leaf_index', '<=', l.end_index)
      .where('lease_id', '=', l.id)
      .where('quarantined', '=', 0)
      .forUpdate()
      .execute();
    if (rows.length === 0) continue;
    const confirmed = await confirmedElsewhere(
      trx,
      l.log_id,
      rows.map((r) => r.leaf_index),
      worker.friend_name,
    );
    for (const r of rows) if (!confirmed.has(`${r.leaf_index}:${r.leaf_hash.toString('hex')}`)) quarantine.push(r);
  }
  return flipSightings(trx, quarantine, 1);
}

/** The highest index from `from` on where this lease's sightings are quarantined; null when there is none. */
export async function lastQuarantinedIndex(trx: Trx, lease: Pick<LeaseRow, 'id' | 'log_id' | 'end_index'>, from: number): Promise<number | null> {
  const row = await trx
    .selectFrom('sightings')
    .select(sql<number | null>`MAX(leaf_index)`.as('last'))
    .where('log_id', '=', lease.log_id)
    .where('leaf_index', '>=', from)
    .where('leaf_index', '<=', lease.end_index)
    .where('lease_id', '=', lease.id)
    .where('quarantined', '=', 1)
    .executeTakeFirst();
  return row?.last === null || row?.last === undefined ? null : Number(row.last);
}

/** Quarantined sightings of the log in [start, end] that a lease reported identically leave quarantine. */
export async function releaseConfirmedBy(trx: Trx, lease: Pick<LeaseRow, 'id' | 'log_id' | 'start_index' | 'end_index'>): Promise<{ sightings: number; certificates: number }> {
  const rows = await trx
    .selectFrom('sightings')
    .select([...SIGHTING_REF])
    .where('quarantined', '=', 1)
    .where('log_id', '=', lease.log_id)
    .where('leaf_index', '>=', lease.start_index)
    .where('leaf_index', '<=', lease.end_index)
    .forUpdate()
    .execute();
  if (rows.length === 0) return { sightings: 0, certificates: 0 };
  const reported = await leaseReports(trx, lease.id);
  return flipSightings(
    trx,
    rows.filter((r) => reported.get(r.leaf_index) === r.leaf_hash.toString('hex')),
    0,
  );
}

/** A worker's quarantined sightings (the quarantine index, then the worker). */
async function quarantinedOf(trx: Trx, workerId: number): Promise<SightingRef[]> {
  return trx.selectFrom('sightings').select([...SIGHTING_REF]).where('quarantined', '=', 1).where('worker_id', '=', workerId).orderBy('id').forUpdate().execute();
}

/** Cleared: its quarantined sightings, and the certificates they support, count again. */
export async function releaseWorker(trx: Trx, workerId: number): Promise<{ sightings: number; certificates: number }> {
  return flipSightings(trx, await quarantinedOf(trx, workerId), 0);
}

/**
 * Cleared with deletion: its quarantined sightings go, and the quarantined certificates left with
 * no sighting (with their names). Counters do not move: these rows were already left out. Returns
 * the deleted counts and the leases the deleted sightings came from (their indexes are empty now).
 */
export async function deleteQuarantinedOfWorker(trx: Trx, workerId: number): Promise<{ sightings: number; certificates: number; leaseIds: number[] }> {
  const rows = await trx.selectFrom('sightings').select(['id', 'certificate_id', 'lease_id']).where('quarantined', '=', 1).where('worker_id', '=', workerId).orderBy('id').forUpdate().execute();
  for (const part of chunks(rows.map((r) => r.id)))
    await trx.deleteFrom('sightings').where('id', 'in', part).execute();
  let certificates = 0;
  const certIds = [...new Set(rows.flatMap((r) => (r.certificate_id === null ? [] : [r.certificate_id])))].sort((a, b) => a - b);
  for (const part of chunks(certIds)) {
    const orphans = await trx
      .selectFrom('certificates')
      .select('id')
      .where('id', 'in', part)
      .where('quarantined', '=', 1)
      .where(sql<boolean>`NOT EXISTS (SELECT 1 FROM sightings s WHERE s.certificate_id = certificates.id)`)
      .forUpdate()
      .execute();
    if (orphans.length === 0) continue;
    const ids = orphans.map((o) => o.id);
    await trx.deleteFrom('certificate_names').where('certificate_id', 'in', ids).execute();
    await trx.deleteFrom('certificates').where('id', 'in', ids).execute();
    certificates += ids.length;
  }
  const leaseIds = [...new Set(rows.flatMap((r) => (r.lease_id === null ? [] : [r.lease_id])))];
  return { sightings: rows.length, certificates, leaseIds };
}

/**
 * Quarantined certificates that a sighting in good standing supports now (the same certificate
 * uploaded again from another log or index) count again. Cheap when nothing is quarantined.
 */
export async function releaseSupportedCertificates(trx: Trx): Promise<number> {
  const rows = await trx
    .selectFrom('certificates')
    .select('id')
    .where('quarantined', '=', 1)
    .where(sql<boolean>`EXISTS (SELECT 1 FROM sightings s WHERE s.certificate_id = certificates.id AND s.quarantined = 0)`)
    .limit(CHUNK)
    .execute();
  if (rows.length === 0) return 0;
  const deltas: Deltas = new Map();
  const n = await flipCertificates(
    trx,
    rows.map((r) => r.id),
    0,
    deltas,
  );
  await moveCounters(trx, deltas);
  return n;
}

// ---- Status ---------------------------------------------------------------------------------

export interface LogAuditFigures {
  auditedEntries: number;
  rescannedEntries: number;
  pendingAudits: number;
  waitingForFriend: number;
  confirmedAudits: number;
  disputes: number;
  disputesSettled: number;
  disputesUnresolved: number;
  unprovenRanges: number;
  unprovenEntries: number;
  givenUp: { start: number; end: number; reason: string }[];
  quarantinedCertificates: number;
  quarantinedSightings: number;
}

export const NO_AUDIT_FIGURES: Readonly<LogAuditFigures> = {
  auditedEntries: 0,
  rescannedEntries: 0,
  pendingAudits: 0,
  waitingForFriend: 0,
  confirmedAudits: 0,
  disputes: 0,
  disputesSettled: 0,
  disputesUnresolved: 0,
  unprovenRanges: 0,
  unprovenEntries: 0,
  givenUp: [],
  quarantinedCertificates: 0,
  quarantinedSightings: 0,
};

const GIVEN_UP_LISTED = 20;

/** Per log id: second-scan costs, audits by state, unproven ranges and quarantine, from small indexed reads. */
export async function auditFigures(db: Db): Promise<Map<number, LogAuditFigures>> {
  const [twice, byState, unproven, waiting, givenUp, qSightings, qCertificates, alive] = await Promise.all([
    db
      .selectFrom('leases')
      .select(['log_id', 'kind', sql<number>`SUM(end_index - start_index + 1)`.as('entries')])
      .where('kind', 'in', ['audit', 'rescan'])
      .where('state', '=', 'completed')
      .groupBy(['log_id', 'kind'])
      .execute(),
    db
      .selectFrom('audits')
      .select(['log_id', 'kind', 'state', 'stage', sql<number>`COUNT(*)`.as('n')])
      .groupBy(['log_id', 'kind', 'state', 'stage'])
      .execute(),
    db
      .selectFrom('audits')
      .select(['log_id', sql<number>`COUNT(*)`.as('n'), sql<number>`SUM(end_index - start_index + 1)`.as('entries')])
      .where('proven', '=', 0)
      .where('state', 'not in', ['confirmed', 'settled'])
      .groupBy('log_id')
      .execute(),
    db.selectFrom('audits').selectAll().where('state', '=', 'waiting').orderBy('id').limit(5000).execute(),
    db.selectFrom('audits').select(['log_id', 'start_index', 'end_index', 'note']).where('state', '=', 'given_up').orderBy('id', 'desc').limit(1000).execute(),
    db.selectFrom('sightings').select(['log_id', sql<number>`COUNT(*)`.as('n')]).where('quarantined', '=', 1).groupBy('log_id').execute(),
    db
      .selectFrom('certificates')
      .innerJoin('logs', 'logs.name', 'certificates.log_name')
      .select(['logs.id as log_id', sql<number>`COUNT(*)`.as('n')])
      .where('certificates.quarantined', '=', 1)
      .groupBy('logs.id')
      .execute(),
    db.selectFrom('workers').select(['id', 'friend_name']).where('state', '=', 'alive').where('flagged_at', 'is', null).execute(),
  ]);
  const out = new Map<number, LogAuditFigures>();
  const of = (logId: number): LogAuditFigures => {
    let f = out.get(logId);
    if (!f) out.set(logId, (f = { ...NO_AUDIT_FIGURES, givenUp: [] }));
    return f;
  };
  for (const t of twice) {
    if (t.kind === 'audit') of(t.log_id).auditedEntries += Number(t.entries);
    else of(t.log_id).rescannedEntries += Number(t.entries);
  }
  for (const s of byState) {
    const f = of(s.log_id);
    const n = Number(s.n);
    const open = s.state === 'waiting' || s.state === 'leased' || s.state === 'held';
    if (s.kind === 'audit' && open && s.stage === 2) f.pendingAudits += n;
    if (s.kind === 'audit' && open && s.stage === 3) f.disputes += n;
    if (s.state === 'confirmed') f.confirmedAudits += n;
    if (s.state === 'settled') f.disputesSettled += n;
    if (s.state === 'unresolved') f.disputesUnresolved += n;
  }
  for (const u of unproven) {
    of(u.log_id).unprovenRanges += Number(u.n);
    of(u.log_id).unprovenEntries += Number(u.entries);
  }
  // Waiting second scans no alive worker may take: judged as a claim would judge them, for every alive worker.
  const involved = await involvedIn(db, waiting);
  const aliveSet = new Set(alive.map((a) => a.friend_name));
  for (const a of waiting) {
    const inv = involved.get(a.id) ?? [];
    if (!alive.some((w) => mayTake(a.kind, inv, w, aliveSet))) of(a.log_id).waitingForFriend++;
  }
  for (const g of givenUp) {
    const f = of(g.log_id);
    if (f.givenUp.length < GIVEN_UP_LISTED) f.givenUp.push({ start: Number(g.start_index), end: Number(g.end_index), reason: g.note ?? 'given up' });
  }
  for (const q of qSightings) of(q.log_id).quarantinedSightings += Number(q.n);
  for (const q of qCertificates) of(q.log_id).quarantinedCertificates += Number(q.n);
  return out;
}

/** Quarantined sightings per worker id (of flagged workers; others have none). */
export async function quarantinedByWorker(db: Db): Promise<Map<number, number>> {
  const rows = await db.selectFrom('sightings').select(['worker_id', sql<number>`COUNT(*)`.as('n')]).where('quarantined', '=', 1).groupBy('worker_id').execute();
  return new Map(rows.flatMap((r) => (r.worker_id === null ? [] : [[Number(r.worker_id), Number(r.n)] as const])));
}
