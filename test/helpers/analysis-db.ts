/**
 * A throw-away MariaDB database with the manager's schema (its own migrations), for the analysis
 * tests and the benchmark, and a loader that stores certificates (and their names index) the way the
 * manager's ingest does.
 */
import { randomBytes, createHash } from 'node:crypto';
import type { Connection } from 'mysql2/promise';
import { connectDb } from '../../src/db/read-connection.js';
import type { AnalysisCertificate } from '../../src/analysis/model.js';
import { openDatabase } from '../../src/db/connect.js';
import { coveredDnsNames } from '../../src/share/x509/index.js';
import { dropTestDatabase, testDatabaseUrl } from './database.js';

export interface TestDb {
  url: string;
  /** A connection as the analysis opens one (UTC). */
  conn: Connection;
  drop(): Promise<void>;
}

export async function createTestDb(prefix = 'ctjp_test'): Promise<TestDb> {
  const url = testDatabaseUrl(prefix);
  const kysely = await openDatabase(url, 1);
  await kysely.destroy();
  const conn = await connectDb(url);
  await conn.query("INSERT INTO logs (name, category, url) VALUES ('testlog-a', 'google', 'http://127.0.0.1/a/'), ('testlog-b', 'cloudflare', 'http://127.0.0.1/b/')");
  return {
    url,
    conn,
    async drop() {
      await conn.end();
      await dropTestDatabase(url);
    },
  };
}

const dt = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
let leafIndex = 0;

/**
 * Inserts certificates as the manager would store them: one certificates row each, a precertificate
 * sighting (at ctTimestamp) and, when seenFinal, a final-certificate sighting a few seconds later.
 */
export interface GivenSighting {
  log: string;
  index: number;
  entry_type: 'x509_entry' | 'precert_entry';
  timestamp: number;
}

export async function insertCertificates(
  conn: Connection,
  certs: readonly AnalysisCertificate[],
  extra: Partial<{ crl: boolean; cn: string; sightings: Map<string, GivenSighting[]>; names: boolean }> = {},
): Promise<void> {
  const [logRows] = await conn.query<import('mysql2').RowDataPacket[]>('SELECT id, name FROM logs');
  const logIds = new Map(logRows.map((r) => [String(r.name), Number(r.id)]));
  const logId = async (name: string): Promise<number> => {
    let id = logIds.get(name);
    if (id === undefined) {
      const [r] = await conn.query<import('mysql2').ResultSetHeader>('INSERT INTO logs (name, category, url) VALUES (?, ?, ?)', [name, 'test', `http://127.0.0.1/${name}/`]);
      id = Number(r.insertId);
      logIds.set(name, id);
    }
    return id;
  };
  for (let i = 0; i < certs.length; i += 500) {
    const part = certs.slice(i, i + 500);
    const rows = part.map((c) => {
      const fields = JSON.stringify({ hasCrlDistributionPoints: extra.crl ?? c.validationLevel !== 'DV', crlUrls: [], isWildcard: c.names.some((n) => n.startsWith('*.')) });
      const ts = c.ctTimestamp ?? c.notBefore;
      return [
        createHash('sha256').update(`${c.id}|${c.serialHex}`).digest(), 'testlog-a', 'test', leafIndex++, ts, c.issuerDn, `CN=${c.names[0]}`, c.names[0],
        c.issuerCn, c.issuerOrg, JSON.stringify(c.names), JSON.stringify(c.names.filter((n) => n.endsWith('.jp'))), c.serialHex, dt(c.notBefore),
        dt(c.notAfter), Math.round((c.notAfter - c.notBefore) / 86_400_000), 'EC', 256, '1.2.840.10045.4.3.2', randomBytes(32), c.validationLevel,
        c.seenFinal ? createHash('sha256').update(`final|${c.id}`).digest() : null, null, c.seenPrecert ? 1 : 0, c.seenFinal ? 1 : 0, fields, randomBytes(16),
      ];
    });
    const [res] = await conn.query<import('mysql2').ResultSetHeader>(
      `INSERT INTO certificates (identity, log_name, friend_name, leaf_index, leaf_timestamp, issuer_dn, subject_dn, common_name, issuer_cn, issuer_org,
        san_dns, jp_names, serial_hex, not_before, not_after, validity_days, key_algorithm, key_size, signature_algorithm, spki_sha256, validation_level,
        cert_sha256, precert_tbs_sha256, seen_precert, seen_final, fields, upload_tag) VALUES ?`,
      [rows],
    );
    const firstId = Number(res.insertId);
    // The names index, as the ingest writes it (names: false leaves it to the backfill migration).
    const nameRows = extra.names === false ? [] : part.flatMap((c, k) => coveredDnsNames(c.names, c.names[0]).map((n) => [firstId + k, n]));
    if (nameRows.length) await conn.query('INSERT INTO certificate_names (certificate_id, name) VALUES ?', [nameRows]);
    const sightings: unknown[][] = [];
    for (const [k, c] of part.entries()) {
      const given = extra.sightings?.get(c.id);
      if (!given) continue;
      for (const g of given) sightings.push([await logId(g.log), g.index, firstId + k, g.entry_type, g.timestamp, randomBytes(32), 'test', randomBytes(16)]);
    }
    part.forEach((c, k) => {
      if (c.ctTimestamp === null || extra.sightings?.has(c.id)) return;
      // the final certificate is logged later; the precertificate's timestamp is the earliest
      if (c.seenFinal) sightings.push([2, leafIndex++, firstId + k, 'x509_entry', c.ctTimestamp + 7000, randomBytes(32), 'test', randomBytes(16)]);
      if (c.seenPrecert) sightings.push([1, leafIndex++, firstId + k, 'precert_entry', c.ctTimestamp, randomBytes(32), 'test', randomBytes(16)]);
    });
    if (sightings.length)
      await conn.query('INSERT INTO sightings (log_id, leaf_index, certificate_id, entry_type, leaf_timestamp, leaf_hash, friend_name, upload_tag) VALUES ?', [sightings]);
  }
}
