/** A fresh MariaDB database per test run (dropped afterwards). */
import { randomBytes } from 'node:crypto';
import { dropDatabase } from '../../src/manager-api/db/connect.js';

export const DB_SERVER_URL = process.env.CTJP_TEST_DB_SERVER ?? 'mysql://root@127.0.0.1:3306';

export function testDatabaseUrl(): string {
  return `${DB_SERVER_URL}/ctjp_test_${randomBytes(6).toString('hex')}`;
}

export async function dropTestDatabase(url: string): Promise<void> {
  await dropDatabase(url);
}
