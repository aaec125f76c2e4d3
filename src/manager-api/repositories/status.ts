/**
 * The status report, from maintained counters and small tables only: logs
 * (one row each), daily counts, workers and their active leases. Nothing
 * here counts the certificates or sightings tables.
 */
import { sql } from 'kysely';
import type { StatusResponse } from '../../share/api/index.js';
import type { ManagerConfig } from '../config.js';
import type { Db } from '../db/connect.js';
import { NO_COUNTS, loadLogCounts } from './counters.js';

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export async function buildStatus(db: Db, config: ManagerConfig, now: Date, days: number): Promise<StatusResponse> {
  const since = new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10);
  const [logs, counts, waiting, fresh, daily, workers, leases] = await Promise.all([
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
      .select(['leases.id', 'leases.worker_id', 'leases.log_id', 'leases.start_index', 'leases.end_index', 'leases.confirmed', 'leases.state', 'leases.rate', 'logs.name', 'logs.category'])
      .where('leases.state', '=', 'active')
      .execute(),
  ]);
  // Per-log rates are summed from the active leases read for the workers anyway.
  const rateByLog = new Map<number, number>();
  for (const l of leases) rateByLog.set(l.log_id, (rateByLog.get(l.log_id) ?? 0) + l.rate);
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
    rate: rateByLog.get(l.id) ?? 0,
    resume_waiting: waitingByLog.get(l.id) ?? 0,
    resume_waiting_entries: waitingEntriesByLog.get(l.id) ?? 0,
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
      rate: [...rateByLog.values()].reduce((s, r) => s + r, 0),
    },
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
    })),
  };
}
