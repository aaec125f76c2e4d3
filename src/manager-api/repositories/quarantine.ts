/**
 * Quarantine (docs/manager-api.md, "Audits, rescans and quarantine"): what a flagged worker alone
 * reported is left out of the counts until another friend's scan confirms it or an operator clears
 * the worker. The rows and the counters they move; whom to flag is services/audit.ts.
 *
 * Locking: sightings and certificates after the audit row of the transaction, the counter rows last.
 */
import { sql } from 'kysely';
import type { Trx } from '../../db/transaction.js';
import type { LeaseRow } from '../../db/tables.js';
import { CHUNK, chunks, leaseReports } from './audits.js';
import { LOG_COUNTER_SHARDS } from './counters.js';

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

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
