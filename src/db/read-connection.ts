/**
 * Database access for the analysis and the export: one mysql2 connection, UTC, read-only use of the
 * manager's `certificates`, `sightings` and `logs` tables.
 */
import { type Connection, createConnection } from 'mysql2/promise';
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
 * The analysis reads columns the manager's migrations add (the quarantine mark of audits): a
 * database last opened by an older manager is refused with what to do, not with an SQL error.
 */
export async function checkSchema(conn: Connection): Promise<void> {
  const [rows] = await conn.query(
    "SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name IN ('certificates', 'sightings') AND column_name = 'quarantined'",
  );
  if (Number((rows as { n: number }[])[0].n) < 2) {
    throw new Error('the database has no quarantine marks (it was last migrated by an older manager, or is not a ctjp database): start the manager on it once (npm run manager), which migrates it, then run this again');
  }
}
