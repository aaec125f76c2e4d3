/**
 * Transactions for the manager: READ COMMITTED (no gap locks between
 * concurrent claims; the session default of every connection of the pool,
 * see connectDatabase) and retried when MariaDB picks the transaction as a
 * deadlock victim or a lock wait times out. The function may run more than
 * once, so it must not have effects outside the database before it returns.
 */
import type { Transaction } from 'kysely';
import type { Db } from './connect.js';
import type { Database } from './tables.js';

export type Trx = Transaction<Database>;

const RETRYABLE_ERRNOS = new Set([1213 /* ER_LOCK_DEADLOCK */, 1205 /* ER_LOCK_WAIT_TIMEOUT */]);

export function isRetryableDbError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && RETRYABLE_ERRNOS.has((err as { errno?: number }).errno ?? -1);
}

export async function inTransaction<T>(db: Db, fn: (trx: Trx) => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(fn);
    } catch (err) {
      if (!isRetryableDbError(err) || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 10 * attempt)));
    }
  }
}
