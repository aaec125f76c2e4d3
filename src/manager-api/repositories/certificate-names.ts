/**
 * The certificate_names table (docs/manager-api.md, "Domain look-up"): the DNS names each
 * certificate covers, written in the transaction that inserts the certificate row.
 */
import { coveredDnsNamesOfRow } from '../../share/x509/index.js';
import type { Trx } from '../../db/transaction.js';
import { insertRows } from './multi-row-insert.js';

/** Most rows per INSERT: two short columns each, so an upload's names (about ten per certificate) take a few statements. */
const CHUNK = 4096;

/** A certificate row as just inserted: its id and the stored name columns. */
export interface InsertedCertificate {
  id: number;
  common_name: string | null;
  san_dns: string;
}

/**
 * Index the names of certificates this transaction has just created. Call it for new rows only
 * (a certificate seen again already has its names), so a repeated upload adds nothing. Returns the
 * number of name rows written.
 */
export async function insertCertificateNames(trx: Trx, certificates: readonly InsertedCertificate[]): Promise<number> {
  const rows = certificates
    .flatMap((c) => coveredDnsNamesOfRow(c.san_dns, c.common_name).map((name) => ({ certificate_id: c.id, name })))
    .sort((a, b) => a.certificate_id - b.certificate_id || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  await insertRows(trx, 'certificate_names', rows, { chunk: CHUNK });
  return rows.length;
}
