/** Workers: registration, liveness and their maintained counters. */
import type { Db } from '../db/connect.js';
import type { Trx } from '../db/transaction.js';
import type { WorkerRow } from '../db/tables.js';
import { forbidden, notFound } from '../errors.js';

export interface WorkerIdentity {
  workerUid: string;
  friendName: string;
  version: string;
}

/**
 * Create or revive a worker and lock its row. A worker id belongs to the
 * friend who first used it; another friend using it is refused.
 */
export async function upsertAndLockWorker(trx: Trx, w: WorkerIdentity, now: Date): Promise<WorkerRow> {
  await trx
    .insertInto('workers')
    .values({ worker_uid: w.workerUid, friend_name: w.friendName, version: w.version, state: 'alive', registered_at: now, last_ping_at: now })
    .onDuplicateKeyUpdate({ worker_uid: w.workerUid })
    .execute();
  const row = await trx.selectFrom('workers').selectAll().where('worker_uid', '=', w.workerUid).forUpdate().executeTakeFirstOrThrow();
  if (row.friend_name !== w.friendName) throw forbidden(`worker_id ${w.workerUid} belongs to another friend`);
  await trx.updateTable('workers').set({ version: w.version, state: 'alive', last_ping_at: now }).where('id', '=', row.id).execute();
  return { ...row, version: w.version, state: 'alive', last_ping_at: now };
}

/** Lock a known worker; 404 when it never registered, 403 when it is another friend's. */
export async function lockWorker(trx: Trx, workerUid: string, friendName: string | null): Promise<WorkerRow> {
  const row = await trx.selectFrom('workers').selectAll().where('worker_uid', '=', workerUid).forUpdate().executeTakeFirst();
  if (!row) throw notFound('UNKNOWN_WORKER', `worker_id ${workerUid} is not registered: ask for instructions or register first`);
  if (friendName !== null && row.friend_name !== friendName) throw forbidden(`worker_id ${workerUid} belongs to another friend`);
  return row;
}

export async function findWorker(db: Db | Trx, workerUid: string): Promise<WorkerRow | undefined> {
  return db.selectFrom('workers').selectAll().where('worker_uid', '=', workerUid).executeTakeFirst();
}
