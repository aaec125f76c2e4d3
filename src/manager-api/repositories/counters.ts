/**
 * Per-log counters (scanned entries, distinct certificates, sightings),
 * sharded so that many concurrent pings and uploads do not serialise on one
 * row: each addition goes to a random shard; readers sum the shards. And the
 * counts per log and UTC day (daily_counts), one row each. A transaction
 * updates them last, daily counts before log counters, so it holds them
 * only for its commit.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import type { Trx } from '../../db/transaction.js';

export const LOG_COUNTER_SHARDS = 16;

export interface LogCounts {
  scanned: number;
  certificates: number;
  sightings: number;
  verified: number;
  verification_failures: number;
}

const COUNTS = ['scanned', 'certificates', 'sightings', 'verified', 'verification_failures'] as const;

/** Add to the counters of several logs (in log id order, one shard per call). */
export async function addLogCounts(trx: Trx, additions: Map<number, Partial<LogCounts>>): Promise<void> {
  const rows = [...additions]
    .map(([logId, a]) => ({ log_id: logId, ...Object.fromEntries(COUNTS.map((c) => [c, a[c] ?? 0])) }) as { log_id: number } & LogCounts)
    .filter((r) => COUNTS.some((c) => r[c] > 0))
    .sort((a, b) => a.log_id - b.log_id);
  if (rows.length === 0) return;
  const shard = Math.floor(Math.random() * LOG_COUNTER_SHARDS);
  await trx
    .insertInto('log_counters')
    .values(rows.map((r) => ({ ...r, shard })))
    .onDuplicateKeyUpdate(Object.fromEntries(COUNTS.map((c) => [c, sql`${sql.ref(c)} + VALUES(${sql.ref(c)})`])))
    .execute();
}

export interface DailyCounts {
  logId: number;
  /** UTC day of the leaf timestamps, YYYY-MM-DD. */
  day: string;
  sightings: number;
  certificates: number;
}

/** Add to the counts of several (log, day) pairs, in that order. */
export async function addDailyCounts(trx: Trx, days: readonly DailyCounts[]): Promise<void> {
  const rows = days.filter((d) => d.sightings !== 0 || d.certificates !== 0).sort((a, b) => a.logId - b.logId || a.day.localeCompare(b.day));
  if (rows.length === 0) return;
  await trx
    .insertInto('daily_counts')
    .values(rows.map((d) => ({ log_id: d.logId, day: d.day, sightings: d.sightings, certificates: d.certificates })))
    .onDuplicateKeyUpdate({ sightings: sql`sightings + VALUES(sightings)`, certificates: sql`certificates + VALUES(certificates)` })
    .execute();
}

export const NO_COUNTS: Readonly<LogCounts> = { scanned: 0, certificates: 0, sightings: 0, verified: 0, verification_failures: 0 };

export async function loadLogCounts(db: Db): Promise<Map<number, LogCounts>> {
  const rows = await db
    .selectFrom('log_counters')
    .select(['log_id', ...COUNTS.map((c) => sql<number>`SUM(${sql.ref(c)})`.as(c))])
    .groupBy('log_id')
    .execute();
  return new Map(rows.map((r) => [r.log_id, Object.fromEntries(COUNTS.map((c) => [c, Number(r[c])])) as unknown as LogCounts]));
}
