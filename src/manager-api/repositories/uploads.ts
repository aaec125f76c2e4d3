/**
 * The rows an upload reads and writes (the decisions and their order: ingest/ingest.ts):
 * certificates, sightings and each worker's uploaded_items. A transaction locks certificates in
 * identity order, then sightings in (log, index) order; the worker rows come after the raw leaf
 * files, with the counters, last.
 */
import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import type { NewCertificate, NewSighting } from '../../db/tables.js';
import type { Trx } from '../../db/transaction.js';
import { insertRows } from './multi-row-insert.js';

export interface UploadLease {
  id: number;
  log_id: number;
  worker_id: number;
  start_index: number;
  end_index: number;
  /** Its reports are recorded (lease_reports): set at hand-out, never changed. */
  compared: number;
  friend_name: string;
  worker_uid: string;
  flagged_at: Date | null;
}

/** The logs and leases an upload names (those that exist), with each lease's worker. */
export async function uploadTargets(
  db: Db,
  logNames: readonly string[],
  leaseIds: readonly number[],
): Promise<{ logs: { id: number; name: string; url: string }[]; leases: UploadLease[] }> {
  const [logs, leases] = await Promise.all([
    db.selectFrom('logs').select(['id', 'name', 'url']).where('name', 'in', logNames).execute(),
    db
      .selectFrom('leases')
      .innerJoin('workers', 'workers.id', 'leases.worker_id')
      .select(['leases.id', 'leases.log_id', 'leases.worker_id', 'leases.start_index', 'leases.end_index', 'leases.compared', 'workers.friend_name', 'workers.worker_uid', 'workers.flagged_at'])
      .where('leases.id', 'in', leaseIds)
      .execute(),
  ]);
  return { logs, leases };
}

/**
 * How a row already stored takes in the same certificate from another leaf: what one kind of
 * leaf lacks comes from the other, the earliest CT timestamp of all sightings is kept (logs see
 * one issuance at different times), and a final certificate arriving after its precertificate
 * brings the SCTs the analysis reads. The `fields` expression is ingest.ts's mergeFields in SQL
 * (keep them in step); it reads only `fields` and VALUES(fields), so the order of the
 * assignments does not matter.
 */
const MERGE_CERTIFICATE = `ON DUPLICATE KEY UPDATE
  cert_sha256 = COALESCE(cert_sha256, VALUES(cert_sha256)),
  precert_tbs_sha256 = COALESCE(precert_tbs_sha256, VALUES(precert_tbs_sha256)),
  seen_precert = GREATEST(seen_precert, VALUES(seen_precert)),
  seen_final = GREATEST(seen_final, VALUES(seen_final)),
  fields = IF(
    JSON_LENGTH(VALUES(fields), '$.scts') > 0 AND COALESCE(JSON_LENGTH(fields, '$.scts'), 0) = 0,
    JSON_SET(fields, '$.scts', JSON_EXTRACT(VALUES(fields), '$.scts'), '$.hasEmbeddedScts', JSON_EXTRACT(VALUES(fields), '$.hasEmbeddedScts')),
    fields),
  leaf_timestamp = LEAST(leaf_timestamp, VALUES(leaf_timestamp))`;

/** A certificates row after an upload's INSERT: new when it carries the upload's tag. */
export interface StoredCertificate {
  id: number;
  identity: Buffer;
  upload_tag: Buffer;
  log_name: string;
  leaf_timestamp: number;
}

/** Insert distinct certificates (sorted by identity), merging into rows that exist; every row comes back as stored now. */
export async function upsertCertificates(trx: Trx, rows: readonly NewCertificate[]): Promise<StoredCertificate[]> {
  const stored = await insertRows<'certificates', StoredCertificate>(trx, 'certificates', rows, { tail: `${MERGE_CERTIFICATE} RETURNING id, identity, upload_tag, log_name, leaf_timestamp` });
  return stored.map((r) => ({ ...r, id: Number(r.id), leaf_timestamp: Number(r.leaf_timestamp) }));
}

/** Insert sightings (sorted by log and index) whose (log, index) is not stored yet; the keys of those written come back. */
export async function insertNewSightings(trx: Trx, rows: readonly NewSighting[]): Promise<{ log_id: number; leaf_index: number }[]> {
  const written = await insertRows<'sightings', { log_id: number; leaf_index: number }>(trx, 'sightings', rows, { ignore: true, tail: 'RETURNING log_id, leaf_index' });
  return written.map((r) => ({ log_id: Number(r.log_id), leaf_index: Number(r.leaf_index) }));
}

/**
 * Add to each worker's uploaded_items (0 too), in worker id order, unless an audit has flagged
 * it: returns the workers refused. The row stays locked until the commit, and flagging a worker
 * locks it first, so an upload either commits before the flag (and its sightings are then
 * quarantined with the rest) or sees it.
 */
export async function addUploadedItems(trx: Trx, perWorker: ReadonlyMap<number, number>): Promise<number[]> {
  const refused: number[] = [];
  for (const [workerId, n] of [...perWorker].sort((a, b) => a[0] - b[0])) {
    const r = await trx
      .updateTable('workers')
      .set({ uploaded_items: sql`uploaded_items + ${n}` })
      .where('id', '=', workerId)
      .where('flagged_at', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) refused.push(workerId);
  }
  return refused;
}
