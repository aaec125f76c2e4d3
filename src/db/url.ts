/**
 * The one reading of a `mysql://user:password@host:port/database` URL (CTJP_DB_URL), shared by the
 * manager and the analysis so both accept and refuse exactly the same settings.
 */
export const DEFAULT_DB_URL = 'mysql://root@127.0.0.1:3306/ct';

export interface DatabaseAddress {
  host: string;
  port: number;
  user: string;
  password?: string;
  /** Checked to be 1-64 letters, digits or _, so it can be quoted into CREATE DATABASE safely. */
  database: string;
}

export function parseDatabaseUrl(url: string): DatabaseAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`database URL is not a URL: ${url}`);
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') throw new Error(`database URL must start with mysql:// (got ${u.protocol}//)`);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) throw new Error(`database name in the URL must be 1-64 letters, digits or _ (got "${database}")`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || 'root'),
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database,
  };
}
