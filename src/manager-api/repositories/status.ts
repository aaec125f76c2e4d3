/**
 * The status report, from maintained counters and small tables only: logs
 * (one row each), daily counts, workers and their active leases, and the last
 * hour of the coverage ledger for the rates. Nothing here counts the
 * certificates or sightings tables.
 */
import { sql } from 'kysely';
import type { FlagEvidence, LogAudit, StalledLease, StatusResponse, WorkerFlag } from '../../share/api/index.js';
import type { ManagerConfig } from '../config.js';
import type { Db } from '../../db/connect.js';
import { auditFigures, NO_AUDIT_FIGURES, quarantinedByWorker, type LogAuditFigures } from './audit-figures.js';
import { NO_COUNTS, loadLogCounts } from './counters.js';
import { confirmedRates, etaSeconds, RATE_HOUR_WINDOW_S, RATE_NOW_WINDOW_S } from './rates.js';

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

type LogRow = { target_start: number; target_end: number | null };

/** Target entries of a log and how many are not scanned yet; null remaining without a target. */
function remainingOf(l: LogRow, scanned: number): { target: number; remaining: number | null } {
  if (l.target_end === null || l.target_end < l.target_start) return { target: 0, remaining: null };
  const target = l.target_end - l.target_start + 1;
  return { target, remaining: target - Math.min(target, Math.max(0, scanned)) };
}

function logRates(l: LogRow, scanned: number, r: { now: number; hour: number } | undefined) {
  const rate = r?.now ?? 0;
  return { rate, rate_last_hour: r?.hour ?? 0, eta_s: etaSeconds(remainingOf(l, scanned).remaining, rate) };
}

/** Logs summed: their rates add up, the ETA is what remains of their targets over that rate. */
function summed(logs: readonly (LogRow & { scanned: number; rate: number; rate_last_hour: number })[]) {
  let remaining = 0;
  for (const l of logs) remaining += remainingOf(l, l.scanned).remaining ?? 0;
  const rate = logs.reduce((s, l) => s + l.rate, 0);
  const withTarget = logs.some((l) => remainingOf(l, l.scanned).remaining !== null);
  return { remaining_entries: remaining, rate, rate_last_hour: logs.reduce((s, l) => s + l.rate_last_hour, 0), eta_s: etaSeconds(withTarget ? remaining : null, rate) };
}

/**
 * Active leases whose worker has been silent for longer than the ping interval but is still
 * alive to the manager: their ranges wait for the reaper. The seconds left count to dead-after;
 * the reaper's next pass (every reaper interval) then declares the worker dead.
 */
function stalledLeases(
  leases: readonly { id: number; log_id: number; worker_uid: string; friend_name: string; worker_state: string; last_ping_at: Date | string }[],
  config: Pick<ManagerConfig, 'pingIntervalS' | 'deadAfterS'>,
  now: Date,
) {
  const byLog = new Map<number, StalledLease[]>();
  for (const l of leases) {
    if (l.worker_state !== 'alive') continue;
    const silentMs = now.getTime() - new Date(l.last_ping_at).getTime();
    if (silentMs <= config.pingIntervalS * 1000) continue;
    const list = byLog.get(l.log_id) ?? [];
    list.push({ lease_id: l.id, worker_id: l.worker_uid, friend_name: l.friend_name, silent_s: Math.floor(silentMs / 1000), dead_in_s: Math.max(0, Math.ceil((config.deadAfterS * 1000 - silentMs) / 1000)) });
    byLog.set(l.log_id, list);
  }
  return byLog;
}

/** A log's audit figures as the API gives them; twice_share is over the entries its own scans confirmed. */
function logAudit(f: LogAuditFigures, scanned: number): LogAudit {
  return {
    audited_entries: f.auditedEntries,
    rescanned_entries: f.rescannedEntries,
    twice_share: scanned > 0 ? (f.auditedEntries + f.rescannedEntries) / scanned : 0,
    pending_audits: f.pendingAudits,
    waiting_for_friend: f.waitingForFriend,
    confirmed_audits: f.confirmedAudits,
    disputes: f.disputes,
    disputes_settled: f.disputesSettled,
    disputes_unresolved: f.disputesUnresolved,
    unproven_ranges: f.unprovenRanges,
    unproven_entries: f.unprovenEntries,
    given_up: f.givenUp,
    quarantined_certificates: f.quarantinedCertificates,
    quarantined_sightings: f.quarantinedSightings,
  };
}

function workerFlag(w: { flagged_at: Date | string | null; flag_reason: string | null; flag_evidence: string | null }, quarantined: number): WorkerFlag | null {
  if (w.flagged_at === null) return null;
  return { at: new Date(w.flagged_at).toISOString(), reason: w.flag_reason ?? '', evidence: w.flag_evidence ? (JSON.parse(w.flag_evidence) as FlagEvidence[]) : [], quarantined_sightings: quarantined };
}

export async function buildStatus(db: Db, config: ManagerConfig, now: Date, days: number): Promise<StatusResponse> {
  const since = new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10);
  const [logs, counts, waiting, fresh, daily, workers, leases, rates, audits, quarantinedOf] = await Promise.all([
    db.selectFrom('logs').selectAll().where('in_catalogue', '=', 1).orderBy('category').orderBy('name').execute(),
    loadLogCounts(db),
    db
      .selectFrom('ranges')
      .select(['log_id', sql<number>`COUNT(*)`.as('n'), sql<number>`SUM(end_index - resume_from + 1)`.as('entries')])
      .where('state', '=', 'resume_waiting')
      .groupBy('log_id')
      .execute(),
    db.selectFrom('ranges').select(['log_id', sql<number>`MIN(start_index)`.as('low')]).where('state', '=', 'fresh').groupBy('log_id').execute(),
    db
      .selectFrom('daily_counts')
      .innerJoin('logs', 'logs.id', 'daily_counts.log_id')
      .select(['logs.name', sql<string>`DATE_FORMAT(daily_counts.day, '%Y-%m-%d')`.as('day'), 'daily_counts.sightings', 'daily_counts.certificates'])
      .where('daily_counts.day', '>=', since)
      .orderBy('daily_counts.day')
      .orderBy('logs.name')
      .execute(),
    db.selectFrom('workers').selectAll().orderBy('last_ping_at', 'desc').limit(5000).execute(),
    db
      .selectFrom('leases')
      .innerJoin('logs', 'logs.id', 'leases.log_id')
      .innerJoin('workers', 'workers.id', 'leases.worker_id')
      .select([
        'leases.id',
        'leases.worker_id',
        'leases.log_id',
        'leases.start_index',
        'leases.end_index',
        'leases.confirmed',
        'leases.state',
        'leases.rate',
        'logs.name',
        'logs.category',
        'workers.worker_uid',
        'workers.friend_name',
        'workers.state as worker_state',
        'workers.last_ping_at',
      ])
      .where('leases.state', '=', 'active')
      .execute(),
    confirmedRates(db, now),
    auditFigures(db),
    quarantinedByWorker(db),
  ]);
  const stalledByLog = stalledLeases(leases, config, now);
  const waitingByLog = new Map(waiting.map((r) => [r.log_id, Number(r.n)]));
  const waitingEntriesByLog = new Map(waiting.map((r) => [r.log_id, Number(r.entries)]));
  // Fresh ranges are cut ahead and handed out in index order: everything below the lowest is handed out.
  const lowestFresh = new Map(fresh.map((r) => [r.log_id, Number(r.low)]));
  const leasesByWorker = new Map<number, typeof leases>();
  for (const l of leases) {
    const list = leasesByWorker.get(l.worker_id) ?? [];
    list.push(l);
    leasesByWorker.set(l.worker_id, list);
  }
  const logStatus = logs.map((l) => ({
    name: l.name,
    category: l.category,
    url: l.url,
    api: l.api,
    data_tiles: l.data_tiles === 1,
    available: l.available === 1,
    shut_down: l.shut_down === 1,
    read_from: l.read_from,
    read_url: l.read_from === 'origin' ? null : l.read_url,
    last_error: l.last_error,
    checked_at: iso(l.checked_at),
    tree_size: l.tree_size,
    target_start: l.target_start,
    target_end: l.target_end,
    target_mode: l.target_mode,
    target_note: l.target_note,
    handed_out_to: (lowestFresh.get(l.id) ?? l.next_index) - 1,
    ...(counts.get(l.id) ?? NO_COUNTS),
    ...logRates(l, counts.get(l.id)?.scanned ?? 0, rates.get(l.id)),
    stalled_leases: stalledByLog.get(l.id) ?? [],
    resume_waiting: waitingByLog.get(l.id) ?? 0,
    resume_waiting_entries: waitingEntriesByLog.get(l.id) ?? 0,
    audit: logAudit(audits.get(l.id) ?? NO_AUDIT_FIGURES, counts.get(l.id)?.scanned ?? 0),
  }));
  const count = (state: string) => workers.filter((w) => w.state === state).length;
  return {
    generated_at: now.toISOString(),
    planning: {
      mode: config.window ? 'window' : 'fraction',
      fraction: config.targetFraction.numerator / config.targetFraction.denominator,
      window: config.window?.text ?? null,
      window_widened_hours: 24,
      assignment_size: config.assignmentSize,
    },
    totals: {
      logs: logs.length,
      logs_available: logs.filter((l) => l.available === 1).length,
      certificates: logStatus.reduce((s, l) => s + l.certificates, 0),
      sightings: logStatus.reduce((s, l) => s + l.sightings, 0),
      target_entries: logs.reduce((s, l) => s + (l.target_end === null ? 0 : Math.max(0, l.target_end - l.target_start + 1)), 0),
      scanned_entries: logStatus.reduce((s, l) => s + l.scanned, 0),
      workers_alive: count('alive'),
      workers_dead: count('dead'),
      workers_stopped: count('stopped'),
      quarantined_certificates: logStatus.reduce((s, l) => s + l.audit.quarantined_certificates, 0),
      quarantined_sightings: logStatus.reduce((s, l) => s + l.audit.quarantined_sightings, 0),
      workers_flagged: workers.filter((w) => w.flagged_at !== null).length,
      ...summed(logStatus),
    },
    rate_windows: { now_s: RATE_NOW_WINDOW_S, last_hour_s: RATE_HOUR_WINDOW_S },
    categories: [...new Set(logStatus.map((l) => l.category))].sort().map((category) => {
      const members = logStatus.filter((l) => l.category === category);
      return { category, target_entries: members.reduce((s, l) => s + remainingOf(l, l.scanned).target, 0), ...summed(members) };
    }),
    logs: logStatus,
    daily: daily.map((d) => ({ log_name: d.name, day: d.day, sightings: d.sightings, certificates: d.certificates })),
    workers: workers.map((w) => ({
      worker_id: w.worker_uid,
      friend_name: w.friend_name,
      state: w.state as 'alive' | 'dead' | 'stopped',
      version: w.version,
      last_ping_at: new Date(w.last_ping_at).toISOString(),
      collected: w.collected,
      uploaded_items: w.uploaded_items,
      spool_backlog: w.spool_backlog,
      rate_limited: w.rate_limited,
      leases: (leasesByWorker.get(w.id) ?? []).map((l) => ({
        lease_id: l.id,
        log_name: l.name,
        category: l.category,
        start: l.start_index,
        end: l.end_index,
        confirmed: l.confirmed,
        state: l.state,
        rate: l.rate,
      })),
      flagged: workerFlag(w, quarantinedOf.get(w.id) ?? 0),
    })),
  };
}
