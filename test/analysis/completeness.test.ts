// Completeness (issue #15): recall per log and the share of issuance no read log holds, on a
// corpus with a known truth, and completenessFromDatabase on real certificate rows in MariaDB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2';
import { chapman, wilson } from '../../src/analysis/capture-recapture.js';
import {
  completeness,
  completenessFromDatabase,
  logIdOfKey,
  MISS_LIST,
  type CompletenessCertificate,
  type CompletenessLog,
  type CompletenessReport,
} from '../../src/analysis/completeness.js';
import { certificateRow, type CheckedItem } from '../../src/manager-api/ingest/ingest.js';
import type { CoverageResponse } from '../../src/share/api/index.js';
import { certificateIdentity, parseLeaf } from '../../src/share/x509/index.js';
import { createTestDb } from '../../tools/fixtures/analysis-db.js';
import { loadRealEntries } from '../../tools/fixtures/ct-real.js';
import { mulberry32 } from '../../tools/fixtures/synthetic-lineages.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const T1 = Date.UTC(2026, 2, 1);
const MID = Date.UTC(2026, 0, 29);

// The logs of the corpus: operator, whether in the catalogue, and the time ctjp covers in each.
const FULL = [{ start: T0 - DAY, end: T1 + DAY }];
const LOGS: CompletenessLog[] = [
  { logId: 'G1', name: 'google-1', operator: 'google', inCatalogue: true, covered: FULL },
  { logId: 'G2', name: 'google-2', operator: 'google', inCatalogue: true, covered: [{ start: T0 - DAY, end: MID }] }, // read for the first four weeks only
  { logId: 'G3', name: 'google-3', operator: 'google', inCatalogue: false, covered: [] },
  { logId: 'C1', name: 'cloudflare-1', operator: 'cloudflare', inCatalogue: true, covered: FULL },
  { logId: 'C2', name: 'cloudflare-2', operator: 'cloudflare', inCatalogue: false, covered: [] },
  { logId: 'D1', name: 'digicert-1', operator: 'digicert', inCatalogue: true, covered: FULL }, // misses entries on purpose
  { logId: 'D2', name: 'digicert-2', operator: 'digicert', inCatalogue: true, covered: [] }, // in the catalogue, never scanned
  { logId: 'L2', name: 'letsencrypt-2', operator: 'lets-encrypt', inCatalogue: true, covered: FULL },
  // S1 and L1 are not in ctjp's logs table at all (never read): only their IDs appear, in SCTs.
];
const byId = new Map(LOGS.map((l) => [l.logId, l]));

type Pick = [string, number][];
/** Each CA's policy: one log from its Google pool, one or two from its other pools (distinct operators). */
interface Policy {
  ca: string;
  size: number;
  /** Share of certificates with a Google SCT (the rest take two non-Google logs). */
  google: number;
  googlePool: Pick;
  otherPool: Pick;
  /** Share with a second non-Google SCT from another operator. */
  third: number;
}
const POLICIES: Policy[] = [
  { ca: 'Alpha CA', size: 4000, google: 1, googlePool: [['G1', 0.5], ['G2', 0.3], ['G3', 0.2]], otherPool: [['C1', 0.4], ['D1', 0.3], ['S1', 0.3]], third: 0.3 },
  { ca: 'Beta Trust', size: 2500, google: 1, googlePool: [['G1', 0.3], ['G3', 0.7]], otherPool: [['C2', 0.5], ['L2', 0.3], ['D2', 0.2]], third: 0 },
  { ca: 'Gamma PKI', size: 1500, google: 0.9, googlePool: [['G1', 0.6], ['G2', 0.4]], otherPool: [['D1', 0.5], ['L1', 0.5]], third: 0 },
];
const OPERATOR: Record<string, string> = { G: 'google', C: 'cloudflare', D: 'digicert', S: 'sectigo', L: 'lets-encrypt' };

function pick(rnd: () => number, pool: Pick, exclude: Set<string> = new Set()): string {
  const options = pool.filter(([id]) => !exclude.has(OPERATOR[id[0]]));
  const total = options.reduce((s, [, w]) => s + w, 0);
  let r = rnd() * total;
  for (const [id, w] of options) if ((r -= w) < 0) return id;
  return options[options.length - 1][0];
}

interface Truth {
  /** Every issued certificate, held or not. */
  all: { cert: CompletenessCertificate; hasGoogle: boolean; operators: number }[];
  /** D1's entries ctjp does not hold on purpose, in id order. */
  deliberate: { id: number; t: number }[];
}

/**
 * The corpus: every certificate issued at a uniform time in [T0, T1); an SCT per chosen log a few
 * seconds later; ctjp holds it in a log when the log is in the catalogue and covers the SCT's time,
 * except one D1 entry in 60 (chosen by the random stream), which it misses on purpose.
 */
function corpus(seed: number, scale = 1): Truth {
  const rnd = mulberry32(seed);
  const all: Truth['all'] = [];
  const deliberate: Truth['deliberate'] = [];
  let id = 0;
  for (const p of POLICIES) {
    for (let i = 0; i < Math.round(p.size * scale); i++) {
      id++;
      const t = T0 + Math.floor(rnd() * (T1 - T0));
      const chosen: string[] = [];
      const hasGoogle = rnd() < p.google;
      if (hasGoogle) chosen.push(pick(rnd, p.googlePool));
      const used = new Set(chosen.map((c) => OPERATOR[c[0]]));
      const others = hasGoogle ? (rnd() < p.third ? 2 : 1) : 2;
      for (let k = 0; k < others; k++) {
        const next = pick(rnd, p.otherPool, used);
        chosen.push(next);
        used.add(OPERATOR[next[0]]);
      }
      const scts = chosen.map((logId) => ({ logId, timestamp: t + Math.floor(rnd() * 5000) }));
      const heldIn = new Set<string>();
      for (const s of scts) {
        const log = byId.get(s.logId);
        if (!log?.inCatalogue || !log.covered.some((c) => s.timestamp >= c.start && s.timestamp < c.end)) continue;
        if (s.logId === 'D1' && rnd() < 1 / 60) deliberate.push({ id, t: s.timestamp });
        else heldIn.add(s.logId);
      }
      all.push({ cert: { id, ca: p.ca, scts, heldIn }, hasGoogle, operators: used.size });
    }
  }
  return { all, deliberate };
}

/** What ctjp has: the certificates held in at least one log. */
const heldCertificates = (truth: Truth) => truth.all.filter((x) => x.cert.heldIn.size > 0).map((x) => x.cert);

/** True invisible certificates per CA, in the estimate's population (a Google SCT and another operator's). */
function trueMissed(truth: Truth): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of truth.all) if (x.hasGoogle && x.operators >= 2 && x.cert.heldIn.size === 0) out.set(x.cert.ca, (out.get(x.cert.ca) ?? 0) + 1);
  return out;
}

const fmt = (x: number) => x.toFixed(1);

test('ground truth: recall per log is exact, deliberate misses are listed, and the invisible certificates lie in the intervals', () => {
  const truth = corpus(15);
  const held = heldCertificates(truth);
  const report = completeness(held, LOGS);

  // Recall per log, counted from the truth: SCTs in held certificates, in the catalogue and covered, held there.
  for (const log of report.logs) {
    let scts = 0;
    let expected = 0;
    let inLog = 0;
    for (const c of held) {
      const s = c.scts.find((x) => x.logId === log.log_id);
      if (!s) continue;
      scts++;
      const l = byId.get(log.log_id);
      if (!l?.inCatalogue || !l.covered.some((sp) => s.timestamp >= sp.start && s.timestamp < sp.end)) continue;
      expected++;
      if (c.heldIn.has(log.log_id)) inLog++;
    }
    assert.deepEqual([log.sct_count, log.expected, log.held], [scts, expected, inLog], log.log_id);
    console.log(`  ${log.log_id.padEnd(3)} ${String(log.name).padEnd(14)} scts ${String(log.sct_count).padStart(5)} expected ${String(log.expected).padStart(5)} held ${String(log.held).padStart(5)} recall ${log.recall === null ? '–' : log.recall.toFixed(4)} misses ${log.miss_count}`);
  }
  const recall = new Map(report.logs.map((l) => [l.log_id, l]));
  for (const id of ['G1', 'G2', 'C1', 'L2']) assert.equal(recall.get(id)!.recall, 1, id);
  // G2 was read for the first four weeks only: SCTs after that are not expected of it.
  assert.ok(recall.get('G2')!.expected < recall.get('G2')!.sct_count);
  // D2 and the unread logs expect nothing; S1 and L1 are not in the logs table.
  for (const id of ['D2', 'G3', 'C2', 'S1', 'L1']) assert.equal(recall.get(id)!.recall, null, id);
  assert.equal(recall.get('S1')!.name, null);
  // D1: exactly the deliberate misses whose certificate ctjp still holds elsewhere (the others are invisible).
  const d1 = recall.get('D1')!;
  const heldIds = new Set(held.map((c) => c.id));
  const visibleMisses = truth.deliberate.filter((d) => heldIds.has(d.id));
  assert.ok(visibleMisses.length > MISS_LIST, `${visibleMisses.length} deliberate misses visible: enough to fill the list`);
  assert.equal(d1.miss_count, visibleMisses.length);
  assert.equal(d1.held, d1.expected - visibleMisses.length);
  assert.deepEqual(
    d1.misses,
    visibleMisses.slice(0, MISS_LIST).map((d) => ({ certificate_id: d.id, log: 'digicert-1', sct_time: new Date(d.t).toISOString() })),
  );
  assert.deepEqual(d1.recall_interval, wilson(d1.held, d1.expected));

  // The estimate, per CA and pooled, against the truth.
  const missed = trueMissed(truth);
  let pooledTruth = 0;
  for (const ca of report.by_ca) {
    const e = ca.estimate!;
    const t = missed.get(ca.ca) ?? 0;
    pooledTruth += t;
    console.log(
      `  ${ca.ca.padEnd(10)} anchor ${ca.anchor_operator} certificates ${e.certificates} n1 ${e.n1} n2 ${e.n2} m ${e.m} N̂ ${fmt(e.estimate)} ± ${fmt(e.standard_error)}` +
        ` missed ${fmt(e.missed)} [${fmt(e.missed_interval[0])}, ${fmt(e.missed_interval[1])}] true ${t}` +
        ` share ${(100 * e.missed_share).toFixed(2)} % [${(100 * e.missed_share_interval[0]).toFixed(2)}, ${(100 * e.missed_share_interval[1]).toFixed(2)}]`,
    );
    assert.equal(ca.anchor_operator, 'google');
    assert.ok(e.missed_interval[0] <= t && t <= e.missed_interval[1], `${ca.ca}: true ${t} in [${e.missed_interval}]`);
    // Close: within three standard errors (under the model, a 0.3 % chance of failing by sampling alone).
    assert.ok(Math.abs(e.missed - t) <= 3 * e.standard_error, `${ca.ca}: ${e.missed} vs ${t} (SE ${e.standard_error})`);
    const trueShare = t / (e.certificates + t);
    assert.ok(e.missed_share_interval[0] <= trueShare && trueShare <= e.missed_share_interval[1], `${ca.ca}: true share ${trueShare}`);
  }
  const p = report.pooled!;
  console.log(`  pooled     missed ${fmt(p.missed)} [${fmt(p.missed_interval[0])}, ${fmt(p.missed_interval[1])}] true ${pooledTruth} share ${(100 * p.missed_share).toFixed(2)} % [${(100 * p.missed_share_interval[0]).toFixed(2)}, ${(100 * p.missed_share_interval[1]).toFixed(2)}]`);
  assert.ok(p.missed_interval[0] <= pooledTruth && pooledTruth <= p.missed_interval[1], `pooled: true ${pooledTruth} in [${p.missed_interval}]`);
  assert.ok(Math.abs(p.missed - pooledTruth) <= 3 * p.standard_error);
  // Gamma's certificates without a Google SCT are outside the estimate, and said so.
  const gamma = report.by_ca.find((c) => c.ca === 'Gamma PKI')!;
  assert.equal(gamma.without_anchor, held.filter((c) => c.ca === 'Gamma PKI' && !c.scts.some((s) => s.logId[0] === 'G')).length);
  assert.ok(gamma.without_anchor > 0);
});

test('calibration: over 200 seeded corpora the 95 % intervals hold the truth about 95 % of the time', () => {
  const runs = 200;
  const hits = new Map<string, number>();
  for (let seed = 1000; seed < 1000 + runs; seed++) {
    const truth = corpus(seed, 0.5);
    const report = completeness(heldCertificates(truth), LOGS);
    const missed = trueMissed(truth);
    let pooled = 0;
    for (const ca of report.by_ca) {
      const t = missed.get(ca.ca) ?? 0;
      pooled += t;
      const [lo, hi] = ca.estimate!.missed_interval;
      if (lo <= t && t <= hi) hits.set(ca.ca, (hits.get(ca.ca) ?? 0) + 1);
    }
    const [lo, hi] = report.pooled!.missed_interval;
    if (lo <= pooled && pooled <= hi) hits.set('pooled', (hits.get('pooled') ?? 0) + 1);
  }
  for (const [k, n] of [...hits].sort()) console.log(`  coverage ${k.padEnd(10)} ${n}/${runs}`);
  // 95 % nominal; with 200 runs a calibrated interval falls below 90 % with probability < 0.5 %.
  for (const k of ['Alpha CA', 'Beta Trust', 'Gamma PKI', 'pooled']) assert.ok((hits.get(k) ?? 0) >= 0.9 * runs, `${k}: ${hits.get(k) ?? 0}/${runs}`);
});

test('Chapman: textbook values, and the interval never falls below what was caught', () => {
  // Seber (1982) form: n1 = 60, n2 = 50, m = 20 → N̂ = 61·51/21 − 1 = 147.14…
  const e = chapman(60, 50, 20);
  assert.ok(Math.abs(e.estimate - (61 * 51) / 21 + 1) < 1e-9);
  assert.ok(Math.abs(e.variance - (61 * 51 * 40 * 30) / (21 * 21 * 22)) < 1e-9);
  assert.equal(e.caught, 90);
  assert.ok(e.interval[0] > 90 && e.interval[0] < e.estimate && e.interval[1] > e.estimate);
  assert.deepEqual(chapman(10, 0, 0).interval, [10, 10]);
  assert.throws(() => chapman(5, 3, 4), /recaptures m = 4 exceed/);
});

// --- The database path on real certificates -------------------------------------------------

interface ListLog {
  log_id: string;
  key: string;
  description: string;
}

function listLogs(): Map<string, ListLog & { operator: string }> {
  const out = new Map<string, ListLog & { operator: string }>();
  const list = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'data', 'log-lists', 'all_logs_list.json'), 'utf8')) as {
    operators: { name: string; logs?: ListLog[]; tiled_logs?: ListLog[] }[];
  };
  const apple = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'data', 'log-lists', 'apple_current_log_list.json'), 'utf8')) as typeof list;
  for (const l of [list, apple]) for (const op of l.operators) for (const log of [...(op.logs ?? []), ...(op.tiled_logs ?? [])]) if (!out.has(log.log_id)) out.set(log.log_id, { ...log, operator: op.name.toLowerCase() });
  return out;
}

test('completenessFromDatabase on real final certificates: the same report as the pure path, and what it cannot use', async () => {
  const db = await createTestDb('ctjp_completeness');
  try {
    const entries = loadRealEntries();
    const finals = entries.map((e) => parseLeaf(e.leafInput)).filter((p) => p.fields && p.fields.scts.length > 0);
    const precert = entries.map((e) => parseLeaf(e.leafInput)).find((p) => p.fields && p.entryType === 'precert_entry')!;
    // Distinct certificates (two real ones appear twice in the test data).
    const distinct = [...new Map(finals.map((p) => [certificateIdentity(p.fields!).toString('hex'), p])).values()];
    const known = listLogs();
    const sctLogIds = [...new Set(distinct.flatMap((p) => p.fields!.scts.map((s) => s.logId)))].sort();
    // Every other log named in the SCTs is read (in the catalogue, covering all the SCT times); the rest are in the table but not the catalogue.
    const times = distinct.flatMap((p) => p.fields!.scts.map((s) => s.timestamp));
    const span = { start: new Date(Math.min(...times) - DAY).toISOString(), end: new Date(Math.max(...times) + DAY).toISOString() };
    const read = new Set(sctLogIds.filter((_, i) => i % 2 === 0));
    const logRows: { id: number; logId: string; name: string }[] = [];
    for (const logId of sctLogIds) {
      const l = known.get(logId);
      assert.ok(l, `log ${logId} is in the browsers' lists`);
      assert.equal(logIdOfKey(l.key), logId, 'log ID = SHA-256 of the key');
      const name = l.description.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase().slice(0, 60);
      const [r] = await db.conn.query<import('mysql2').ResultSetHeader>('INSERT INTO logs (name, category, url, public_key, in_catalogue) VALUES (?, ?, ?, ?, ?)', [
        name,
        l.operator,
        `https://example.invalid/${name}/`,
        l.key,
        read.has(logId) ? 1 : 0,
      ]);
      logRows.push({ id: Number(r.insertId), logId, name });
    }
    const coverage: CoverageResponse = {
      generated_at: new Date().toISOString(),
      observed_periods: [],
      logs: logRows.map((l) => ({
        name: l.name,
        category: 'x',
        shut_down: false,
        read_from: 'origin',
        temporal_interval: null,
        mmd_seconds: 86400,
        stretches: [],
        covered: read.has(l.logId) ? [span] : [],
      })),
    };
    // Rows as the ingest writes them; a sighting in every read log named in the SCTs, except one on purpose.
    const rows = [...distinct, precert].map((parsed, i) => {
      const c = { item: { log_name: 'testlog-a', friend_name: 'test', index: i, leaf_input: '', ct_log_url: '', lease_id: 0 }, logId: 1, logUrl: '', workerId: 0, parsed, identity: certificateIdentity(parsed.fields!), day: '' } as CheckedItem;
      return certificateRow(c, randomBytes(16));
    });
    // One final certificate stored before SCT lists were kept: its fields lack `scts`.
    const old = JSON.parse(rows[1].fields) as Record<string, unknown>;
    delete old.scts;
    rows[1].fields = JSON.stringify(old);
    const columns = Object.keys(rows[0]);
    await db.conn.query(`INSERT INTO certificates (${columns.join(', ')}) VALUES ?`, [rows.map((r) => columns.map((k) => (r as Record<string, unknown>)[k]))]);
    const [ids] = await db.conn.query<RowDataPacket[]>('SELECT id FROM certificates ORDER BY id');
    const certIds = ids.map((r) => Number(r.id));
    const rowOf = new Map(logRows.map((l) => [l.logId, l.id]));
    const sightings: unknown[][] = [];
    const pure: CompletenessCertificate[] = [];
    let missedOnPurpose: { id: number; logId: string } | null = null;
    distinct.forEach((p, i) => {
      const heldIn = new Set<string>();
      for (const s of p.fields!.scts) {
        if (!read.has(s.logId)) continue;
        if (missedOnPurpose === null && i > 1) {
          missedOnPurpose = { id: certIds[i], logId: s.logId };
          continue;
        }
        heldIn.add(s.logId);
        sightings.push([rowOf.get(s.logId), 1000 + sightings.length, certIds[i], 'x509_entry', s.timestamp, randomBytes(32), 'test', randomBytes(16)]);
      }
      if (i !== 1) pure.push({ id: certIds[i], ca: p.fields!.issuerOrganization ?? `(CN) ${p.fields!.issuerCommonName}`, scts: p.fields!.scts, heldIn });
    });
    await db.conn.query('INSERT INTO sightings (log_id, leaf_index, certificate_id, entry_type, leaf_timestamp, leaf_hash, friend_name, upload_tag) VALUES ?', [sightings]);

    const report = await completenessFromDatabase(db.conn, coverage, { batchSize: 7 });
    assert.deepEqual(report.input, {
      certificates: distinct.length + 1,
      precertificate_only: 1,
      final: distinct.length,
      final_with_scts: distinct.length - 1,
      final_scts_not_stored: 1,
      final_without_scts: 0,
    });
    assert.ok(report.notes.some((n) => /1 final certificates were stored before ctjp kept SCT lists/.test(n)));
    const expected: CompletenessReport = completeness(pure, pureLogs(logRows, read, span, known));
    assert.deepEqual(report.logs, expected.logs);
    assert.deepEqual(report.by_ca, expected.by_ca);
    const miss = missedOnPurpose!;
    const log = report.logs.find((l) => l.log_id === miss.logId)!;
    assert.equal(log.miss_count, 1);
    assert.equal(log.misses[0].certificate_id, miss.id);
    assert.ok(log.recall! < 1);
    for (const l of report.logs) if (l.log_id !== miss.logId) assert.ok(l.recall === null || l.recall === 1, l.log_id);
    console.log(`  real rows: ${report.input.final_with_scts} certificates, ${report.logs.length} logs, CAs ${report.by_ca.map((c) => `${c.ca} (${c.certificates_with_scts})`).join(', ')}`);
  } finally {
    await db.drop();
  }
});

function pureLogs(logRows: { logId: string; name: string }[], read: Set<string>, span: { start: string; end: string }, known: Map<string, { operator: string }>): CompletenessLog[] {
  return logRows.map((l) => ({
    logId: l.logId,
    name: l.name,
    operator: known.get(l.logId)!.operator,
    inCatalogue: read.has(l.logId),
    covered: read.has(l.logId) ? [{ start: Date.parse(span.start), end: Date.parse(span.end) }] : [],
  }));
}
