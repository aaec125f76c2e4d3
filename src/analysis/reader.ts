/**
 * Reads certificates from the manager's tables in id order, in batches (keyset pagination on the
 * primary key), so memory stays bounded whatever the table size. The next batch is requested before
 * the current one is handed out, so the database works while the analysis does.
 */
import type { Connection } from 'mysql2/promise';
import { type AnalysisCertificate, type ValidationLevel, normaliseNames } from './model.js';

export const DEFAULT_BATCH = 20_000;
const LEVELS = new Set(['DV', 'OV', 'EV', 'IV']);

// Column order of SELECT (rows come back as arrays).
const SELECT = `SELECT id, issuer_dn, issuer_cn, issuer_org, serial_hex,
  TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', not_before), TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', not_after),
  san_dns, validation_level, seen_precert, seen_final, leaf_timestamp
  FROM certificates FORCE INDEX (PRIMARY) WHERE id > ? AND quarantined = 0 ORDER BY id LIMIT ?`;
type Row = [number, string, string | null, string | null, string, number, number, string, string, number, number, number | null];

function parseSans(raw: string, id: number): string[] {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new Error(`certificate ${id}: san_dns is not JSON`);
  }
  if (!Array.isArray(v)) throw new Error(`certificate ${id}: san_dns is not a JSON array`);
  // Names with separators the lineage key relies on cannot be DNS names; they are dropped.
  return normaliseNames(v.filter((x): x is string => typeof x === 'string' && !/[\s,]/.test(x)));
}

async function certificateRows(conn: Connection, after: number, batch: number): Promise<Row[]> {
  const [rows] = await conn.query({ sql: SELECT, values: [after, batch], rowsAsArray: true });
  return rows as unknown as Row[];
}

/** Earliest CT timestamp per certificate id in [lo, hi], over every sighting not in quarantine. */
async function earliestSightings(conn: Connection, lo: number, hi: number): Promise<Map<number, number>> {
  const [rows] = await conn.query({
    sql: 'SELECT certificate_id, MIN(leaf_timestamp) FROM sightings WHERE certificate_id BETWEEN ? AND ? AND quarantined = 0 GROUP BY certificate_id',
    values: [lo, hi],
    rowsAsArray: true,
  });
  return new Map((rows as unknown as [number, number][]).map((r) => [Number(r[0]), Number(r[1])]));
}

export interface ReadOptions {
  batchSize?: number;
  /** Skip the sightings lookup and use the first sighting's timestamp (faster; exact only when that was the earliest). */
  firstSightingOnly?: boolean;
}

/** Yields batches of certificates; certificates with no DNS name at all are skipped (counted in `skipped`). */
export async function* readCertificates(conn: Connection, opts: ReadOptions = {}, stats = { rows: 0, skipped: 0 }): AsyncGenerator<AnalysisCertificate[]> {
  const batch = opts.batchSize ?? DEFAULT_BATCH;
  let pending: Promise<Row[]> | null = certificateRows(conn, 0, batch);
  while (pending) {
    const rows: Row[] = await pending;
    if (rows.length === 0) return;
    const lo = Number(rows[0][0]);
    const hi = Number(rows[rows.length - 1][0]);
    const earliest = opts.firstSightingOnly ? null : earliestSightings(conn, lo, hi);
    pending = rows.length < batch ? null : certificateRows(conn, hi, batch);
    // keep the queued query from being reported as unhandled if the consumer stops early
    pending?.catch(() => {});
    const seen = earliest ? await earliest : null;
    const out: AnalysisCertificate[] = [];
    for (const r of rows) {
      const id = Number(r[0]);
      stats.rows++;
      const names = parseSans(r[7], id);
      if (names.length === 0) {
        stats.skipped++;
        continue;
      }
      const first = r[11] === null ? null : Number(r[11]);
      const s = seen?.get(id);
      const level = r[8];
      out.push({
        id: String(id),
        names,
        notBefore: Number(r[5]) * 1000,
        notAfter: Number(r[6]) * 1000,
        ctTimestamp: s !== undefined && (first === null || s < first) ? s : first,
        issuerOrg: r[3] ?? null,
        issuerCn: r[2] ?? null,
        issuerDn: r[1],
        serialHex: r[4],
        validationLevel: (LEVELS.has(level) ? level : 'unknown') as ValidationLevel,
        seenPrecert: Number(r[9]) === 1,
        seenFinal: Number(r[10]) === 1,
      });
    }
    yield out;
  }
}
