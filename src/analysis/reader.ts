/**
 * Reads certificates from the manager's tables in id order, in batches (keyset pagination on the
 * primary key), so memory stays bounded whatever the table size. The next batch is requested before
 * the current one is handed out, so the database works while the analysis does.
 */
import type { Connection } from 'mysql2/promise';
import { byPrimaryKey, epochSeconds, readQueries, readTuples } from '../db/read-connection.js';
import { type AnalysisCertificate, type ValidationLevel, normaliseNames } from './model.js';

export const DEFAULT_BATCH = 20_000;
const LEVELS = new Set(['DV', 'OV', 'EV', 'IV']);

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

/**
 * One keyset page of certificates: those after id `after`, in id order through the primary key,
 * quarantined ones left out; the caller selects the columns.
 */
export const certificatePage = (after: number, batch: number) =>
  readQueries.selectFrom(byPrimaryKey('certificates')).where('id', '>', after).where('quarantined', '=', 0).orderBy('id').limit(batch);

/** The certificates after id `after`, rows as arrays in the order of CERTIFICATE_COLUMNS. */
const certificatesAfter = (after: number, batch: number) =>
  certificatePage(after, batch).select((eb) => [
    'id', 'issuer_dn', 'issuer_cn', 'issuer_org', 'serial_hex',
    epochSeconds(eb.ref('not_before')).as('not_before_s'), epochSeconds(eb.ref('not_after')).as('not_after_s'),
    'san_dns', 'validation_level', 'seen_precert', 'seen_final', 'leaf_timestamp',
  ]);
const CERTIFICATE_COLUMNS = [
  'id', 'issuer_dn', 'issuer_cn', 'issuer_org', 'serial_hex', 'not_before_s', 'not_after_s',
  'san_dns', 'validation_level', 'seen_precert', 'seen_final', 'leaf_timestamp',
] as const;

const certificateRows = (conn: Connection, after: number, batch: number) => readTuples(conn, certificatesAfter(after, batch), CERTIFICATE_COLUMNS);
type CertificateRow = Awaited<ReturnType<typeof certificateRows>>[number];

/** Earliest CT timestamp per certificate id in [lo, hi], over every sighting not in quarantine. */
async function earliestSightings(conn: Connection, lo: number, hi: number): Promise<Map<number, number>> {
  const query = readQueries
    .selectFrom('sightings')
    .select((eb) => ['certificate_id', eb.fn.min('leaf_timestamp').as('first_logged')])
    .where((eb) => eb.between('certificate_id', lo, hi))
    .where('quarantined', '=', 0)
    .groupBy('certificate_id');
  const rows = await readTuples(conn, query, ['certificate_id', 'first_logged']);
  return new Map(rows.map(([id, first]) => [Number(id), Number(first)]));
}

export interface ReadOptions {
  batchSize?: number;
  /** Skip the sightings lookup and use the first sighting's timestamp (faster; exact only when that was the earliest). */
  firstSightingOnly?: boolean;
}

/** Yields batches of certificates; certificates with no DNS name at all are skipped (counted in `skipped`). */
export async function* readCertificates(conn: Connection, opts: ReadOptions = {}, stats = { rows: 0, skipped: 0 }): AsyncGenerator<AnalysisCertificate[]> {
  const batch = opts.batchSize ?? DEFAULT_BATCH;
  let pending: Promise<CertificateRow[]> | null = certificateRows(conn, 0, batch);
  while (pending) {
    const rows: CertificateRow[] = await pending;
    if (rows.length === 0) return;
    const lo = Number(rows[0][0]);
    const hi = Number(rows[rows.length - 1][0]);
    const earliest = opts.firstSightingOnly ? null : earliestSightings(conn, lo, hi);
    pending = rows.length < batch ? null : certificateRows(conn, hi, batch);
    // keep the queued query from being reported as unhandled if the consumer stops early
    pending?.catch(() => {});
    const seen = earliest ? await earliest : null;
    const out: AnalysisCertificate[] = [];
    for (const [rawId, issuerDn, issuerCn, issuerOrg, serialHex, notBefore, notAfter, sanDns, level, seenPrecert, seenFinal, firstLogged] of rows) {
      const id = Number(rawId);
      stats.rows++;
      const names = parseSans(sanDns, id);
      if (names.length === 0) {
        stats.skipped++;
        continue;
      }
      const first = firstLogged === null ? null : Number(firstLogged);
      const s = seen?.get(id);
      out.push({
        id: String(id),
        names,
        notBefore: Number(notBefore) * 1000,
        notAfter: Number(notAfter) * 1000,
        ctTimestamp: s !== undefined && (first === null || s < first) ? s : first,
        issuerOrg: issuerOrg ?? null,
        issuerCn: issuerCn ?? null,
        issuerDn,
        serialHex,
        validationLevel: (LEVELS.has(level) ? level : 'unknown') as ValidationLevel,
        seenPrecert: Number(seenPrecert) === 1,
        seenFinal: Number(seenFinal) === 1,
      });
    }
    yield out;
  }
}
