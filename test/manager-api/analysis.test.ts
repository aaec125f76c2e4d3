import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { startTestLog, type TestLog } from '../helpers/ct-test-log.js';
import { catalogueEntry, testManagerEnv, type TestManagerEnv } from '../helpers/manager.js';
import { parseFraction } from '../../src/manager-api/config.js';
import { parseLeaf, type CertificateFields } from '../../src/share/x509/index.js';
import { connectDb, summaryFromDatabase } from '../../src/analysis/index.js';
import { createConnection } from 'mysql2/promise';
import { insertCertificates } from '../../tools/fixtures/analysis-db.js';
import { SummaryCache, type CachedSummary } from '../../src/manager-api/services/analysis.js';
import type { AnalysisSummaryResponse, Assignment, DomainCertificatesResponse, UploadItem } from '../../src/share/api/index.js';
import { uploadItem } from '../helpers/uploads.js';

let g: TestLog;
let env: TestManagerEnv;
let app: FastifyInstance;
let lease: Assignment;

const item = (index: number): UploadItem => uploadItem(g, lease.lease_id, index);

async function uploadRange(from: number, to: number): Promise<void> {
  // Only the .jp leaves: the manager refuses any other, as the worker never uploads them.
  const items = Array.from({ length: to - from + 1 }, (_, i) => item(from + i)).filter((it) => parseLeaf(g.leaves[it.index]).coversJp);
  const r = await app.inject({ method: 'POST', url: '/api/v1/certificates', payload: items });
  assert.equal(r.statusCode, 200, r.body);
}

before(async () => {
  g = await startTestLog({ name: 'g1', category: 'google', size: 400, pageSize: 32 });
  env = await testManagerEnv([catalogueEntry(g)], { targetFraction: parseFraction('1/1'), assignmentSize: 384, analysisCacheS: 1 });
  app = await env.build();
  await app.planner.planAll();
  const r = await app.inject({ method: 'POST', url: '/api/v1/instructions', payload: { worker_id: 'w1', friend_name: 'alice', version: '0.1.0' } });
  assert.equal(r.statusCode, 200, r.body);
  lease = r.json().assignments[0];
  // Every distinct real leaf of test/data/ct-real once (the test log cycles them).
  await uploadRange(0, 162);
});

after(async () => {
  await env?.cleanup();
  await g?.close();
});

/** The features of an uploaded leaf, worked out from the x509 parser's fields (the reference). */
function expectedFeatures(f: CertificateFields) {
  return {
    has_crl_distribution_point: f.hasCrlDistributionPoints,
    ov_or_ev: f.validationLevel === 'OV' || f.validationLevel === 'EV',
    wildcard: f.sanDns.some((n) => n.startsWith('*.')),
    validity_over_180_days: f.validityDays > 180,
    san_count_10_or_more: f.sanDns.length >= 10,
    free_acme_ca: /^(Let's Encrypt|Google Trust Services|ZeroSSL|Buypass)/i.test(f.issuerOrganization ?? ''),
    no_subject_organisation: !/(^|,)O=/.test(f.subjectDn),
  };
}

const uploadedFields = (): CertificateFields[] =>
  g.leaves
    .slice(0, 163)
    .filter((l) => parseLeaf(l).coversJp)
    .map((l) => parseLeaf(l).fields)
    .filter((f): f is CertificateFields => f !== null);

async function domain(name: string, query = ''): Promise<{ status: number; body: DomainCertificatesResponse & { message?: string; code?: string } }> {
  const r = await app.inject({ method: 'GET', url: `/api/v1/domains/${encodeURIComponent(name)}/certificates${query}` });
  return { status: r.statusCode, body: r.json() };
}

test('domain certificates: the exact name and the wildcard covering it, each with the phishing-detector features of the real leaf', async () => {
  const fields = uploadedFields();
  const www = await domain('www.google.co.jp');
  assert.equal(www.status, 200, JSON.stringify(www.body));
  assert.equal(www.body.name, 'www.google.co.jp');
  assert.equal(www.body.wildcard_parent, '*.google.co.jp');
  const wildcardLeaves = fields.filter((f) => f.sanDns.includes('*.google.co.jp'));
  assert.ok(wildcardLeaves.length >= 1, 'the real data holds *.google.co.jp certificates');
  assert.deepEqual(www.body.certificates.map((c) => c.serial_hex).sort(), [...new Set(wildcardLeaves.map((f) => f.serialHex))].sort());
  for (const c of www.body.certificates) {
    assert.equal(c.match, 'wildcard');
    const f = wildcardLeaves.find((x) => x.serialHex === c.serial_hex)!;
    assert.deepEqual(c.features, expectedFeatures(f), c.serial_hex);
    assert.equal(c.features.wildcard, true);
  }
  assert.equal(www.body.count, www.body.certificates.length);
  // Newest first.
  const starts = www.body.certificates.map((c) => c.not_before);
  assert.deepEqual(starts, [...starts].sort().reverse());

  // gpro.co.jp is in its certificate by name; www.gpro.co.jp only through *.gpro.co.jp.
  const apex = await domain('GPRO.co.jp.');
  assert.equal(apex.body.name, 'gpro.co.jp');
  assert.deepEqual(apex.body.certificates.map((c) => c.match), ['exact']);
  const sub = await domain('www.gpro.co.jp');
  assert.deepEqual(sub.body.certificates.map((c) => [c.match, c.serial_hex]), [['wildcard', apex.body.certificates[0].serial_hex]]);

  // Every .jp name of every uploaded leaf finds that leaf with the same features.
  let checked = 0;
  for (const f of fields.filter((x) => x.sanDns.some((n) => n.endsWith('.jp') && !n.startsWith('*.'))).slice(0, 40)) {
    const name = f.sanDns.find((n) => n.endsWith('.jp') && !n.startsWith('*.'))!;
    const r = await domain(name);
    const c = r.body.certificates.find((x) => x.serial_hex === f.serialHex && x.issuer_dn === f.issuerDn);
    assert.ok(c, `${name} finds its certificate ${f.serialHex}`);
    assert.deepEqual(c.features, expectedFeatures(f), name);
    assert.equal(c.validation_level, f.validationLevel);
    checked++;
  }
  assert.ok(checked >= 20);
  // The features take both values over the real data.
  const seen = new Map<string, Set<boolean>>();
  for (const f of fields) for (const [k, v] of Object.entries(expectedFeatures(f))) seen.set(k, (seen.get(k) ?? new Set()).add(v));
  for (const k of ['has_crl_distribution_point', 'ov_or_ev', 'wildcard', 'san_count_10_or_more', 'no_subject_organisation']) assert.equal(seen.get(k)?.size, 2, k);

  const many = fields.find((f) => f.sanDns.length >= 10 && f.sanDns.some((n) => n.endsWith('.jp')))!;
  const r = await domain(many.sanDns.find((n) => n.endsWith('.jp'))!, '?limit=1');
  assert.equal(r.body.certificates.length, 1);
  assert.equal(r.body.certificates[0].features.san_count_10_or_more, true);

  const none = await domain('nothing-here.example.jp');
  assert.deepEqual([none.status, none.body.count, none.body.certificates], [200, 0, []]);
});

test('domain certificates: bad names and limits are refused with a message naming the problem', async () => {
  for (const bad of ['bad_name!.jp', 'a..b.jp', `${'x'.repeat(250)}.jp`, ' ']) {
    const r = await domain(bad);
    assert.equal(r.status, 400, bad);
    assert.equal(r.body.code, 'INVALID_DOMAIN', bad);
    assert.match(r.body.message!, /not a valid DNS name/);
    assert.ok(r.body.message!.includes(JSON.stringify(bad)), r.body.message);
  }
  const long = await domain('x'.repeat(300));
  assert.equal(long.status, 400);
  assert.match(long.body.message!, /params\/name/);
  for (const q of ['?limit=0', '?limit=5000', '?limit=abc', '?other=1']) {
    const r = await domain('example.jp', q);
    assert.equal(r.status, 400, q);
    assert.match(r.body.message!, /limit|other/, q);
  }
});

function withoutVolatile(s: Record<string, unknown>): Record<string, unknown> {
  const rest: Record<string, unknown> = { ...s };
  for (const k of ['generated_at', 'cache', 'lineages', 'lineages_total']) delete rest[k];
  const input = { ...(rest.input as Record<string, unknown>) };
  delete input.read_seconds;
  delete input.analysis_seconds;
  const gaps = { ...(rest.expiry_gaps as Record<string, unknown>) };
  delete gaps.lengths_days;
  return { ...rest, expiry_gaps: gaps, input };
}

test('analysis summary: the aggregates of summaryFromDatabase, lineages only on request, cached and refreshed in the background', async () => {
  const r1 = await app.inject({ method: 'GET', url: '/api/v1/analysis/summary' });
  assert.equal(r1.statusCode, 200, r1.body);
  const s1 = r1.json() as AnalysisSummaryResponse;
  assert.equal(s1.lineages, undefined);
  assert.equal(s1.cache.max_age_s, 1);

  const conn = await connectDb(env.dbUrl);
  try {
    const direct = await summaryFromDatabase(conn);
    assert.deepEqual(withoutVolatile(s1 as never), withoutVolatile(direct as never));
    assert.equal(s1.totals.lineages, direct.lineages.length);
  } finally {
    await conn.end();
  }
  const rows = await app.db.selectFrom('certificates').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  assert.equal(s1.input.rows, Number(rows.n));
  assert.ok(s1.totals.lineages > 0);
  assert.equal(s1.heatmap_jst.counts.length, 7);

  const r2 = await app.inject({ method: 'GET', url: '/api/v1/analysis/summary?lineages=1&limit=3' });
  const s2 = r2.json() as AnalysisSummaryResponse;
  assert.equal(s2.lineages!.length, Math.min(3, s1.totals.lineages));
  assert.equal(s2.lineages_total, s1.totals.lineages);
  assert.ok(s2.lineages![0].names.length > 0 && typeof s2.lineages![0].class === 'string');

  for (const q of ['?limit=3', '?lineages=1&limit=0', '?lineages=2', '?lineages=1&limit=99999', '?x=1']) {
    const r = await app.inject({ method: 'GET', url: `/api/v1/analysis/summary${q}` });
    assert.equal(r.statusCode, 400, q);
    assert.match(r.json().message, /limit|lineages|x/, q);
  }

  // New certificates show up once the cached summary is older than its maximum age (1 s here). The real
  // leaves are all stored already, so two more certificates go in the way the ingest stores them.
  const conn2 = await createConnection({ uri: env.dbUrl, timezone: 'Z', supportBigNumbers: true });
  try {
    const nb = Date.UTC(2025, 5, 1);
    const cert = (id: string, days: number) => ({
      id, names: ['renewed.example.co.jp'], notBefore: nb + Number(id) * 60 * 86_400_000, notAfter: nb + (Number(id) * 60 + days) * 86_400_000, ctTimestamp: null,
      issuerOrg: "Let's Encrypt", issuerCn: 'R11', issuerDn: "CN=R11,O=Let's Encrypt,C=US", serialHex: `fe${id}`, validationLevel: 'DV' as const, seenPrecert: false, seenFinal: true,
    });
    await insertCertificates(conn2, [cert('1', 90), cert('2', 90)]);
  } finally {
    await conn2.end();
  }
  const rowsAfter = s1.input.rows + 2;
  const until = Date.now() + 60_000;
  let latest = s1;
  while (latest.input.rows !== rowsAfter) {
    assert.ok(Date.now() < until, 'the summary was refreshed');
    await new Promise((r) => setTimeout(r, 200));
    latest = (await app.inject({ method: 'GET', url: '/api/v1/analysis/summary' })).json();
  }
  assert.ok(latest.generated_at > s1.generated_at);
});

test('summary cache: one computation at a time, stale answers while refreshing, failures reported and retried', async () => {
  let now = 0;
  let calls = 0;
  let release: (v: CachedSummary) => void = () => {};
  const fake = (n: number) => ({ generated_at: String(n) }) as unknown as CachedSummary;
  const cache = new SummaryCache(
    () => {
      calls++;
      return new Promise<CachedSummary>((resolve) => {
        release = resolve;
      });
    },
    1000,
    () => {},
    () => now,
  );
  // Nothing cached: callers wait, and only one computation starts for all of them.
  const waiting = [cache.get(60_000), cache.get(60_000), cache.get(60_000)];
  assert.equal(calls, 1);
  assert.equal(cache.refreshing, true);
  release(fake(1));
  for (const e of await Promise.all(waiting)) assert.equal(e.summary.generated_at, '1');
  assert.equal(cache.refreshing, false);
  // Fresh: no computation.
  now = 999;
  assert.equal((await cache.get(0)).summary.generated_at, '1');
  assert.equal(calls, 1);
  // Stale: the old summary is answered at once, one refresh runs in the background.
  now = 1000;
  assert.equal((await cache.get(0)).summary.generated_at, '1');
  assert.equal((await cache.get(0)).summary.generated_at, '1');
  assert.equal(calls, 2);
  release(fake(2));
  await cache.refresh(); // joins the computation already running
  assert.equal(calls, 2);
  assert.equal((await cache.get(0)).summary.generated_at, '2');
  assert.equal(calls, 2);

  // A failure keeps the old summary; with none, the error is named.
  const empty = new SummaryCache(() => Promise.reject(new Error('database gone')), 1000, () => {}, () => now);
  await assert.rejects(empty.get(1000), /the analysis failed: database gone/);
  await cache.close();
});
