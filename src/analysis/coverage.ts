/**
 * Where the analysis gets the observed periods: the manager's coverage ledger (the default), or a
 * coverage file (`--coverage FILE`, the CoverageResponse the manager serves and the export writes).
 * The ledger is read through the manager's own coverageReport, so the analysis and the dashboard
 * rest on the same periods. A database with no coverage rows (data from before the ledger,
 * certificates inserted directly) gives `assumed-complete`, which the summary states loudly.
 */
import { readFile } from 'node:fs/promises';
import { Kysely, MysqlDialect, type MysqlPool, type MysqlPoolConnection } from 'kysely';
import type { Connection } from 'mysql2/promise';
import { type Db, connectDatabase } from '../db/connect.js';
import type { Database } from '../db/tables.js';
import { coverageReport } from '../manager-api/repositories/coverage.js';
import type { CoverageResponse } from '../share/api/types.js';
import { parseIsoSpan } from '../share/coverage.js';
import { ASSUMED_COMPLETE, type Observation, observedPeriods } from './observed.js';

/** The observation a coverage answer gives: its observed periods, unless no log has any stretch (no ledger rows). */
export function observationFromReport(report: CoverageResponse, source: string): Observation {
  if (report.logs.every((l) => l.stretches.length === 0)) return { ...ASSUMED_COMPLETE, source: `${source} (no coverage recorded)` };
  return {
    ...observedPeriods(
      report.observed_periods.map((p, i) => parseIsoSpan(p, `${source}: observed_periods[${i}]`)),
      source,
    ),
    report,
  };
}

/**
 * A coverage file as `GET /api/v1/coverage` answers it. Only `observed_periods` is required: a file
 * naming no log is taken at its word (its periods are what was observed; none means nothing was).
 */
export async function coverageFromFile(path: string): Promise<Observation> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (e) {
    throw new Error(`coverage file ${path}: cannot be read (${(e as Error).message})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new Error(`coverage file ${path}: not JSON (${(e as Error).message})`);
  }
  const periods = (v as { observed_periods?: unknown } | null)?.observed_periods;
  if (!Array.isArray(periods)) throw new Error(`coverage file ${path}: expected an object with "observed_periods": [{ "start", "end" }, …] (the answer of GET /api/v1/coverage)`);
  const observation = observedPeriods(
    periods.map((p, i) => parseIsoSpan(p, `coverage file ${path}: observed_periods[${i}]`)),
    `file:${path}`,
  );
  // A whole coverage answer (the export's file) also gives each log's covered time, for the completeness measures.
  const logs = (v as { logs?: unknown }).logs;
  const whole = Array.isArray(logs) && logs.every((l) => typeof (l as { name?: unknown })?.name === 'string' && Array.isArray((l as { covered?: unknown }).covered));
  return whole ? { ...observation, report: v as CoverageResponse } : observation;
}

/** From the coverage ledger through a Kysely instance (the manager's, or one of the analysis's own). */
export async function coverageFromDb(db: Db, now = new Date()): Promise<Observation> {
  try {
    return observationFromReport(await coverageReport(db, now), 'database');
  } catch (e) {
    // A database the manager has not migrated to the ledger holds no coverage: nothing to apply.
    if ((e as { cause?: { errno?: number } }).cause?.errno === 1146) return { ...ASSUMED_COMPLETE, source: 'database (no coverage table)' };
    throw e;
  }
}

/** From the coverage ledger of the database at url. */
export async function coverageFromDatabase(url: string): Promise<Observation> {
  const db = connectDatabase(url, 1);
  try {
    return await coverageFromDb(db);
  } finally {
    await db.destroy();
  }
}

/**
 * From the ledger over a connection the analysis already holds (summaryFromDatabase(conn) has no
 * URL to open another). Kysely wants a pool; this one lends the single connection and never ends it.
 */
export async function coverageFromConnection(conn: Connection): Promise<Observation> {
  const core = (conn as unknown as { connection: MysqlPoolConnection }).connection;
  const lent: MysqlPoolConnection = { query: ((...args: unknown[]) => (core.query as (...a: unknown[]) => unknown)(...args)) as MysqlPoolConnection['query'], release() {} };
  const pool: MysqlPool = { getConnection: (cb) => cb(null, lent), end: (cb) => cb(null) };
  return coverageFromDb(new Kysely<Database>({ dialect: new MysqlDialect({ pool }) }));
}
