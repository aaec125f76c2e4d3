/**
 * Server-side prepared statements for the statements that carry thousands of values: the ingest's
 * multi-row INSERTs. As text, every value is escaped into one SQL string (Buffers as hexadecimal,
 * JSON character by character) that the database then parses back; prepared, the values travel as
 * bytes beside a statement parsed once per connection. Kysely sends every query as text, so a
 * query marked here is routed to the driver's execute by the pool it is given (connect.ts).
 */
import { CompiledQuery, type MysqlPool, type MysqlPoolConnection } from 'kysely';
import type { ExecuteValues, Pool, PoolConnection } from 'mysql2';

const MARK = '/* prepared */ ';

/** A query to run as a prepared statement. Keep the number of distinct texts small: each is a statement kept open on every connection that ran it. */
export function preparedQuery<R>(sqlText: string, parameters: readonly unknown[]): CompiledQuery<R> {
  return CompiledQuery.raw(`${MARK}${sqlText}`, parameters as unknown[]) as CompiledQuery<R>;
}

/** The pool as kysely sees it: marked queries are executed as prepared statements, the rest as before. */
export function poolWithPreparedStatements(pool: Pool): MysqlPool {
  // One wrapper per connection: kysely keeps its own state per connection object.
  const wrapped = new WeakMap<PoolConnection, MysqlPoolConnection>();
  const wrap = (conn: PoolConnection): MysqlPoolConnection => {
    let w = wrapped.get(conn);
    if (!w) {
      w = {
        query: ((sqlText: string, parameters: unknown[], callback?: (error: unknown, result: never) => void) => {
          if (callback && sqlText.startsWith(MARK)) return void conn.execute(sqlText, parameters as ExecuteValues[], callback);
          return callback ? conn.query(sqlText, parameters, callback) : conn.query(sqlText, parameters);
        }) as MysqlPoolConnection['query'],
        release: () => conn.release(),
      };
      wrapped.set(conn, w);
    }
    return w;
  };
  return {
    getConnection: (callback) => pool.getConnection((err, conn) => callback(err, err ? (conn as unknown as MysqlPoolConnection) : wrap(conn))),
    end: (callback) => pool.end(callback),
  };
}
