import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { migrateToLatest, openDatabase, parseDatabaseUrl } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { dropTestDatabase, testDatabaseUrl } from '../../tools/fixtures/database.js';

test('the database is created and migrated at start-up, and migrating again does nothing', async () => {
  const url = testDatabaseUrl();
  try {
    const db = await openDatabase(url);
    try {
      const tables = await sql<{ t: string }>`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()`.execute(db);
      const names = tables.rows.map((r) => r.t).sort();
      for (const t of ['certificates', 'daily_counts', 'leases', 'logs', 'ranges', 'settings', 'sightings', 'tokens', 'workers']) assert.ok(names.includes(t), t);
      assert.deepEqual(await migrateToLatest(db), []);
      const cols = await sql<{ c: string; t: string }>`SELECT column_name AS c, data_type AS t FROM information_schema.columns
        WHERE table_schema = DATABASE() AND column_name IN ('leaf_index','start_index','end_index','confirmed','next_index','tree_size','collected','scanned','certificates','sightings')`.execute(db);
      for (const row of cols.rows) assert.equal(row.t, 'bigint', `${row.c} is ${row.t}`);
      // Every connection of the pool: UTC, and READ COMMITTED transactions.
      const session = await inTransaction(db, async (trx) => (await sql<{ tz: string; iso: string }>`SELECT @@session.time_zone AS tz, @@session.tx_isolation AS iso`.execute(trx)).rows[0]);
      assert.deepEqual(session, { tz: '+00:00', iso: 'READ-COMMITTED' });
    } finally {
      await db.destroy();
    }
  } finally {
    await dropTestDatabase(url);
  }
});

test('database URLs are checked', () => {
  assert.equal(parseDatabaseUrl('mysql://root@127.0.0.1:3306/ct').database, 'ct');
  assert.throws(() => parseDatabaseUrl('postgres://x/ct'), /mysql:\/\//);
  assert.throws(() => parseDatabaseUrl('mysql://root@h/bad-name;drop'), /database name/);
});
