import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSchema, connectDb } from '../../src/db/read-connection.js';
import { writeReport } from '../../src/analysis/analyze-db.js';
import { summarize } from '../../src/analysis/summary.js';
import { createTestDb, insertCertificates } from '../../tools/fixtures/analysis-db.js';
import { generateLineages } from '../../tools/fixtures/synthetic-lineages.js';

test('the database path (batches, partitions) gives the same figures as the in-memory analysis', async () => {
  const db = await createTestDb();
  const out = await mkdtemp(join(tmpdir(), 'ctjp-analyze-'));
  try {
    const truth = generateLineages({ seed: 11, perBehaviour: { 'certbot-90': 20, 'acme-fixed60-on-47': 5, 'manual-yearly': 20, 'manual-lapsed': 10, single: 5 } });
    const certs = truth.flatMap((t) => t.certs);
    await insertCertificates(db.conn, certs);
    const conn = await connectDb(db.url);
    await mkdir(join(out, 'tmp'));
    try {
      // small batches and the per-name variant, so that several batches and partitions are exercised
      const res = await writeReport(conn, out, { batchSize: 37, perName: true, tmpDir: join(out, 'tmp') });
      assert.deepEqual(await readdir(join(out, 'tmp')), [], 'partition files are removed');
      assert.equal(res.input.rows, certs.length);
      assert.equal(res.input.invalid, 0);
    } finally {
      await conn.end();
    }
    const s = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8'));
    const ref = await summarize(certs);
    assert.equal(s.lineages.length, truth.length);
    assert.deepEqual(s.expiry_gaps.lengths_days.sort(), ref.expiry_gaps.lengths_days.sort());
    assert.deepEqual(s.overall.classes, ref.overall.classes);
    assert.deepEqual(s.overall.time.weekend, ref.overall.time.weekend);
    assert.deepEqual(s.lineage_definitions.per_name, ref.lineage_definitions.per_name);
    const cls = new Map(ref.lineages.map((l) => [l.names.join(','), l.class]));
    for (const l of s.lineages) assert.equal(l.class, cls.get(l.names.join(',')));
  } finally {
    await rm(out, { recursive: true, force: true });
    await db.drop();
  }
});

test('a database an older manager migrated is refused with what to do, not with an SQL error', async () => {
  const db = await createTestDb();
  const conn = await connectDb(db.url);
  try {
    await checkSchema(conn);
    await conn.query('ALTER TABLE certificates DROP INDEX certificates_quarantined, DROP COLUMN quarantined');
    await assert.rejects(checkSchema(conn), /older manager.*npm run manager/);
  } finally {
    await conn.end();
    await db.drop();
  }
});
