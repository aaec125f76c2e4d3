/** A fresh MariaDB database per test run (dropped afterwards). */
import { randomBytes } from 'node:crypto';
import { dropDatabase } from '../../src/db/connect.js';

const DB_SERVER_URL = process.env.CTJP_TEST_DB_SERVER ?? 'mysql://root@127.0.0.1:3306';

/** The URL of a database that does not exist yet, `<prefix>_<12 hex digits>` on the test server. */
export function testDatabaseUrl(prefix = 'ctjp_test'): string {
  return `${DB_SERVER_URL}/${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function dropTestDatabase(url: string): Promise<void> {
  await dropDatabase(url);
}
