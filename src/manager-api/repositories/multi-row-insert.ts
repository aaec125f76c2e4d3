/**
 * Multi-row INSERTs written as one SQL text with placeholders. The ingest writes hundreds of rows
 * of some thirty columns per statement; a query builder makes and compiles an object per value,
 * which cost more CPU than the database spent on the rows.
 */
import { CompiledQuery, type Insertable } from 'kysely';
import type { Db } from '../../db/connect.js';
import type { Database } from '../../db/tables.js';
import type { Trx } from '../../db/transaction.js';

export interface InsertOptions {
  /** INSERT IGNORE: rows whose key exists are left out (with RETURNING, only the rows written come back). */
  ignore?: boolean;
  /** SQL after the VALUES list, without parameters: ON DUPLICATE KEY UPDATE …, RETURNING … */
  tail?: string;
  /** Rows per statement. */
  chunk?: number;
}

const quote = (name: string): string => `\`${name}\``;

/**
 * Insert rows (objects with the same keys, in the same order: the first row's keys are the
 * columns) by statements of `chunk` rows, and return what RETURNING in `tail` gives, if anything.
 */
export async function insertRows<T extends keyof Database, R = never>(q: Db | Trx, table: T, rows: readonly Insertable<Database[T]>[], o: InsertOptions = {}): Promise<R[]> {
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0]);
  const tuple = `(${columns.map(() => '?').join(',')})`;
  const head = `INSERT${o.ignore ? ' IGNORE' : ''} INTO ${quote(table)} (${columns.map(quote).join(',')}) VALUES `;
  const tail = o.tail ? ` ${o.tail}` : '';
  const chunk = o.chunk ?? 500;
  const out: R[] = [];
  for (let from = 0; from < rows.length; from += chunk) {
    const part = rows.slice(from, from + chunk) as readonly Record<string, unknown>[];
    const params: unknown[] = new Array(part.length * columns.length);
    let k = 0;
    for (const row of part) for (const c of columns) params[k++] = row[c] ?? null;
    const r = await q.executeQuery<R>(CompiledQuery.raw(`${head}${new Array<string>(part.length).fill(tuple).join(',')}${tail}`, params));
    for (const row of r.rows) out.push(row);
  }
  return out;
}
