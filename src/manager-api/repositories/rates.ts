/**
 * Collection rates from what workers confirmed (the `coverage` ledger: pings, completions and
 * terminations alike), not from the rate pings put on leases: a short range often finishes
 * between two pings, so its speed never reached any lease's ping rate and the dashboard showed
 * 0 /s while thousands of entries a second were confirmed.
 *
 * A rate is the entries confirmed in a window ending now over the window's length. The window is
 * cut at the start of the earliest lease whose confirmations fall in it: in the first minutes of
 * a collection (or after a pause) the full window would divide the work done so far by time in
 * which nobody was working, and the ETA would be a multiple of the real one.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';

/** The "now" window (what the status calls `rate`) and the "last hour" window, in seconds. */
export const RATE_NOW_WINDOW_S = 300;
export const RATE_HOUR_WINDOW_S = 3600;

export interface LogRates {
  /** Entries per second confirmed over the last RATE_NOW_WINDOW_S. */
  now: number;
  /** Entries per second confirmed over the last RATE_HOUR_WINDOW_S. */
  hour: number;
}

/** Entries over the part of [now - window, now] since `workStarted`; at least a second, so a lease confirmed the instant it began is no division by zero. */
function perSecond(entries: number, workStarted: Date | string | null, now: Date, windowS: number): number {
  if (entries <= 0 || workStarted === null) return 0;
  const from = Math.max(now.getTime() - windowS * 1000, new Date(workStarted).getTime());
  return entries / Math.max(1, (now.getTime() - from) / 1000);
}

/** Rates per log id; logs with nothing confirmed in the last hour are absent (rate 0). */
export async function confirmedRates(db: Db, now: Date): Promise<Map<number, LogRates>> {
  const hourCut = new Date(now.getTime() - RATE_HOUR_WINDOW_S * 1000);
  const nowCut = new Date(now.getTime() - RATE_NOW_WINDOW_S * 1000);
  const rows = await db
    .selectFrom('coverage')
    .innerJoin('leases', 'leases.id', 'coverage.lease_id')
    .select([
      'coverage.log_id',
      sql<number>`SUM(coverage.end_index - coverage.start_index + 1)`.as('hour_entries'),
      sql<Date | null>`MIN(leases.created_at)`.as('hour_started'),
      sql<number>`SUM(CASE WHEN coverage.created_at > ${nowCut} THEN coverage.end_index - coverage.start_index + 1 ELSE 0 END)`.as('now_entries'),
      sql<Date | null>`MIN(CASE WHEN coverage.created_at > ${nowCut} THEN leases.created_at END)`.as('now_started'),
    ])
    .where('coverage.created_at', '>', hourCut)
    .where('coverage.created_at', '<=', now)
    .groupBy('coverage.log_id')
    .execute();
  return new Map(
    rows.map((r) => [
      Number(r.log_id),
      { now: perSecond(Number(r.now_entries), r.now_started, now, RATE_NOW_WINDOW_S), hour: perSecond(Number(r.hour_entries), r.hour_started, now, RATE_HOUR_WINDOW_S) },
    ]),
  );
}

/**
 * Seconds until `remaining` entries are confirmed at `rate` entries/s: 0 when nothing remains,
 * null when nothing is being confirmed (or there is no target yet: remaining null).
 */
export function etaSeconds(remaining: number | null, rate: number): number | null {
  if (remaining === null) return null;
  if (remaining <= 0) return 0;
  if (!(rate > 0)) return null;
  return Math.round(remaining / rate);
}
