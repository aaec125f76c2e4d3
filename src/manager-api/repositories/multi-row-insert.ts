/**
 * Multi-row INSERTs run as prepared statements (db/prepared.ts). The ingest writes hundreds of rows
 * of some thirty columns per statement: a query builder makes and compiles an object per value, and
 * text escapes every value into the SQL, which together cost more CPU than the database spent on
 * the rows. A prepared statement's text fixes its number of rows, so rows go by statements of a
 * power of two rows (500 rows: 256 + 128 + 64 + 32 + 16 + 4): a table has at most a dozen texts.
 */
import type { Insertable } from 'kysely';
import type { Db } from '../../db/connect.js';
import { preparedQuery } from '../../db/prepared.js';
import type { Database } from '../../db/tables.js';
import type { Trx } from '../../db/transaction.js';

export interface InsertOptions {
  /** INSERT IGNORE: rows whose key exists are left out (with RETURNING, only the rows written come back). */
  ignore?: boolean;
  /** SQL after the VALUES list, without parameters: ON DUPLICATE KEY UPDATE …, RETURNING … */
  tail?: string;
  /** Most rows per statement, a power of two (a statement carries at most 65,535 values). */
  chunk?: number;
}

const quote = (name: string): string => `\`${name}\``;

/** The rows of the next statement: the largest power of two that fits in what is left, up to `chunk`. */
export function statementRows(left: number, chunk: number): number {
  let n = 1;
  while (n * 2 <= left && n * 2 <= chunk) n *= 2;
  return n;
}

/** SQL texts by table, columns, options and rows, so that a statement's text is built once. */
const texts = new Map<string, string>();

function statementText(table: string, columns: readonly string[], o: InsertOptions, rows: number): string {
  const key = `${table}|${columns.join(',')}|${o.ignore ? 1 : 0}|${o.tail ?? ''}|${rows}`;
  let text = texts.get(key);
  if (text === undefined) {
    const tuple = `(${columns.map(() => '?').join(',')})`;
    text = `INSERT${o.ignore ? ' IGNORE' : ''} INTO ${quote(table)} (${columns.map(quote).join(',')}) VALUES ${new Array<string>(rows).fill(tuple).join(',')}${o.tail ? ` ${o.tail}` : ''}`;
    texts.set(key, text);
  }
  return text;
}

/**
 * Insert rows (objects with the same keys, in the same order: the first row's keys are the
 * columns) in their order, and return what RETURNING in `tail` gives, if anything.
 */
export async function insertRows<T extends keyof Database, R = never>(q: Db | Trx, table: T, rows: readonly Insertable<Database[T]>[], o: InsertOptions = {}): Promise<R[]> {
  if (rows.length === 0) return [];
  const columns = Object.keys(rows[0]);
  const chunk = o.chunk ?? 512;
  if (chunk < 1 || (chunk & (chunk - 1)) !== 0 || chunk * columns.length > 65_535) throw new RangeError(`chunk ${chunk}: a power of two of at most ${Math.floor(65_535 / columns.length)} rows`);
  const out: R[] = [];
  for (let from = 0; from < rows.length; ) {
    const n = statementRows(rows.length - from, chunk);
    const params: unknown[] = new Array(n * columns.length);
    let k = 0;
    for (let i = from; i < from + n; i++) {
      const row = rows[i] as Record<string, unknown>;
      for (const c of columns) params[k++] = row[c] ?? null;
    }
    const r = await q.executeQuery(preparedQuery<R>(statementText(table, columns, o, n), params));
    for (const row of r.rows) out.push(row);
    from += n;
  }
  return out;
}
