/**
 * Opening the manager's database: create it when missing, connect a kysely
 * instance over a mysql2 pool, and migrate to the latest schema.
 */
import { Kysely, Migrator, MysqlDialect } from 'kysely';
import { createPool, type PoolOptions } from 'mysql2';
import { createConnection as createPromiseConnection } from 'mysql2/promise';
import type { Database } from './tables.js';
import { migrationProvider } from './migrations.js';
import { poolWithPreparedStatements } from './prepared.js';
import { parseDatabaseUrl as parseSharedDatabaseUrl } from './url.js';

export type Db = Kysely<Database>;

export interface DatabaseTarget {
  options: PoolOptions;
  database: string;
}

/** Split a mysql:// URL into connection options and the database name. */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  const { database, ...options } = parseSharedDatabaseUrl(url);
  return { database, options };
}

function poolOptions(target: DatabaseTarget, connectionLimit: number): PoolOptions {
  return {
    ...target.options,
    database: target.database,
    connectionLimit,
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: true,
    dateStrings: false,
    timezone: 'Z',
    charset: 'utf8mb4',
    connectTimeout: 10_000,
    // Prepared statements (prepared.ts) stay open per connection: the ingest's few shapes, with room to spare.
    maxPreparedStatements: 64,
  };
}

/** CREATE DATABASE IF NOT EXISTS: the name is checked by parseDatabaseUrl, so quoting it is safe. */
export async function ensureDatabase(target: DatabaseTarget): Promise<void> {
  const conn = await createPromiseConnection({ ...target.options, connectTimeout: 10_000 });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${target.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await conn.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const target = parseDatabaseUrl(url);
  const conn = await createPromiseConnection({ ...target.options, connectTimeout: 10_000 });
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${target.database}\``);
  } finally {
    await conn.end();
  }
}

export function connectDatabase(url: string, connectionLimit = 20): Db {
  const target = parseDatabaseUrl(url);
  const pool = createPool(poolOptions(target, connectionLimit));
  // UTC on every connection, so DATETIME values mean the same to every process.
  // READ COMMITTED for every transaction (db/transaction.ts), set once per
  // connection rather than by an extra round trip at the start of each one.
  pool.on('connection', (conn) => {
    conn.query("SET time_zone = '+00:00'");
    conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  });
  return new Kysely<Database>({ dialect: new MysqlDialect({ pool: poolWithPreparedStatements(pool) }) });
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Create (if missing), connect and migrate. */
export async function openDatabase(url: string, connectionLimit = 20): Promise<Db> {
  await ensureDatabase(parseDatabaseUrl(url));
  const db = connectDatabase(url, connectionLimit);
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return db;
}
