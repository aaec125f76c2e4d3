/**
 * The committed length of each raw leaf file, per data directory (table leaf_files; how the
 * leaf store uses it: ingest/leaf-store.ts).
 */
import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import type { Trx } from '../../db/transaction.js';

/**
 * Reserve `n` bytes at the committed end of a file, in the upload's transaction: the row stays
 * locked until it commits or rolls back, so one upload per file writes at a time. Returns the new
 * end (the reserved bytes are [end - n, end)), or null when the file has no row yet.
 */
export async function reserveLeafBytes(trx: Trx, storeId: string, file: string, n: number): Promise<number | null> {
  // LAST_INSERT_ID(expr) hands the updated value back in the same round trip.
  const r = await sql`UPDATE leaf_files SET bytes = LAST_INSERT_ID(bytes + ${n}) WHERE store_id = ${storeId} AND file = ${file}`.execute(trx);
  return r.numAffectedRows === 1n && r.insertId !== undefined ? Number(r.insertId) : null;
}

/** The committed length, with the row locked until the transaction ends (null: no row). */
export async function lockLeafFile(trx: Trx, storeId: string, file: string): Promise<number | null> {
  const row = await trx.selectFrom('leaf_files').select('bytes').where('store_id', '=', storeId).where('file', '=', file).forUpdate().executeTakeFirst();
  return row ? row.bytes : null;
}

/** Add a file's row with its length unless it exists; true when this call added it (the row is then locked until the transaction ends). */
export async function addLeafFile(trx: Trx, storeId: string, file: string, bytes: number): Promise<boolean> {
  const r = await trx.insertInto('leaf_files').ignore().values({ store_id: storeId, file, bytes }).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function hasLeafFile(db: Db, storeId: string, file: string): Promise<boolean> {
  return (await db.selectFrom('leaf_files').select('file').where('store_id', '=', storeId).where('file', '=', file).executeTakeFirst()) !== undefined;
}

/** The files of one data directory, with their committed lengths. */
export async function leafFilesOf(db: Db, storeId: string): Promise<{ file: string; bytes: number }[]> {
  return db.selectFrom('leaf_files').select(['file', 'bytes']).where('store_id', '=', storeId).orderBy('file').execute();
}
