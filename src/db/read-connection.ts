/**
 * Database access for the analysis and the export: one mysql2 connection, UTC, read-only use of the
 * manager's tables through queries written on their types (tables.ts) and compiled for it.
 */
import {
  type Compilable,
  DummyDriver,
  type Expression,
  type InferResult,
  Kysely,
  MysqlAdapter,
  MysqlIntrospector,
  MysqlQueryCompiler,
  type RawBuilder,
  type Selectable,
  sql,
} from 'kysely';
import type { QueryOptions } from 'mysql2';
import { type Connection, createConnection } from 'mysql2/promise';
import type { Database } from './tables.js';
import { parseDatabaseUrl } from './url.js';

export { DEFAULT_DB_URL, parseDatabaseUrl as parseDbUrl } from './url.js';

/**
 * How every analysis read connects, over one connection (the CLIs) or the manager's pool: numbers
 * as numbers, DATETIME as UTC. Each session must also run SET time_zone = '+00:00' (see connectDb).
 */
export function connectionOptions(url: string) {
  return {
    ...parseDatabaseUrl(url),
    supportBigNumbers: true,
    bigNumberStrings: false,
    timezone: 'Z',
    charset: 'utf8mb4',
    connectTimeout: 10_000,
  };
}

export async function connectDb(url: string): Promise<Connection> {
  const conn = await createConnection(connectionOptions(url));
  await conn.query("SET time_zone = '+00:00'");
  return conn;
}

/**
 * The analysis's queries, checked against the table types and compiled to MySQL; they run on the
 * analysis's own mysql2 connection (readRows, readTuples), so this instance never connects.
 */
export const readQueries = new Kysely<Database>({
  dialect: {
    createAdapter: () => new MysqlAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new MysqlIntrospector(db),
    createQueryCompiler: () => new MysqlQueryCompiler(),
  },
});

/**
 * `table` read through its primary key whatever the optimiser prefers (FORCE INDEX, which the query
 * builder does not spell): a keyset scan on id would otherwise take a secondary index such as the
 * quarantine mark's and read the table out of order.
 */
export function byPrimaryKey<T extends keyof Database & string>(table: T) {
  return sql<Selectable<Database[T]>>`${sql.table(table)}`.as<T>(sql`${sql.table(table)} FORCE INDEX (PRIMARY)`);
}

// The session is UTC (connectDb, and the manager's analysis pool), so these read DATETIME as UTC.

/** A DATETIME as whole seconds since the epoch. */
export const epochSeconds = (column: Expression<Date>): RawBuilder<number> => sql<number>`TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', ${column})`;

/** A DATETIME as ISO 8601 to the second (`2025-01-31T09:00:00Z`), as the export and the API give it. */
export const isoSecond = (column: Expression<Date>): RawBuilder<string> => sql<string>`DATE_FORMAT(${column}, '%Y-%m-%dT%H:%i:%sZ')`;

/** A binary column as lower-case hex. */
export const lowerHex = (column: Expression<Buffer | null>): RawBuilder<string | null> => sql<string | null>`LOWER(HEX(${column}))`;

type RowOf<Q extends Compilable<object>> = InferResult<Q>[number];
/** A row as an array: the value of each named selection, in order. */
type TupleOf<Q extends Compilable<object>, C extends readonly (keyof RowOf<Q>)[]> = { -readonly [I in keyof C]: RowOf<Q>[C[I]] };

function compiled(query: Compilable<object>): QueryOptions {
  const { sql: text, parameters } = query.compile();
  return { sql: text, values: parameters as QueryOptions['values'] };
}

/** A query's rows as objects, typed by the query. */
export async function readRows<Q extends Compilable<object>>(conn: Connection, query: Q): Promise<InferResult<Q>> {
  const [rows] = await conn.query(compiled(query));
  return rows as InferResult<Q>;
}

/**
 * A query's rows as arrays (no object per row, for the reads over every certificate), each value
 * typed by the query. `columns` names the selections in the order selected; the database's answer
 * is checked against it, so a position never reads another column.
 */
export async function readTuples<Q extends Compilable<object>, const C extends readonly (keyof RowOf<Q> & string)[]>(
  conn: Connection,
  query: Q,
  columns: C,
): Promise<TupleOf<Q, C>[]> {
  const [rows, fields] = await conn.query({ ...compiled(query), rowsAsArray: true });
  if (fields.length !== columns.length || fields.some((f, i) => f.name !== columns[i])) {
    throw new Error(`query answers columns ${fields.map((f) => f.name).join(', ')}, read as ${columns.join(', ')}`);
  }
  return rows as unknown as TupleOf<Q, C>[];
}

/**
 * The analysis reads columns the manager's migrations add (the quarantine mark of audits): a
 * database last opened by an older manager is refused with what to do, not with an SQL error.
 */
export async function checkSchema(conn: Connection): Promise<void> {
  try {
    await readRows(conn, readQueries.selectFrom('certificates').select('quarantined').limit(0));
    await readRows(conn, readQueries.selectFrom('sightings').select('quarantined').limit(0));
  } catch (e) {
    const errno = (e as { errno?: number }).errno;
    // ER_BAD_FIELD_ERROR (no such column), ER_NO_SUCH_TABLE (not a ctjp database)
    if (errno !== 1054 && errno !== 1146) throw e;
    throw new Error('the database has no quarantine marks (it was last migrated by an older manager, or is not a ctjp database): start the manager on it once (npm run manager), which migrates it, then run this again');
  }
}
