/**
 * Workers: registration, liveness, flags and their maintained counters. The rows only: who may act
 * for a worker, and what a flag means, is decided in services/work.ts and services/audit.ts.
 */
import type { Updateable } from 'kysely';
import type { Db } from '../../db/connect.js';
import type { Trx } from '../../db/transaction.js';
import type { LeaseRow, WorkersTable, WorkerRow } from '../../db/tables.js';

export interface WorkerIdentity {
  workerUid: string;
  friendName: string;
  version: string;
}

/**
 * Create or revive a worker and lock its row. Revived in the same statement that locks the row: the
 * caller refuses another friend's worker, and the refusal rolls the revival back.
 */
export async function upsertAndLockWorker(trx: Trx, w: WorkerIdentity, now: Date): Promise<WorkerRow> {
  await trx
    .insertInto('workers')
    .values({ worker_uid: w.workerUid, friend_name: w.friendName, version: w.version, state: 'alive', registered_at: now, last_ping_at: now })
    .onDuplicateKeyUpdate({ version: w.version, state: 'alive', last_ping_at: now })
    .execute();
  return trx.selectFrom('workers').selectAll().where('worker_uid', '=', w.workerUid).forUpdate().executeTakeFirstOrThrow();
}

export async function lockWorkerByUid(trx: Trx, workerUid: string): Promise<WorkerRow | undefined> {
  return trx.selectFrom('workers').selectAll().where('worker_uid', '=', workerUid).forUpdate().executeTakeFirst();
}

export async function lockWorkerById(trx: Trx, id: number): Promise<WorkerRow> {
  return trx.selectFrom('workers').selectAll().where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
}

/**
 * Lock a worker and some leases in one statement (the worker row first, then the leases in id
 * order: the order every transaction locks them in). Unknown lease ids are simply absent from the
 * answer; an unknown worker gives no worker.
 */
export async function lockWorkerAndLeases(trx: Trx, workerUid: string, leaseIds: number[]): Promise<{ worker: Pick<WorkerRow, 'id' | 'friend_name'> | undefined; leases: LeaseRow[] }> {
  if (leaseIds.length === 0) return { worker: await lockWorkerByUid(trx, workerUid), leases: [] };
  const rows = await trx
    .selectFrom('workers')
    .leftJoin('leases', (join) => join.on('leases.id', 'in', leaseIds))
    .selectAll('leases')
    .select(['workers.id as worker_row_id', 'workers.friend_name as worker_friend_name'])
    .where('workers.worker_uid', '=', workerUid)
    .orderBy('leases.id')
    .forUpdate()
    .execute();
  if (rows.length === 0) return { worker: undefined, leases: [] };
  const worker = { id: rows[0].worker_row_id, friend_name: rows[0].worker_friend_name };
  const leases: LeaseRow[] = [];
  for (const { worker_row_id: _w, worker_friend_name: _f, ...lease } of rows) if (lease.id !== null) leases.push(lease as LeaseRow);
  return { worker, leases };
}

export async function findWorker(db: Db | Trx, workerUid: string): Promise<WorkerRow | undefined> {
  return db.selectFrom('workers').selectAll().where('worker_uid', '=', workerUid).executeTakeFirst();
}

/** Columns a ping, completion, termination, reaper pass or flag sets on a worker's row. */
export type WorkerChanges = Pick<Updateable<WorkersTable>, 'state' | 'last_ping_at' | 'version' | 'spool_backlog' | 'rate_limited' | 'collected' | 'flagged_at' | 'flag_reason' | 'flag_evidence'>;

export async function updateWorker(trx: Trx, id: number, changes: WorkerChanges): Promise<void> {
  await trx.updateTable('workers').set(changes).where('id', '=', id).execute();
}

/** Alive workers silent since before the cutoff that no other transaction holds, locked, in id order. */
export async function lockSilentWorkers(trx: Trx, cutoff: Date, limit: number): Promise<Pick<WorkerRow, 'id' | 'worker_uid' | 'friend_name'>[]> {
  return trx.selectFrom('workers').select(['id', 'worker_uid', 'friend_name']).where('state', '=', 'alive').where('last_ping_at', '<', cutoff).orderBy('id').limit(limit).forUpdate().skipLocked().execute();
}

/** The uids of those of these workers with uploads still in their spools, in id order. */
export async function spoolingWorkerUids(trx: Trx, ids: readonly number[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await trx
    .selectFrom('workers')
    .select('worker_uid')
    .where('id', 'in', [...ids])
    .where('spool_backlog', '>', 0)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.worker_uid);
}
