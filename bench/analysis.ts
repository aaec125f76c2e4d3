/**
 * Analysis benchmark: bulk-loads N synthetic certificates (lineages of known behaviour) into a fresh
 * MariaDB database with the manager's tables, then measures, each in its own process:
 *   baseline  reading the rows alone (the same batched reader, no analysis)
 *   analysis  the whole `npm run analyze` pipeline (read, partition, classify, write the report),
 *             with no coverage recorded (the data span assumed observed)
 *   coverage  the same with observed periods applied (December–January of each year, the mission's
 *             windows), so every renewal and end is judged against them
 * and prints certificates per second, peak RSS, the ratio analysis / baseline and coverage / analysis.
 *
 *   npm run bench:analysis                          # 1,000,000 and 10,000,000
 *   npm run bench:analysis -- --sizes 100000        # a quick run
 *   npm run bench:analysis -- --sizes 1000000 --no-per-name
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { writeReport } from '../src/analysis/analyze-db.js';
import { observedPeriods } from '../src/analysis/observed.js';
import { connectDb } from '../src/db/read-connection.js';
import { readCertificates } from '../src/analysis/reader.js';
import { createTestDb } from '../tools/fixtures/analysis-db.js';
import { generateLineages } from '../tools/fixtures/synthetic-lineages.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000000,10000000' },
    phase: { type: 'string' },
    db: { type: 'string' },
    out: { type: 'string' },
    'no-per-name': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    base: { type: 'string', default: '1000000' },
  },
});

const dt = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const hex = (b: Buffer): string => b.toString('hex');

/** One child-process phase: prints a JSON line with its figures. */
async function phase(name: string, url: string): Promise<void> {
  const conn = await connectDb(url);
  const peak = { heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.external = Math.max(peak.external, m.external);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  }, 500);
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let rows = 0;
  if (name === 'read') {
    for await (const b of readCertificates(conn)) rows += b.length;
  } else {
    const out = values.out!;
    // The mission's windows over the generated data (2024-01 to 2026-10): December–January of each year.
    const windows = [2023, 2024, 2025].map((y) => ({ start: Date.UTC(y, 11, 1), end: Date.UTC(y + 1, 1, 1) }));
    const observation = name === 'coverage' ? observedPeriods(windows, 'bench: December–January windows') : undefined;
    const res = await writeReport(conn, out, { perName: !values['no-per-name'], observation });
    if (name === 'coverage') console.error(`  coverage: ${res.aggregates.totals.renewals} renewals measured, ${res.aggregates.totals.renewals_censored} censored, ${res.aggregates.expiry_gaps.count} expiry gaps`);
    else console.error(`  no coverage (${res.aggregates.coverage.mode}): ${res.aggregates.totals.renewals} renewals measured, ${res.aggregates.expiry_gaps.count} expiry gaps`);
    rows = res.input.rows;
    console.error(`  read + partition ${res.input.read_seconds.toFixed(1)} s, group + analyse + report ${res.input.analysis_seconds.toFixed(1)} s`);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  console.error(`  peak heap used ${(peak.heapUsed / 2 ** 20).toFixed(0)} MiB, external ${(peak.external / 2 ** 20).toFixed(0)} MiB`);
  await conn.end();
  console.log(JSON.stringify({ phase: name, rows, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
}

async function runPhase(n: number, name: string, url: string, out: string): Promise<{ rows: number; seconds: number; cpuSeconds: number; maxRssMiB: number }> {
  const args = ['--max-semi-space-size=32', '--import', 'tsx', 'bench/analysis.ts', '--phase', name, '--db', url, '--out', out];
  if (values['no-per-name']) args.push('--no-per-name');
  const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { maxBuffer: 1 << 20 });
  if (stderr.trim()) console.log(stderr.trim().split('\n').filter((l) => !/npm warn/.test(l)).map((l) => `${n}:${l}`).join('\n'));
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

/** Writes TSV chunks and LOADs them; secondary indexes are dropped during the load and rebuilt after. */
async function load(url: string, target: number): Promise<{ certificates: number; sightings: number; seconds: number }> {
  const conn = await createConnection({ uri: url, infileStreamFactory: (p: string) => createReadStream(p), multipleStatements: true });
  await conn.query("SET time_zone = '+00:00'; SET unique_checks = 0; SET foreign_key_checks = 0; SET sql_log_bin = 0");
  await conn.query('ALTER TABLE certificates DROP INDEX certificates_identity, DROP INDEX certificates_not_before, DROP INDEX certificates_common_name');
  await conn.query('ALTER TABLE sightings DROP INDEX sightings_log_index, DROP INDEX sightings_certificate');
  const t0 = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'ctjp-bench-load-'));
  const certFile = join(dir, 'c.tsv');
  const sightFile = join(dir, 's.tsv');
  let loadMs = 0;
  // Up to BASE certificates are generated; larger sizes copy that base inside MariaDB with renamed
  // domains (INSERT ... SELECT), so the load does not dominate the run.
  const base = Math.min(target, Number(values.base));
  let id = 0;
  let sightings = 0;
  let lineage = 0;
  let leaf = 0;
  const zero = '0'.repeat(32);
  try {
    while (id < base) {
      const cf = await open(certFile, 'w');
      const sf = await open(sightFile, 'w');
      let cbuf = '';
      let sbuf = '';
      const chunkEnd = Math.min(base, id + 500_000);
      while (id < chunkEnd) {
        const ls = generateLineages({
          seed: lineage + 1, idOffset: lineage, start: Date.UTC(2024, 0, 1), end: Date.UTC(2026, 9, 31),
          perBehaviour: { 'certbot-90': 40, 'certbot-47': 10, 'acmesh-cron': 10, 'acme-fixed60-on-47': 5, 'manual-yearly': 20, 'manual-reseller-1st': 5, 'manual-lapsed': 5, single: 25 },
        });
        lineage += 120;
        for (const l of ls) {
          for (const c of l.certs) {
            if (id >= chunkEnd) break;
            id++;
            const identity = createHash('sha256').update(`${id}`).digest();
            const san = JSON.stringify(c.names).replace(/\\/g, '\\\\');
            cbuf += `${id}\t${hex(identity)}\tbench\tbench\t${leaf}\t${c.ctTimestamp}\t${c.issuerDn}\tCN=${c.names[0]}\t${c.names[0]}\t${c.issuerCn}\t${c.issuerOrg}\t${san}\t${san}\t${c.serialHex}\t${dt(c.notBefore)}\t${dt(c.notAfter)}\t${Math.round((c.notAfter - c.notBefore) / 86_400_000)}\tEC\t256\t1.2.840.10045.4.3.2\t${hex(identity)}\t${c.validationLevel}\t${c.seenFinal ? hex(identity) : '\\N'}\t\\N\t1\t${c.seenFinal ? 1 : 0}\t{}\t${zero}\n`;
            sbuf += `${1}\t${leaf++}\t${id}\tprecert_entry\t${c.ctTimestamp}\t${hex(identity)}\tbench\t${zero}\n`;
            sightings++;
            if (c.seenFinal) {
              sbuf += `${2}\t${leaf++}\t${id}\tx509_entry\t${(c.ctTimestamp ?? 0) + 5000}\t${hex(identity)}\tbench\t${zero}\n`;
              sightings++;
            }
            if (cbuf.length > 1 << 20) {
              await cf.write(cbuf);
              await sf.write(sbuf);
              cbuf = sbuf = '';
            }
          }
          if (id >= chunkEnd) break;
        }
      }
      await cf.write(cbuf);
      await sf.write(sbuf);
      await cf.close();
      await sf.close();
      const tl = Date.now();
      await conn.query(
        `LOAD DATA LOCAL INFILE ? INTO TABLE certificates (id, @identity, log_name, friend_name, leaf_index, leaf_timestamp, issuer_dn, subject_dn, common_name, issuer_cn, issuer_org,
          san_dns, jp_names, serial_hex, not_before, not_after, validity_days, key_algorithm, key_size, signature_algorithm, @spki, validation_level, @cert, @tbs,
          seen_precert, seen_final, fields, @tag) SET identity = UNHEX(@identity), spki_sha256 = UNHEX(@spki), cert_sha256 = UNHEX(@cert), precert_tbs_sha256 = NULL, upload_tag = UNHEX(@tag)`,
        [certFile],
      );
      await conn.query(
        `LOAD DATA LOCAL INFILE ? INTO TABLE sightings (log_id, leaf_index, certificate_id, entry_type, leaf_timestamp, @hash, friend_name, @tag)
          SET leaf_hash = UNHEX(@hash), upload_tag = UNHEX(@tag)`,
        [sightFile],
      );
      loadMs += Date.now() - tl;
      process.stderr.write(`  loaded ${id} certificates\r`);
    }
    const leafMax = leaf;
    for (let k = 1; id < target; k++) {
      const n = Math.min(base, target - id);
      const off = k * base;
      const tl = Date.now();
      const rename = (col: string) => `REPLACE(REPLACE(${col}, 'org', 'r${k}org'), 'town', 'r${k}town')`;
      await conn.query(
        `INSERT INTO certificates (id, identity, log_name, friend_name, leaf_index, leaf_timestamp, issuer_dn, subject_dn, common_name, issuer_cn, issuer_org,
          san_dns, jp_names, serial_hex, not_before, not_after, validity_days, key_algorithm, key_size, signature_algorithm, spki_sha256, validation_level,
          cert_sha256, precert_tbs_sha256, seen_precert, seen_final, fields, upload_tag)
         SELECT id + ${off}, UNHEX(SHA2(CONCAT('c', id + ${off}), 256)), log_name, friend_name, leaf_index, leaf_timestamp, issuer_dn, ${rename('subject_dn')},
          ${rename('common_name')}, issuer_cn, issuer_org, ${rename('san_dns')}, ${rename('jp_names')}, CONCAT(serial_hex, '${k.toString(16)}'), not_before, not_after,
          validity_days, key_algorithm, key_size, signature_algorithm, spki_sha256, validation_level, cert_sha256, precert_tbs_sha256, seen_precert, seen_final,
          fields, upload_tag FROM certificates WHERE id <= ${n}`,
      );
      await conn.query(
        `INSERT INTO sightings (log_id, leaf_index, certificate_id, entry_type, leaf_timestamp, leaf_hash, friend_name, upload_tag)
         SELECT log_id, leaf_index + ${k * leafMax}, certificate_id + ${off}, entry_type, leaf_timestamp, leaf_hash, friend_name, upload_tag
         FROM sightings WHERE certificate_id <= ${n}`,
      );
      const [[row]] = (await conn.query(`SELECT COUNT(*) AS c FROM sightings WHERE certificate_id > ${off} AND certificate_id <= ${off + n}`)) as unknown as [[{ c: number }]];
      sightings += Number(row.c);
      id += n;
      loadMs += Date.now() - tl;
      process.stderr.write(`  copied to ${id} certificates\r`);
    }
    process.stderr.write(`\n  generation ${((Date.now() - t0 - loadMs) / 1000).toFixed(1)} s, LOAD DATA and copies ${(loadMs / 1000).toFixed(1)} s; rebuilding indexes\n`);
    await conn.query('ALTER TABLE certificates ADD UNIQUE KEY certificates_identity (identity), ADD KEY certificates_not_before (not_before), ADD KEY certificates_common_name (common_name(191))');
    await conn.query('ALTER TABLE sightings ADD UNIQUE KEY sightings_log_index (log_id, leaf_index), ADD KEY sightings_certificate (certificate_id)');
  } finally {
    await rm(dir, { recursive: true, force: true });
    await conn.end();
  }
  return { certificates: id, sightings, seconds: (Date.now() - t0) / 1000 };
}

async function main(): Promise<void> {
  if (values.phase) return phase(values.phase, values.db!);
  const sizes = values.sizes!.split(',').map((s) => Number(s.replace(/_/g, '')));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes must be positive integers separated by commas (got ${values.sizes})`);
  console.log(`analysis benchmark: sizes ${sizes.join(', ')}, per-name lineages ${values['no-per-name'] ? 'off' : 'on'}, Node ${process.version}`);
  for (const n of sizes) {
    const db = await createTestDb('ctjp_bench');
    const out = await mkdtemp(join(tmpdir(), 'ctjp-bench-report-'));
    try {
      const l = await load(db.url, n);
      console.log(`${n}: loaded ${l.certificates} certificates + ${l.sightings} sightings in ${l.seconds.toFixed(1)} s (${Math.round(l.certificates / l.seconds)} certificates/s, generation, LOAD DATA, copies, index rebuild)`);
      const base = await runPhase(n, 'read', db.url, out);
      console.log(`${n}: baseline (read rows only): ${base.seconds.toFixed(1)} s, ${Math.round(base.rows / base.seconds)} certificates/s, node CPU ${base.cpuSeconds.toFixed(1)} s, peak RSS ${base.maxRssMiB.toFixed(0)} MiB`);
      const a = await runPhase(n, 'analysis', db.url, out);
      console.log(`${n}: analysis (read + partition + classify + report): ${a.seconds.toFixed(1)} s, ${Math.round(a.rows / a.seconds)} certificates/s, node CPU ${a.cpuSeconds.toFixed(1)} s, peak RSS ${a.maxRssMiB.toFixed(0)} MiB`);
      console.log(`${n}: ratio analysis / baseline = ${(a.seconds / base.seconds).toFixed(2)} (wall), ${(a.cpuSeconds / base.cpuSeconds).toFixed(2)} (node CPU); load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
      const c = await runPhase(n, 'coverage', db.url, out);
      console.log(`${n}: analysis with coverage applied (Dec–Jan windows): ${c.seconds.toFixed(1)} s, ${Math.round(c.rows / c.seconds)} certificates/s, node CPU ${c.cpuSeconds.toFixed(1)} s, peak RSS ${c.maxRssMiB.toFixed(0)} MiB`);
      console.log(`${n}: ratio with coverage / without = ${(c.seconds / a.seconds).toFixed(2)} (wall), ${(c.cpuSeconds / a.cpuSeconds).toFixed(2)} (node CPU); load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    } finally {
      await rm(out, { recursive: true, force: true });
      if (!values.keep) await db.drop();
      else {
        console.log(`kept database ${db.url}`);
        await db.conn.end();
      }
    }
  }
}

main().catch((e: unknown) => {
  console.error(`bench:analysis: ${e instanceof Error ? e.stack : String(e)}`);
  process.exitCode = 1;
});
