/**
 * The coverage ledger (table `coverage`): the stretches workers confirmed, with the CT timestamps of
 * their first and last entries, and the report built from it (`GET /api/v1/coverage`, the export's
 * coverage file, the analysis). The merging and the time arithmetic are src/share/coverage.ts; this
 * module only reads and writes rows.
 *
 * coverageReport takes a plain Kysely Db and nothing of the fastify app, because the analysis and
 * the export build their own connection and call it too.
 */
import type { CoverageResponse, LogCoverage, ReadFrom } from '../../share/api/index.js';
import { coveredTime, DEFAULT_MMD_MS, isoSpan, mergeStretches, observedPeriods, type CoverageLogInput, type CoverageStretch } from '../../share/coverage.js';
import type { Db } from '../../db/connect.js';
import type { Trx } from '../../db/transaction.js';
import type { LeaseRow } from '../../db/tables.js';

/** A stretch a report newly confirmed: indexes [start, end] of the lease's log. */
export interface ConfirmedStretch {
  lease: Pick<LeaseRow, 'id' | 'log_id' | 'worker_id'>;
  start: number;
  end: number;
  firstTimestamp: number | null;
  lastTimestamp: number | null;
}

/** One row per stretch, in one statement (inside the transaction that moved the leases' confirmed positions). */
export async function insertCoverage(trx: Trx, stretches: readonly ConfirmedStretch[], now: Date): Promise<void> {
  if (stretches.length === 0) return;
  await trx
    .insertInto('coverage')
    .values(
      stretches.map((s) => ({
        log_id: s.lease.log_id,
        lease_id: s.lease.id,
        worker_id: s.lease.worker_id,
        start_index: s.start,
        end_index: s.end,
        first_timestamp: s.firstTimestamp,
        last_timestamp: s.lastTimestamp,
        created_at: now,
      })),
    )
    .execute();
}

/**
 * A lease completed with a `verified` verdict: every entry of [start, end] is proven in a signed
 * tree head, so every stretch it confirmed is. The lease's rows lie in its index range, so the
 * (log_id, start_index) index finds them without scanning the table.
 */
export async function markLeaseProven(trx: Trx, lease: Pick<LeaseRow, 'id' | 'log_id' | 'start_index' | 'end_index'>): Promise<void> {
  await trx
    .updateTable('coverage')
    .set({ proven: 1 })
    .where('log_id', '=', lease.log_id)
    .where('start_index', '>=', lease.start_index)
    .where('start_index', '<=', lease.end_index)
    .where('lease_id', '=', lease.id)
    .execute();
}

/**
 * Is every entry a worker confirms of this log already proven as it is read? Tiles of a
 * static-ct-api log and of an archive are proven against the checkpoint before the worker takes
 * them, so even a stretch of a lease that never completed is proven; an RFC 6962 range (also one
 * read from data tiles or a mirror) is proven only at its end, by the completion's verdict.
 * Judged by how the log is read now: a shut-down log that moved between a mirror and its archive
 * may so be credited for stretches read from the mirror (a rare case, and the entries are the same).
 */
function provenAsRead(log: { api: string; read_from: string }): boolean {
  return log.api === 'static-ct-api' || log.read_from === 'archive';
}

const toDate = (v: Date | string | null): Date | null => (v === null ? null : v instanceof Date ? v : new Date(v));

/** Every log (in or out of the catalogue) with its merged stretches and covered time, and the observed periods over the catalogue's logs. */
export async function coverageReport(db: Db, now: Date): Promise<CoverageResponse> {
  let rows;
  try {
    rows = await db.selectFrom('coverage').select(['log_id', 'start_index', 'end_index', 'first_timestamp', 'last_timestamp', 'proven']).orderBy('log_id').orderBy('start_index').execute();
  } catch (err) {
    if ((err as { errno?: number }).errno === 1146 /* ER_NO_SUCH_TABLE */) {
      throw new Error('the database has no coverage table (it predates migration 0009_coverage): start the manager once on it to migrate it', { cause: err });
    }
    throw err;
  }
  const logs = await db
    .selectFrom('logs')
    .select(['id', 'name', 'category', 'api', 'in_catalogue', 'shut_down', 'read_from', 'temporal_interval_start', 'temporal_interval_end'])
    .orderBy('category')
    .orderBy('name')
    .execute();
  const byLog = new Map<number, CoverageStretch[]>();
  for (const r of rows) {
    const list = byLog.get(r.log_id) ?? [];
    byLog.set(r.log_id, list);
    list.push({ start: Number(r.start_index), end: Number(r.end_index), firstTimestamp: r.first_timestamp === null ? null : Number(r.first_timestamp), lastTimestamp: r.last_timestamp === null ? null : Number(r.last_timestamp), proven: r.proven === 1 });
  }
  const inputs: { log: (typeof logs)[number]; input: CoverageLogInput }[] = logs.map((log) => {
    const start = toDate(log.temporal_interval_start);
    const end = toDate(log.temporal_interval_end);
    const asRead = provenAsRead(log);
    const stretches = (byLog.get(log.id) ?? []).map((s) => (asRead ? { ...s, proven: true } : s));
    return { log, input: { name: log.name, temporalInterval: start && end ? { start, end } : null, mmdMs: DEFAULT_MMD_MS, stretches } };
  });
  const out: LogCoverage[] = inputs.map(({ log, input }) => ({
    name: log.name,
    category: log.category,
    in_catalogue: log.in_catalogue === 1,
    shut_down: log.shut_down === 1,
    read_from: log.read_from as ReadFrom,
    temporal_interval: input.temporalInterval ? { start_inclusive: input.temporalInterval.start.toISOString(), end_exclusive: input.temporalInterval.end.toISOString() } : null,
    mmd_seconds: Math.round((input.mmdMs ?? DEFAULT_MMD_MS) / 1000),
    stretches: mergeStretches(input.stretches).map((s) => ({
      start: s.start,
      end: s.end,
      first_timestamp: s.firstTimestamp === null ? null : new Date(s.firstTimestamp).toISOString(),
      last_timestamp: s.lastTimestamp === null ? null : new Date(s.lastTimestamp).toISOString(),
      proven: s.proven,
    })),
    covered: coveredTime(input).map(isoSpan),
  }));
  // Only the catalogue's logs are asked for: one left out (by --window, or dropped from the file) holds nothing the collection is after.
  const observed = observedPeriods(inputs.filter(({ log }) => log.in_catalogue === 1).map(({ input }) => input));
  return { generated_at: now.toISOString(), logs: out, observed_periods: observed.map(isoSpan) };
}
