/**
 * Audits, rescans and quarantine: the decisions (docs/manager-api.md, "Audits, rescans and
 * quarantine"). The manager trusts no single friend:
 * - at hand-out a scan lease is selected for audit (always in its worker's first hour, otherwise
 *   with probability auditShare); the worker is never told, and a selected lease's reported items
 *   are recorded (lease_reports);
 * - when a selected lease completes, its exact range is scanned again by a worker of another
 *   friend; the two must report the same (index, leaf hash) set and no conflicting tree head, and
 *   the second scan must be verified. Otherwise a third friend scans it and the majority decides:
 *   the worker in the minority is flagged with the evidence, what it alone reported is quarantined,
 *   every range it completed is rescanned, and it gets no work until an operator clears it;
 * - a scan that completed failed, unverified or without a verdict is rescanned by another worker
 *   until a verified scan exists (at most MAX_SECOND_SCANS tries), so its range is proven.
 * Everything here runs inside the caller's transaction.
 */
import type { ClearWorkerResponse, FlagEvidence, LeaseVerification } from '../../share/api/index.js';
import type { Db } from '../../db/connect.js';
import { inTransaction, type Trx } from '../../db/transaction.js';
import type { AuditRow, LeaseRow, WorkerRow } from '../../db/tables.js';
import { notFound } from '../errors.js';
import {
  auditResultLeases,
  insertAudit,
  insertAudits,
  leaseReports,
  leasesWithAudit,
  leasesWithProvenAudit,
  lockAudit,
  markRangeProven,
  reproveWorkerCoverage,
  unproveWorkerCoverage,
  updateAudit,
  type AuditReason,
  type NewAudit,
} from '../repositories/audits.js';
import type { LogCounts } from '../repositories/counters.js';
import { endedScanLeasesOfWorker, endLease, leasesByIds, lockActiveLeasesOfWorker } from '../repositories/leases.js';
import { storedTreeHead } from '../repositories/logs.js';
import { deleteQuarantinedOfWorker, lastQuarantinedIndex, quarantineWorker, releaseConfirmedBy, releaseWorker } from '../repositories/quarantine.js';
import { lockWorkerById, lockWorkerByUid, spoolingWorkerUids, updateWorker } from '../repositories/workers.js';

/** Every lease of a worker registered less than this long ago is audited. */
export const FIRST_HOUR_MS = 3_600_000;
/** Second scans of one range that may end without a verified proof before it is given up as unproven. */
export const MAX_SECOND_SCANS = 3;
/** Indexes listed in a flag's evidence (the counts are exact). */
const EVIDENCE_INDEXES = 100;

/** How leases are selected for audit: auditShare is config.auditShare (--audit-share, CTJP_AUDIT_SHARE); random is injectable so that tests can force it. */
export interface AuditSelection {
  auditShare: number;
  random: () => number;
}

/** Audit this new scan lease? Always in the worker's first hour; otherwise with probability auditShare. */
export function selectForAudit(worker: Pick<WorkerRow, 'registered_at'>, now: Date, s: AuditSelection): boolean {
  if (now.getTime() - new Date(worker.registered_at).getTime() < FIRST_HOUR_MS) return true;
  return s.auditShare > 0 && s.random() < s.auditShare;
}

type Counts = Map<number, Partial<LogCounts>>;

function addVerified(counts: Counts, logId: number, entries: number): void {
  const c = counts.get(logId) ?? {};
  c.verified = (c.verified ?? 0) + entries;
  counts.set(logId, c);
}

/**
 * A lease completed (its row already ended by endLease in this transaction). A scan lease may
 * start an audit or a rescan of its range; a second scan moves its audit on. Returns counter
 * additions (entries proven by a second scan) for the caller to add last, with its own.
 */
export async function afterCompletion(trx: Trx, lease: LeaseRow, v: LeaseVerification | undefined, now: Date): Promise<Counts> {
  const counts: Counts = new Map();
  if (lease.kind === 'scan') {
    const verified = v?.state === 'verified';
    if (lease.audited === 1) await insertAudit(trx, { lease, kind: 'audit', reason: 'selected', proven: verified }, now);
    else if (!verified) await insertAudit(trx, { lease, kind: 'rescan', reason: (v?.state ?? 'no_verdict') as AuditReason, proven: false }, now);
    return counts;
  }
  if (lease.audit_id === null) return counts;
  const audit = await lockAudit(trx, lease.audit_id);
  // The audit moved on without this lease (it was released and taken by another): nothing to judge.
  if (!audit || audit.current_lease_id !== lease.id) return counts;
  if (v?.state !== 'verified') {
    const attempts = audit.attempts + 1;
    const why = `${v?.state ?? 'no verdict'}${v?.reason ? `: ${v.reason}` : ''}`;
    const givenUp = attempts >= MAX_SECOND_SCANS;
    await updateAudit(
      trx,
      audit.id,
      { attempts, state: givenUp ? 'given_up' : 'waiting', current_lease_id: null, note: givenUp ? `${attempts} second scans ended without a verified proof (last: ${why})`.slice(0, 1000) : audit.note },
      now,
    );
    return counts;
  }
  if (audit.kind === 'rescan') {
    await updateAudit(trx, audit.id, { state: 'proven', proven: 1, current_lease_id: null }, now);
    await proveRange(trx, audit, [lease.id], counts);
    return counts;
  }
  await judge(trx, audit, now, counts);
  return counts;
}

/**
 * Judge again an audit held for a worker's spooled uploads (the reaper's pass): they may have
 * arrived, or the worker's spool may be empty now. Returns counter additions, as afterCompletion.
 */
export async function rejudgeHeld(trx: Trx, auditId: number, now: Date): Promise<Counts> {
  const counts: Counts = new Map();
  const audit = await lockAudit(trx, auditId);
  if (audit?.state === 'held') await judge(trx, audit, now, counts);
  return counts;
}

/** Verified second scans by workers in good standing prove the range, and confirm the quarantined items they reported too. */
async function proveRange(trx: Trx, audit: AuditRow, by: readonly number[], counts: Counts): Promise<void> {
  if (audit.proven === 0) addVerified(counts, audit.log_id, audit.end_index - audit.start_index + 1);
  await markRangeProven(trx, audit.log_id, audit.start_index, audit.end_index);
  for (const id of by) await releaseConfirmedBy(trx, { id, log_id: audit.log_id, start_index: audit.start_index, end_index: audit.end_index });
}

/**
 * A scan that lacks items another reported may still hold them: a worker confirms a position once
 * its finds are uploaded or durably spooled, and a spool is retried long after the completion.
 * While the worker of such a scan reports a non-empty spool, the audit is held (and judged again
 * by the reaper) rather than turned into a dispute or a flag.
 */
async function heldForSpool(trx: Trx, audit: AuditRow, parties: readonly Result[], now: Date): Promise<boolean> {
  const lacking = parties.filter((p) => parties.some((q) => q !== p && [...q.items.keys()].some((i) => !p.items.has(i))));
  if (lacking.length === 0) return false;
  const spooling = await spoolingWorkerUids(
    trx,
    lacking.map((p) => p.lease.worker_id),
  );
  if (spooling.length === 0) return false;
  const note = `held: ${spooling.join(', ')} still ${spooling.length > 1 ? 'have' : 'has'} uploads in ${spooling.length > 1 ? 'their spools' : 'its spool'}; judged when they arrive`;
  await updateAudit(trx, audit.id, { state: 'held', current_lease_id: null, note: note.slice(0, 1000) }, now);
  return true;
}

/** What one lease of an audit says: its items and its tree head. */
interface Result {
  lease: Pick<LeaseRow, 'id' | 'worker_id' | 'verification' | 'verified_tree_size' | 'verified_root_hash'>;
  workerUid: string;
  friendName: string;
  items: Map<number, string>;
}

/** The original and every second scan of the audit that completed verified, in lease order. */
async function results(trx: Trx, audit: AuditRow): Promise<Result[]> {
  const out: Result[] = [];
  for (const r of await auditResultLeases(trx, audit)) out.push({ lease: r, workerUid: r.worker_uid, friendName: r.friend_name, items: await leaseReports(trx, r.id) });
  return out;
}

type Head = { size: number | null; root: string | null };

/** Two tree heads of the same size with different roots cannot both be the log's. */
function conflict(a: Head, b: Head): boolean {
  return a.size !== null && a.size === b.size && a.root !== null && b.root !== null && a.root !== b.root;
}

const headOf = (r: Result): Head => ({ size: r.lease.verified_tree_size, root: r.lease.verified_root_hash });

function sameItems(a: Map<number, string>, b: Map<number, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [i, h] of a) if (b.get(i) !== h) return false;
  return true;
}

/** Do two scans agree: the same items, and tree heads that can both be the log's (and match the manager's own)? */
function agree(a: Result, b: Result, log: Head): boolean {
  return sameItems(a.items, b.items) && !conflict(headOf(a), headOf(b)) && !conflict(headOf(a), log) && !conflict(headOf(b), log);
}

/** Indexes of `a` that `b` lacks or holds with another leaf hash. */
function differing(a: Map<number, string>, b: Map<number, string>): number[] {
  const out: number[] = [];
  for (const [i, h] of a) if (b.get(i) !== h) out.push(i);
  return out.sort((x, y) => x - y);
}

/**
 * A verified second scan of an audit completed. Second stage: agreement confirms the range,
 * disagreement asks for a third scan by a third friend. Third stage: all three reports are read
 * again (uploads spooled by a worker may have arrived since), and the majority decides.
 */
async function judge(trx: Trx, audit: AuditRow, now: Date, counts: Counts): Promise<void> {
  const log = await storedTreeHead(trx, audit.log_id);
  const logHead: Head = { size: log.tree_size, root: log.root_hash };
  const all = await results(trx, audit);
  const original = all.find((r) => r.lease.id === audit.lease_id);
  const seconds = all.filter((r) => r.lease.id !== audit.lease_id);
  if (!original || seconds.length === 0) return;
  if (audit.stage === 2) {
    const second = seconds[seconds.length - 1];
    if (agree(original, second, logHead)) {
      await updateAudit(trx, audit.id, { state: 'confirmed', proven: 1, current_lease_id: null, note: null }, now);
      await proveRange(trx, audit, [second.lease.id], counts);
      return;
    }
    if (await heldForSpool(trx, audit, [original, second], now)) return;
    const note = `dispute: lease ${original.lease.id} (${original.friendName}) and lease ${second.lease.id} (${second.friendName}) disagree; a third friend decides`;
    await updateAudit(trx, audit.id, { state: 'waiting', stage: 3, current_lease_id: null, note }, now);
    return;
  }
  const parties = [original, ...seconds.slice(-2)];
  const [o, a, t] = parties;
  if (!a || !t) return;
  const ao = agree(a, o, logHead);
  const to = agree(t, o, logHead);
  const ta = agree(t, a, logHead);
  if (ao && to) {
    await updateAudit(trx, audit.id, { state: 'confirmed', proven: 1, current_lease_id: null, note: 'the reports agreed when read again for the third scan' }, now);
    await proveRange(
      trx,
      audit,
      [a.lease.id, t.lease.id],
      counts,
    );
    return;
  }
  if (await heldForSpool(trx, audit, parties, now)) return;
  const decided = ta ? { wrong: o, majority: [a, t] } : to ? { wrong: a, majority: [o, t] } : ao ? { wrong: t, majority: [o, a] } : null;
  if (!decided) {
    await updateAudit(trx, audit.id, { state: 'unresolved', current_lease_id: null, note: `three scans, three answers (leases ${parties.map((p) => p.lease.id).join(', ')}): nobody is flagged` }, now);
    return;
  }
  const { wrong, majority } = decided;
  const extra = differing(wrong.items, majority[0].items);
  const missing = differing(majority[0].items, wrong.items);
  const heads = parties.map(headOf);
  const evidence: FlagEvidence = {
    at: now.toISOString(),
    audit_id: audit.id,
    log_name: log.name,
    start: audit.start_index,
    end: audit.end_index,
    lease_id: wrong.lease.id,
    other_lease_ids: majority.map((m) => m.lease.id),
    extra: extra.slice(0, EVIDENCE_INDEXES),
    extra_count: extra.length,
    missing: missing.slice(0, EVIDENCE_INDEXES),
    missing_count: missing.length,
    verdict: wrong.lease.verification,
    other_verdicts: majority.map((m) => m.lease.verification),
    tree_heads: parties.map((p) => ({ lease_id: p.lease.id, worker_id: p.workerUid, friend_name: p.friendName, verification: p.lease.verification, tree_size: p.lease.verified_tree_size, root_hash: p.lease.verified_root_hash })),
    tree_head_conflict: heads.some((h, i) => heads.some((k, j) => j > i && conflict(h, k))) || heads.some((h) => conflict(h, logHead)),
  };
  const reason = `audit ${audit.id} of ${log.name} [${audit.start_index}, ${audit.end_index}]: its lease ${wrong.lease.id} disagrees with leases ${evidence.other_lease_ids.join(' and ')} of two other friends (${extra.length} extra, ${missing.length} missing${evidence.tree_head_conflict ? ', conflicting tree head' : ''})`;
  await updateAudit(trx, audit.id, { state: 'settled', proven: 1, current_lease_id: null, note: `worker ${wrong.workerUid} (${wrong.friendName}) was wrong` }, now);
  // The range first (the majority's scans prove it), then the flag takes the wrong worker's stretches back out.
  if (audit.proven === 0) addVerified(counts, audit.log_id, audit.end_index - audit.start_index + 1);
  await markRangeProven(trx, audit.log_id, audit.start_index, audit.end_index);
  await flagWorker(trx, wrong.lease.worker_id, reason, evidence, now);
  for (const m of majority) if (m.lease.id !== audit.lease_id) await releaseConfirmedBy(trx, { id: m.lease.id, log_id: audit.log_id, start_index: audit.start_index, end_index: audit.end_index });
}

/**
 * Flag a worker an audit found wrong (a worker flagged again gets the evidence added): its active
 * leases are released, what it alone reported is quarantined, its stretches are no longer proven,
 * and every range it completed that no audit covers yet is queued for a rescan by other friends.
 */
export async function flagWorker(trx: Trx, workerId: number, reason: string, evidence: FlagEvidence, now: Date): Promise<void> {
  const w = await lockWorkerById(trx, workerId);
  const list = w.flag_evidence ? (JSON.parse(w.flag_evidence) as FlagEvidence[]) : [];
  list.push(evidence);
  await updateWorker(trx, w.id, { flagged_at: w.flagged_at ?? now, flag_reason: (w.flag_reason ?? reason).slice(0, 1000), flag_evidence: JSON.stringify(list) });
  for (const lease of await lockActiveLeasesOfWorker(trx, w.id)) await endLease(trx, lease, 'released', now);
  await quarantineWorker(trx, w);
  await unproveWorkerCoverage(trx, w.id);
  // Its active leases just ended: they are among the ones to rescan.
  await queueRescans(trx, await endedScanLeasesOfWorker(trx, w.id), now);
}

/**
 * Rescans (reason 'flagged') of a flagged worker's scan leases, except where an audit already scans
 * or judged them: a completed lease's whole range; of a lease that ended unfinished (its active one,
 * released by the flag, or one that expired or was handed back), the part it confirmed, which the
 * lease resuming the range does not read again, and past that the indexes where it uploaded items
 * still quarantined: the resuming lease reads them, but the sighting stays the flagged worker's, and
 * only a second scan releases it. That last part is counted as proven already (the resuming lease
 * proves it), so that the counters do not count it twice.
 */
async function queueRescans(trx: Trx, leases: readonly LeaseRow[], now: Date): Promise<void> {
  const covered = await leasesWithAudit(
    trx,
    leases.map((l) => l.id),
  );
  const rescans: NewAudit[] = [];
  for (const lease of leases) {
    if (covered.has(lease.id)) continue;
    if (lease.state === 'completed') {
      rescans.push({ lease, kind: 'rescan', reason: 'flagged', proven: false });
      continue;
    }
    if (lease.confirmed >= lease.start_index) rescans.push({ lease: { ...lease, end_index: lease.confirmed }, kind: 'rescan', reason: 'flagged', proven: false, note: `the part lease ${lease.id} confirmed before it ended (${lease.state})` });
    const beyond = await lastQuarantinedIndex(trx, lease, lease.confirmed + 1);
    if (beyond !== null) rescans.push({ lease: { ...lease, start_index: lease.confirmed + 1, end_index: beyond }, kind: 'rescan', reason: 'flagged', proven: true, note: `items lease ${lease.id} uploaded past its confirmed position` });
  }
  await insertAudits(trx, rescans, now);
}

/**
 * The operator clears a flagged worker: it may get work again, and its quarantined items count
 * again, or (remove) are deleted with the certificates only they supported; then the ranges they
 * lay in are rescanned, since their indexes hold nothing now. Its verified stretches are proven
 * again. One transaction.
 */
export async function clearWorker(db: Db, workerUid: string, remove: boolean, now: Date): Promise<ClearWorkerResponse> {
  return inTransaction(db, async (trx) => {
    const w = await lockWorkerByUid(trx, workerUid);
    if (!w) throw notFound('UNKNOWN_WORKER', `worker_id ${workerUid} is not registered`);
    const result: ClearWorkerResponse = { worker_id: w.worker_uid, friend_name: w.friend_name, was_flagged: w.flagged_at !== null, released_sightings: 0, released_certificates: 0, deleted_sightings: 0, deleted_certificates: 0 };
    if (w.flagged_at === null) return result;
    await updateWorker(trx, w.id, { flagged_at: null, flag_reason: null, flag_evidence: null });
    if (remove) {
      const d = await deleteQuarantinedOfWorker(trx, w.id);
      result.deleted_sightings = d.sightings;
      result.deleted_certificates = d.certificates;
      if (d.leaseIds.length > 0) {
        const leases = await leasesByIds(trx, d.leaseIds);
        // The rescan finds what the deleted items' indexes hold; a range already proven (and counted) stays so.
        const proven = await leasesWithProvenAudit(trx, d.leaseIds);
        await insertAudits(
          trx,
          leases.map((lease) => ({
            lease,
            kind: 'rescan' as const,
            reason: 'flagged' as const,
            proven: (lease.state === 'completed' && lease.verification === 'verified') || proven.has(lease.id),
            note: 'its quarantined items were deleted',
          })),
          now,
        );
      }
    } else {
      const r = await releaseWorker(trx, w.id);
      result.released_sightings = r.sightings;
      result.released_certificates = r.certificates;
    }
    await reproveWorkerCoverage(trx, w.id);
    return result;
  });
}
