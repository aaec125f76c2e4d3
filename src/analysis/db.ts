/**
 * Database access for the analysis and the export: one mysql2 connection, UTC, read-only use of the
 * manager's `certificates`, `sightings` and `logs` tables.
 */
import { type Connection, createConnection } from 'mysql2/promise';
import { parseDatabaseUrl } from '../share/db-url.js';

export { DEFAULT_DB_URL, parseDatabaseUrl as parseDbUrl } from '../share/db-url.js';

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
