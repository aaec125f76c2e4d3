/**
 * Per-log counters (scanned entries, distinct certificates, sightings),
 * sharded so that many concurrent pings and uploads do not serialise on one
 * row: each addition goes to a random shard; readers sum the shards.
 */
import { sql } from 'kysely';
import type { Db } from '../db/connect.js';
import type { Trx } from '../db/transaction.js';

export const LOG_COUNTER_SHARDS = 16;

export interface LogCounts {
  scanned: number;
  certificates: number;
  sightings: number;
}

/** Add to the counters of several logs (in log id order, one shard per call). */
export async function addLogCounts(trx: Trx, additions: Map<number, Partial<LogCounts>>): Promise<void> {
  const rows = [...additions]
    .map(([logId, a]) => ({ log_id: logId, scanned: a.scanned ?? 0, certificates: a.certificates ?? 0, sightings: a.sightings ?? 0 }))
    .filter((r) => r.scanned > 0 || r.certificates > 0 || r.sightings > 0)
    .sort((a, b) => a.log_id - b.log_id);
  if (rows.length === 0) return;
  const shard = Math.floor(Math.random() * LOG_COUNTER_SHARDS);
  await trx
    .insertInto('log_counters')
    .values(rows.map((r) => ({ ...r, shard })))
    .onDuplicateKeyUpdate({
      scanned: sql`scanned + VALUES(scanned)`,
      certificates: sql`certificates + VALUES(certificates)`,
      sightings: sql`sightings + VALUES(sightings)`,
    })
    .execute();
}

export async function loadLogCounts(db: Db): Promise<Map<number, LogCounts>> {
  const rows = await db
    .selectFrom('log_counters')
    .select(['log_id', sql<number>`SUM(scanned)`.as('scanned'), sql<number>`SUM(certificates)`.as('certificates'), sql<number>`SUM(sightings)`.as('sightings')])
    .groupBy('log_id')
    .execute();
  return new Map(rows.map((r) => [r.log_id, { scanned: Number(r.scanned), certificates: Number(r.certificates), sightings: Number(r.sightings) }]));
}
