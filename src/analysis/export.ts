/**
 * NDJSON export of the distinct certificates (docs/design.md, "Export record"), with a BigQuery schema.
 * Read in id order in batches, written through a buffered appender: memory stays bounded.
 */
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import type { Connection } from 'mysql2/promise';
import { isoSecond, lowerHex, readQueries, readRows } from '../db/read-connection.js';
import type { CoverageResponse } from '../share/api/types.js';
import { primaryDomain } from './domains.js';
import { DEFAULT_BATCH, certificatePage } from './reader.js';

export interface ExportSighting {
  log_name: string;
  leaf_index: number;
  entry_type: string;
  timestamp: string;
}

export interface ExportRecord {
  issuer_dn: string;
  serial_hex: string;
  not_before: string;
  not_after: string;
  subject_dn: string;
  common_name: string | null;
  san_dns: string[];
  ca: string | null;
  issuer_cn: string | null;
  validation_level: string;
  cert_sha256: string | null;
  validity_days: number;
  registrable_domain: string;
  org_type: string;
  first_seen: string | null;
  sightings: ExportSighting[];
}

/** BigQuery schema for ExportRecord (bq load --source_format=NEWLINE_DELIMITED_JSON --schema=FILE). */
export const BIGQUERY_SCHEMA = [
  { name: 'issuer_dn', type: 'STRING', mode: 'REQUIRED', description: 'Issuer distinguished name, RFC 4514' },
  { name: 'serial_hex', type: 'STRING', mode: 'REQUIRED', description: 'Serial number, lower-case hex without leading zeros' },
  { name: 'not_before', type: 'TIMESTAMP', mode: 'REQUIRED' },
  { name: 'not_after', type: 'TIMESTAMP', mode: 'REQUIRED' },
  { name: 'subject_dn', type: 'STRING', mode: 'REQUIRED' },
  { name: 'common_name', type: 'STRING', mode: 'NULLABLE' },
  { name: 'san_dns', type: 'STRING', mode: 'REPEATED', description: 'SAN dNSNames as in the certificate' },
  { name: 'ca', type: 'STRING', mode: 'NULLABLE', description: 'Issuer organisation (O)' },
  { name: 'issuer_cn', type: 'STRING', mode: 'NULLABLE' },
  { name: 'validation_level', type: 'STRING', mode: 'REQUIRED', description: 'DV, OV, EV, IV or unknown' },
  { name: 'cert_sha256', type: 'STRING', mode: 'NULLABLE', description: "SHA-256 of the final certificate's DER; null while only the precertificate was seen" },
  { name: 'validity_days', type: 'INT64', mode: 'REQUIRED' },
  { name: 'registrable_domain', type: 'STRING', mode: 'REQUIRED', description: 'The organisation domain the analysis assigns (PSL registrable domain)' },
  { name: 'org_type', type: 'STRING', mode: 'REQUIRED', description: 'go.jp, lg.jp, ac.jp, co.jp, ..., prefecture, geographic, general, other' },
  { name: 'first_seen', type: 'TIMESTAMP', mode: 'NULLABLE', description: 'Earliest CT leaf timestamp' },
  {
    name: 'sightings', type: 'RECORD', mode: 'REPEATED', fields: [
      { name: 'log_name', type: 'STRING', mode: 'REQUIRED' },
      { name: 'leaf_index', type: 'INT64', mode: 'REQUIRED' },
      { name: 'entry_type', type: 'STRING', mode: 'REQUIRED', description: 'x509_entry or precert_entry' },
      { name: 'timestamp', type: 'TIMESTAMP', mode: 'REQUIRED', description: 'CT leaf timestamp' },
    ],
  },
];

const iso = (ms: number): string => new Date(ms).toISOString();

const certificatesAfter = (after: number, batchSize: number) =>
  certificatePage(after, batchSize).select((eb) => [
    'id', 'issuer_dn', 'subject_dn', 'common_name', 'issuer_cn', 'issuer_org', 'serial_hex', 'san_dns', 'validation_level', 'validity_days',
    isoSecond(eb.ref('not_before')).as('nb'), isoSecond(eb.ref('not_after')).as('na'), lowerHex(eb.ref('cert_sha256')).as('cert_sha256'),
  ]);

/** The sightings of certificates lo..hi with their log's name, in the order a record lists them. */
const sightingsBetween = (lo: number, hi: number) =>
  readQueries
    .selectFrom('sightings as s')
    .innerJoin('logs as l', 'l.id', 's.log_id')
    .select(['s.certificate_id as cid', 'l.name as log_name', 's.leaf_index', 's.entry_type', 's.leaf_timestamp'])
    .where((eb) => eb.between('s.certificate_id', lo, hi))
    .where('s.quarantined', '=', 0)
    .orderBy('s.certificate_id')
    .orderBy('s.leaf_timestamp')
    .orderBy('l.name')
    .orderBy('s.leaf_index');

/** Certificates as export records, batch by batch. */
export async function* exportRecords(conn: Connection, batchSize = DEFAULT_BATCH): AsyncGenerator<ExportRecord[]> {
  let after = 0;
  for (;;) {
    const rows = await readRows(conn, certificatesAfter(after, batchSize));
    if (rows.length === 0) return;
    const lo = rows[0].id;
    const hi = rows[rows.length - 1].id;
    const sight = await readRows(conn, sightingsBetween(lo, hi));
    const byCert = new Map<number, ExportSighting[]>();
    for (const s of sight) {
      const k = Number(s.cid);
      let list = byCert.get(k);
      if (!list) byCert.set(k, (list = []));
      list.push({ log_name: s.log_name, leaf_index: s.leaf_index, entry_type: s.entry_type, timestamp: iso(s.leaf_timestamp) });
    }
    yield rows.map((r) => {
      let san: string[];
      try {
        san = JSON.parse(r.san_dns);
        if (!Array.isArray(san)) throw new Error();
      } catch {
        throw new Error(`certificate ${r.id}: san_dns is not a JSON array`);
      }
      const sightings = byCert.get(r.id) ?? [];
      const dom = primaryDomain(san.map((n) => String(n).toLowerCase()));
      return {
        issuer_dn: r.issuer_dn,
        serial_hex: r.serial_hex,
        not_before: r.nb,
        not_after: r.na,
        subject_dn: r.subject_dn,
        common_name: r.common_name ?? null,
        san_dns: san,
        ca: r.issuer_org ?? null,
        issuer_cn: r.issuer_cn ?? null,
        validation_level: r.validation_level,
        cert_sha256: r.cert_sha256 ?? null,
        validity_days: r.validity_days,
        registrable_domain: dom.registrable,
        org_type: dom.type,
        first_seen: sightings.length ? sightings.reduce((m, s) => (s.timestamp < m ? s.timestamp : m), sightings[0].timestamp) : null,
        sightings,
      };
    });
    after = hi;
    if (rows.length < batchSize) return;
  }
}

async function writeAll(fh: FileHandle, chunks: AsyncIterable<string>): Promise<void> {
  let buf: string[] = [];
  let size = 0;
  for await (const c of chunks) {
    buf.push(c);
    size += c.length;
    if (size >= 1 << 20) {
      await fh.write(buf.join(''));
      buf = [];
      size = 0;
    }
  }
  if (buf.length) await fh.write(buf.join(''));
}

/** Writes FILE (NDJSON) and the schema file; both appear only when complete. Returns the record count. */
export async function exportCertificates(conn: Connection, file: string, schemaFile: string, batchSize = DEFAULT_BATCH): Promise<number> {
  const tmp = `${file}.partial-${process.pid}`;
  let count = 0;
  const fh = await open(tmp, 'w');
  try {
    await writeAll(fh, (async function* () {
      for await (const batch of exportRecords(conn, batchSize)) {
        count += batch.length;
        yield batch.map((r) => JSON.stringify(r) + '\n').join('');
      }
    })());
    await fh.close();
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  const stmp = `${schemaFile}.partial-${process.pid}`;
  const sh = await open(stmp, 'w');
  await sh.write(JSON.stringify(BIGQUERY_SCHEMA, null, 2) + '\n');
  await sh.close();
  await rename(tmp, file);
  await rename(stmp, schemaFile);
  return count;
}

/** Where the coverage of an export goes: beside it, as the schema file is (`certs.ndjson.coverage.json`). */
export const coverageFileOf = (file: string): string => `${file}.coverage.json`;

/**
 * Writes the coverage answer (what was scanned, the observed periods; GET /api/v1/coverage) beside an
 * export, under a temporary name renamed once complete, so that the analysis of the exported data
 * knows what it covers. Take the report before reading the certificates: a stretch confirmed later
 * would otherwise claim entries whose certificates the export does not hold.
 */
export async function writeCoverageFile(file: string, report: CoverageResponse): Promise<void> {
  const tmp = `${file}.partial-${process.pid}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.write(JSON.stringify(report, null, 1) + '\n');
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
