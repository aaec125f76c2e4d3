/**
 * Ingest throughput: distinct certificates per second through the upload
 * endpoint of a manager process (real HTTP, batches, a few uploads in
 * parallel), against the ceiling of loading the same certificate and
 * sighting rows with multi-row INSERTs (no HTTP, no parsing, no checks); and against
 * the ceiling of every row the upload writes (the DNS names and lease reports too).
 *
 *   npm run bench:ingest [-- --count 30000 --batch 500 --parallel 4]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { connectDatabase, dropDatabase } from '../src/db/connect.js';
import { certificateRow, sightingRow, type CheckedItem } from '../src/manager-api/ingest/ingest.js';
import { certificateIdentity, parseLeaf } from '../src/manager-api/ingest/leaf-parser.js';
import { coveredDnsNamesOfRow } from '../src/share/x509/index.js';
import type { Assignment, UploadItem } from '../src/share/api/index.js';
import { startFakeLog } from './lib/fake-log.js';
import { distinctLeaves } from './lib/leaves.js';
import { startBenchManager, waitForPlanning } from './lib/bench-manager.js';
import { cpuMeter, localDatabasePid } from './lib/process-cpu.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '30000' }, batch: { type: 'string', default: '500' }, parallel: { type: 'string', default: '4' } } });
const COUNT = Number(values.count);
const BATCH = Number(values.batch);
const PARALLEL = Number(values.parallel);

const dir = mkdtempSync(join(tmpdir(), 'ctjp-bench-ingest-'));
const dbUrl = `mysql://root@127.0.0.1:3306/ctjp_bench_${randomBytes(4).toString('hex')}`;
const log = await startFakeLog(1_000_000_000);
writeFileSync(join(dir, 'logs.json'), JSON.stringify({ logs: [{ category: 'google', name: 'bench1', url: log.url, key: log.key }] }));
const manager = await startBenchManager(['--db', dbUrl, '--logs', join(dir, 'logs.json'), '--data-dir', join(dir, 'data'), '--open', '--target-fraction', '1/1', '--assignment-size', String(COUNT + BATCH + 1024)]);
try {
  await waitForPlanning(manager.url, 1);
  const post = async (path: string, body: unknown): Promise<Response> => {
    const r = await fetch(`${manager.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
    return r;
  };
  const lease = ((await (await post('/api/v1/instructions', { worker_id: 'bench', friend_name: 'bench', version: '0.1.0' })).json()) as { assignments: Assignment[] }).assignments[0];
  const leaves = distinctLeaves(COUNT + BATCH);
  const items: UploadItem[] = leaves.map((l, i) => ({ leaf_input: l.toString('base64'), ct_log_url: log.url, log_name: 'bench1', friend_name: 'bench', index: lease.start + i, lease_id: lease.lease_id }));
  // Warm-up batch (connections, JIT), not counted.
  await post('/api/v1/certificates', items.slice(COUNT));
  // The bodies are written before the clock starts, as the ceiling's rows are: this process shares the machine's cores with the manager.
  const batches: string[] = [];
  for (let i = 0; i < COUNT; i += BATCH) batches.push(JSON.stringify(items.slice(i, i + BATCH)));
  let next = 0;
  let inserted = 0;
  const databasePid = localDatabasePid();
  const uploadCpu = cpuMeter({ manager: manager.child.pid, database: databasePid, bench: process.pid });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < batches.length) {
        const b = batches[next++];
        const r = (await (await post('/api/v1/certificates', b)).json()) as { new_certificates: number };
        inserted += r.new_certificates;
      }
    }),
  );
  const uploadSeconds = (performance.now() - t0) / 1000;
  const uploadCpuSeconds = uploadCpu();
  if (inserted !== COUNT) throw new Error(`expected ${COUNT} new certificates, got ${inserted}`);

  // Ceiling: the same rows, prepared beforehand, loaded by multi-row INSERTs into empty copies of the tables.
  const db = connectDatabase(dbUrl, 2);
  try {
    await sql`CREATE TABLE certificates_ceiling LIKE certificates`.execute(db);
    await sql`CREATE TABLE sightings_ceiling LIKE sightings`.execute(db);
    const tag = randomBytes(16);
    const checked: CheckedItem[] = items.slice(0, COUNT).map((item) => {
      const parsed = parseLeaf(Buffer.from(item.leaf_input, 'base64'));
      return { item, logId: 1, logUrl: log.url, workerId: 1, parsed, identity: parsed.fields ? certificateIdentity(parsed.fields) : null, day: '2025-12-01' };
    });
    const certRows = checked.map((c) => certificateRow(c, tag));
    const sightRows = checked.map((c, i) => sightingRow(c, i + 1, tag));
    const chunk = 1000;
    const ceilingCpu = cpuMeter({ database: databasePid, bench: process.pid });
    const c0 = performance.now();
    for (let i = 0; i < certRows.length; i += chunk) await db.insertInto('certificates_ceiling' as 'certificates').values(certRows.slice(i, i + chunk)).execute();
    for (let i = 0; i < sightRows.length; i += chunk) await db.insertInto('sightings_ceiling' as 'sightings').values(sightRows.slice(i, i + chunk)).execute();
    const ceilingSeconds = (performance.now() - c0) / 1000;
    const ceilingCpuSeconds = ceilingCpu();
    // The upload also writes rows the ceiling above leaves out: each new certificate's DNS names and,
    // for a lease whose reports are compared (a new worker's), one lease report per entry. The
    // same number of those rows, loaded the same way, gives the ceiling of everything it writes.
    const reportsWritten = Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM lease_reports`.execute(db)).rows[0].n);
    await sql`CREATE TABLE certificate_names_ceiling LIKE certificate_names`.execute(db);
    await sql`CREATE TABLE lease_reports_ceiling LIKE lease_reports`.execute(db);
    const nameRows = certRows.flatMap((r, i) => coveredDnsNamesOfRow(r.san_dns, r.common_name ?? null).map((name) => ({ certificate_id: i + 1, name })));
    const reportRows = (reportsWritten > 0 ? checked : []).map((c) => ({ lease_id: c.item.lease_id, leaf_index: c.item.index, leaf_hash: c.parsed.leafHash }));
    const e0 = performance.now();
    for (let i = 0; i < nameRows.length; i += chunk) await db.insertInto('certificate_names_ceiling' as 'certificate_names').values(nameRows.slice(i, i + chunk)).execute();
    for (let i = 0; i < reportRows.length; i += chunk) await db.insertInto('lease_reports_ceiling' as 'lease_reports').values(reportRows.slice(i, i + chunk)).execute();
    const everythingSeconds = ceilingSeconds + (performance.now() - e0) / 1000;
    const uploadRate = COUNT / uploadSeconds;
    const ceilingRate = COUNT / ceilingSeconds;
    console.log(`ingest: ${COUNT} distinct certificates, batches of ${BATCH}, ${PARALLEL} uploads in parallel, manager in its own process`);
    console.log(`upload endpoint:        ${uploadRate.toFixed(0)} certificates/s (${uploadSeconds.toFixed(2)} s)`);
    console.log(`multi-row INSERT ceiling: ${ceilingRate.toFixed(0)} certificates/s (${ceilingSeconds.toFixed(2)} s, same certificate and sighting rows, 1000 per INSERT)`);
    console.log(`ratio upload / ceiling: ${((100 * uploadRate) / ceilingRate).toFixed(1)} %`);
    const everythingRate = COUNT / everythingSeconds;
    console.log(
      `ceiling of every row the upload writes: ${everythingRate.toFixed(0)} certificates/s (${everythingSeconds.toFixed(2)} s: the rows above, ${nameRows.length} DNS names, ${reportRows.length} lease reports)`,
    );
    console.log(`ratio upload / that ceiling: ${((100 * uploadRate) / everythingRate).toFixed(1)} %`);
    // Who paid, in CPU seconds per 1000 certificates (from /proc; "?" where it cannot tell, e.g. a database on another machine).
    const per1000 = (cpu: Record<string, number | null>): string =>
      Object.entries(cpu)
        .map(([k, v]) => `${k} ${v === null ? '?' : ((1000 * v) / COUNT).toFixed(3)} s`)
        .join(', ');
    console.log(`CPU per 1000 certificates, upload:  ${per1000(uploadCpuSeconds)}`);
    console.log(`CPU per 1000 certificates, ceiling: ${per1000(ceilingCpuSeconds)}`);
  } finally {
    await db.destroy();
  }
} finally {
  await manager.stop();
  await log.close();
  await dropDatabase(dbUrl);
  rmSync(dir, { recursive: true, force: true });
}
