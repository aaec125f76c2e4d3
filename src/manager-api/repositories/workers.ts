/** Workers: registration, liveness and their maintained counters. */
import type { Db } from '../../db/connect.js';
import type { Trx } from '../../db/transaction.js';
import type { LeaseRow, WorkerRow } from '../../db/tables.js';
import { ApiProblem, forbidden, notFound } from '../errors.js';

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
  // Revived in the same statement that locks the row; another friend's worker
  // is refused below, and the refusal rolls the revival back.
  await trx
    .insertInto('workers')
    .values({ worker_uid: w.workerUid, friend_name: w.friendName, version: w.version, state: 'alive', registered_at: now, last_ping_at: now })
    .onDuplicateKeyUpdate({ version: w.version, state: 'alive', last_ping_at: now })
    .execute();
  const row = await trx.selectFrom('workers').selectAll().where('worker_uid', '=', w.workerUid).forUpdate().executeTakeFirstOrThrow();
  if (row.friend_name !== w.friendName) throw forbidden(`worker_id ${w.workerUid} belongs to another friend`);
  return row;
}

/** A worker an audit found wrong gets no work until an operator clears it (403 WORKER_FLAGGED). */
export function refuseFlagged<W extends Pick<WorkerRow, 'worker_uid' | 'flagged_at' | 'flag_reason'>>(w: W): W {
  if (w.flagged_at !== null) {
    throw new ApiProblem(403, 'WORKER_FLAGGED', `worker ${w.worker_uid} is flagged by an audit and gets no work until an operator clears it: ${w.flag_reason ?? 'see the dashboard'}`);
  }
  return w;
}

/** Lock a known worker; 404 when it never registered, 403 when it is another friend's. */
export async function lockWorker(trx: Trx, workerUid: string, friendName: string | null): Promise<WorkerRow> {
  const row = await trx.selectFrom('workers').selectAll().where('worker_uid', '=', workerUid).forUpdate().executeTakeFirst();
  if (!row) throw notFound('UNKNOWN_WORKER', `worker_id ${workerUid} is not registered: ask for instructions or register first`);
  if (friendName !== null && row.friend_name !== friendName) throw forbidden(`worker_id ${workerUid} belongs to another friend`);
  return row;
}

/**
 * Lock a known worker and some leases in one statement (the worker row first,
 * then the leases in id order: the order every transaction locks them in).
 * Unknown lease ids are simply absent from the answer.
 */
export async function lockWorkerAndLeases(trx: Trx, workerUid: string, friendName: string | null, leaseIds: number[]): Promise<{ worker: Pick<WorkerRow, 'id' | 'friend_name'>; leases: LeaseRow[] }> {
  if (leaseIds.length === 0) return { worker: await lockWorker(trx, workerUid, friendName), leases: [] };
  const rows = await trx
    .selectFrom('workers')
    .leftJoin('leases', (join) => join.on('leases.id', 'in', leaseIds))
    .selectAll('leases')
    .select(['workers.id as worker_row_id', 'workers.friend_name as worker_friend_name'])
    .where('workers.worker_uid', '=', workerUid)
    .orderBy('leases.id')
    .forUpdate()
    .execute();
  if (rows.length === 0) throw notFound('UNKNOWN_WORKER', `worker_id ${workerUid} is not registered: ask for instructions or register first`);
  const worker = { id: rows[0].worker_row_id, friend_name: rows[0].worker_friend_name };
  if (friendName !== null && worker.friend_name !== friendName) throw forbidden(`worker_id ${workerUid} belongs to another friend`);
  const leases: LeaseRow[] = [];
  for (const { worker_row_id: _w, worker_friend_name: _f, ...lease } of rows) if (lease.id !== null) leases.push(lease as LeaseRow);
  return { worker, leases };
}

export async function findWorker(db: Db | Trx, workerUid: string): Promise<WorkerRow | undefined> {
  return db.selectFrom('workers').selectAll().where('worker_uid', '=', workerUid).executeTakeFirst();
}
