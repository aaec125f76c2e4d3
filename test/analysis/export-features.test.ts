import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectDb } from '../../src/db/read-connection.js';
import { certificatesForDomain } from '../../src/analysis/features.js';
import type { AnalysisCertificate } from '../../src/analysis/model.js';
import { createTestDb, insertCertificates } from '../../tools/fixtures/analysis-db.js';

const run = promisify(execFile);
const DAY = 86_400_000;

function cert(id: string, names: string[], org: string, level: 'DV' | 'OV', days: number, final = true): AnalysisCertificate {
  const nb = Date.UTC(2025, 4, 1) + Number(id) * DAY;
  return {
    id, names: [...names].sort(), notBefore: nb, notAfter: nb + days * DAY, ctTimestamp: nb + 60_000, issuerOrg: org, issuerCn: `${org} R1`,
    issuerDn: `CN=${org} R1,O=${org},C=US`, serialHex: `a${id}`, validationLevel: level, seenPrecert: true, seenFinal: final,
  };
}

test('export: NDJSON per the export record of docs/design.md, with sightings and a BigQuery schema; certificatesForDomain features', async () => {
  const db = await createTestDb();
  const dir = await mkdtemp(join(tmpdir(), 'ctjp-export-'));
  try {
    const many = Array.from({ length: 12 }, (_, i) => `h${i}.shop.example.co.jp`);
    await insertCertificates(db.conn, [
      cert('1', ['www.example.jp', 'example.jp'], "Let's Encrypt", 'DV', 90),
      cert('2', ['www.example.jp'], 'SECOM Trust Systems CO.,LTD.', 'OV', 396, false),
      cert('3', ['*.example.jp'], 'DigiCert Inc', 'OV', 200),
      cert('4', many, 'ZeroSSL', 'DV', 90),
    ]);
    const out = join(dir, 'certs.ndjson');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/analysis/cli/export.ts', '--out', out, '--batch', '2'], { env: { ...process.env, CTJP_DB_URL: db.url } });
    assert.match(stdout, /exported 4 certificates/);
    const lines = (await readFile(out, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 4);
    const first = lines[0];
    for (const k of ['issuer_dn', 'serial_hex', 'not_before', 'not_after', 'subject_dn', 'common_name', 'san_dns', 'ca', 'validation_level', 'cert_sha256', 'sightings']) assert.ok(k in first, k);
    assert.equal(first.not_before, '2025-05-02T00:00:00Z');
    assert.equal(first.ca, "Let's Encrypt");
    assert.equal(first.sightings.length, 2);
    assert.deepEqual(first.sightings.map((s: { entry_type: string }) => s.entry_type), ['precert_entry', 'x509_entry']);
    assert.equal(lines[1].cert_sha256, null);
    assert.match(first.cert_sha256, /^[0-9a-f]{64}$/);
    const schema = JSON.parse(await readFile(`${out}.schema.json`, 'utf8'));
    assert.deepEqual(schema.map((f: { name: string }) => f.name).filter((n: string) => n in first).length, schema.length);
    assert.deepEqual((await readdir(dir)).sort(), ['certs.ndjson', 'certs.ndjson.coverage.json', 'certs.ndjson.schema.json']);
    const coverage = JSON.parse(await readFile(`${out}.coverage.json`, 'utf8')) as { logs: unknown[]; observed_periods: unknown[] };
    assert.ok(Array.isArray(coverage.logs) && Array.isArray(coverage.observed_periods), 'the coverage file beside the export');

    const conn = await connectDb(db.url);
    try {
      const www = await certificatesForDomain(conn, 'WWW.example.jp');
      assert.deepEqual(www.map((c) => c.serial_hex).sort(), ['a1', 'a2']);
      const le = www.find((c) => c.serial_hex === 'a1')!;
      assert.deepEqual(le.features, {
        has_crl_distribution_point: false, ov_or_ev: false, wildcard: false, validity_over_180_days: false, san_count_10_or_more: false,
        free_acme_ca: true, no_subject_organisation: true,
      });
      const secom = www.find((c) => c.serial_hex === 'a2')!;
      assert.equal(secom.features.ov_or_ev, true);
      assert.equal(secom.features.validity_over_180_days, true);
      assert.equal(secom.features.has_crl_distribution_point, true);
      const wild = await certificatesForDomain(conn, '*.example.jp');
      assert.equal(wild[0].features.wildcard, true);
      const sub = await certificatesForDomain(conn, 'example.co.jp', { includeSubdomains: true });
      assert.equal(sub.length, 1);
      assert.equal(sub[0].features.san_count_10_or_more, true);
      assert.equal(sub[0].features.free_acme_ca, true);
      await assert.rejects(certificatesForDomain(conn, 'bad name%'), /not a valid DNS name/);
    } finally {
      await conn.end();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await db.drop();
  }
});

test('npm run analyze writes the report directory; a bad database URL is named', async () => {
  const db = await createTestDb();
  const dir = await mkdtemp(join(tmpdir(), 'ctjp-cli-'));
  try {
    await insertCertificates(db.conn, [cert('1', ['a.example.jp'], "Let's Encrypt", 'DV', 90), cert('70', ['a.example.jp'], "Let's Encrypt", 'DV', 90)]);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/analysis/cli/analyze.ts', '--out', dir, '--db', db.url]);
    assert.match(stdout, /1 lineages/);
    const s = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
    assert.equal(s.lineages[0].renewals.length, 1);
    await assert.rejects(run(process.execPath, ['--import', 'tsx', 'src/analysis/cli/analyze.ts', '--out', dir, '--db', 'http://x/y']), /must start with mysql:\/\//);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await db.drop();
  }
});
