/**
 * How complete is ctjp's data (docs/analysis.md, "How complete is the data?")? A final certificate carries the
 * SCTs of the logs its precertificate went to, so it says where ctjp should have found it:
 *
 * 1. Recall per log: among the SCTs naming a catalogue log at a time that log's scanned part
 *    covers, the share for which ctjp holds the certificate's entry in that log. Every miss is a
 *    defect to explain, so the first ones are listed.
 * 2. The share of issuance that no log ctjp read holds, per CA: certificates whose every SCT log
 *    went unread are invisible, so their number is estimated by two-occasion capture–recapture
 *    (Chapman), occasion A being the CA's most used log operator and B its other operators.
 *    Stratified by CA because a CA picks its logs by policy: captures are not independent across
 *    CAs, and pooling them would hide that.
 *
 * The pure part (CompletenessAccumulator) folds certificates one at a time into counters and a
 * small histogram per CA, so memory does not grow with the table; completenessFromDatabase streams
 * the manager's tables into it in batches.
 */
import type { CaCompleteness, CompletenessEstimate, CompletenessMiss, CompletenessReport, LogRecall } from '../share/api/analysis.js';
import { hash } from 'node:crypto';
import { type Expression, sql } from 'kysely';
import type { Connection } from 'mysql2/promise';
import { readQueries, readRows, readTuples } from '../db/read-connection.js';
import type { CoverageResponse } from '../share/api/index.js';
import { parseIsoSpan, spansContain, unionSpans, type TimeSpan } from '../share/coverage.js';
import { chapman, logNormalInterval, wilson, Z95 } from './capture-recapture.js';
import { caName } from './cas.js';
import { certificatePage } from './reader.js';

/** One embedded SCT as the analysis needs it. */
export interface SctRef {
  /** Base64 SHA-256 of the log's DER SubjectPublicKeyInfo. */
  logId: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
}

/** A final certificate with embedded SCTs, and where ctjp holds it. */
export interface CompletenessCertificate {
  id: number;
  /** caName(issuer O, issuer CN). */
  ca: string;
  scts: readonly SctRef[];
  /** Log IDs of the logs in which ctjp holds an entry of this certificate (any other string for a log without a known key). */
  heldIn: ReadonlySet<string>;
}

/** A log ctjp knows (the manager's logs table) with the time its scanned part covers. */
export interface CompletenessLog {
  logId: string;
  name: string;
  /** The operator (the catalogue's category); null when unknown. */
  operator: string | null;
  inCatalogue: boolean;
  /** coveredTime(): the times at which every entry the log holds lies in a scanned stretch. */
  covered: readonly TimeSpan[];
}

// The report's shape is part of the analysis summary the API serves: it lives in src/share/api.
export type { CaCompleteness, CompletenessEstimate, CompletenessMiss, CompletenessReport, LogRecall } from '../share/api/analysis.js';

export const MISS_LIST = 20;

interface LogState {
  info: CompletenessLog | null;
  sctCount: number;
  expected: number;
  held: number;
  missCount: number;
  misses: CompletenessMiss[];
}

interface CaState {
  certificates: number;
  outsideFrame: number;
  /** Per signature (operators present with their held flags, and whether held elsewhere), a count. */
  signatures: Map<string, number>;
}

/** The log ID of a base64 DER SubjectPublicKeyInfo (RFC 6962 §3.2). */
export function logIdOfKey(publicKeyBase64: string): string {
  return hash('sha256', Buffer.from(publicKeyBase64, 'base64'), 'base64');
}

/** Folds certificates into per-log recall and per-CA capture histograms; report() computes the figures. */
export class CompletenessAccumulator {
  private readonly logs = new Map<string, LogState>();
  private readonly cas = new Map<string, CaState>();
  /** Times at which at least one catalogue log's scanned part covers: the estimate's frame. */
  private readonly frame: TimeSpan[];
  input: CompletenessReport['input'] = { certificates: 0, precertificate_only: 0, final: 0, final_with_scts: 0, final_scts_not_stored: 0, final_without_scts: 0 };
  readonly notes: string[] = [];

  constructor(logs: readonly CompletenessLog[]) {
    for (const l of logs) {
      if (this.logs.has(l.logId)) throw new Error(`completeness: logs ${this.logs.get(l.logId)!.info!.name} and ${l.name} have the same log ID ${l.logId}`);
      this.logs.set(l.logId, { info: { ...l, covered: unionSpans(l.covered) }, sctCount: 0, expected: 0, held: 0, missCount: 0, misses: [] });
    }
    this.frame = unionSpans(logs.filter((l) => l.inCatalogue).flatMap((l) => l.covered));
  }

  private log(logId: string): LogState {
    let s = this.logs.get(logId);
    if (!s) {
      s = { info: null, sctCount: 0, expected: 0, held: 0, missCount: 0, misses: [] };
      this.logs.set(logId, s);
    }
    return s;
  }

  private operatorOf(logId: string, s: LogState): string {
    // An unknown operator is its own: two unknown logs are never taken to be one operator's.
    return s.info?.operator ?? `log ${s.info?.name ?? logId}`;
  }

  add(c: CompletenessCertificate): void {
    if (c.scts.length === 0) return;
    // One SCT per log counts (a CA may repeat a log; the earliest time is when it was logged).
    const byLog = new Map<string, number>();
    for (const s of c.scts) byLog.set(s.logId, Math.min(byLog.get(s.logId) ?? Infinity, s.timestamp));
    const operators = new Map<string, boolean>();
    let issued = Infinity;
    for (const [logId, t] of byLog) {
      const s = this.log(logId);
      const held = c.heldIn.has(logId);
      s.sctCount++;
      if (s.info?.inCatalogue && spansContain(s.info.covered, t)) {
        s.expected++;
        if (held) s.held++;
        else {
          s.missCount++;
          if (s.misses.length < MISS_LIST) s.misses.push({ certificate_id: c.id, log: s.info.name, sct_time: new Date(t).toISOString() });
        }
      }
      const op = this.operatorOf(logId, s);
      operators.set(op, (operators.get(op) ?? false) || held);
      issued = Math.min(issued, t);
    }
    let ca = this.cas.get(c.ca);
    if (!ca) {
      ca = { certificates: 0, outsideFrame: 0, signatures: new Map() };
      this.cas.set(c.ca, ca);
    }
    ca.certificates++;
    if (!spansContain(this.frame, issued)) {
      ca.outsideFrame++;
      return;
    }
    const elsewhere = [...c.heldIn].some((l) => !byLog.has(l));
    const key = JSON.stringify([[...operators].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([op, h]) => [op, h ? 1 : 0]), elsewhere ? 1 : 0]);
    ca.signatures.set(key, (ca.signatures.get(key) ?? 0) + 1);
  }

  report(): CompletenessReport {
    const logs = [...this.logs].map(([logId, s]) => logRecall(logId, s, s.info ? s.info.operator : null));
    logs.sort((a, b) => Number(b.in_catalogue) - Number(a.in_catalogue) || (a.name ?? '\uffff').localeCompare(b.name ?? '\uffff') || a.log_id.localeCompare(b.log_id));
    const byCa = [...this.cas].map(([name, s]) => caCompleteness(name, s)).sort((a, b) => b.certificates_with_scts - a.certificates_with_scts || a.ca.localeCompare(b.ca));
    const notes = [...this.notes];
    const unnamed = logs.filter((l) => l.name === null);
    if (unnamed.length > 0) notes.push(`${unnamed.length} logs named in SCTs are not in ctjp's logs table (never read): ${unnamed.map((l) => l.log_id).slice(0, 10).join(', ')}${unnamed.length > 10 ? ', …' : ''}`);
    const outside = byCa.reduce((n, c) => n + c.outside_frame + c.without_anchor + c.single_operator, 0);
    if (outside > 0) notes.push(`${outside} certificates with SCTs are outside the estimate (issued when no catalogue log was covered, or without SCTs of two operators, one the CA's anchor)`);
    return {
      version: 1,
      definitions: {
        frame: 'certificates whose earliest SCT time lies in the time some catalogue log’s scanned part covers (coveredTime)',
        occasions: 'A: held in an SCT log of the CA’s anchor operator (named in most of its certificates); B: held in an SCT log of any other operator',
        estimator: 'Chapman N̂ = (n1+1)(n2+1)/(m+1) − 1 per CA, Seber variance, Chao log-normal 95 % interval; pooled = sum over CAs',
        confidence: 0.95,
        misses_listed_per_log: MISS_LIST,
      },
      input: { ...this.input },
      logs,
      by_ca: byCa,
      pooled: pooledEstimate(byCa),
      notes,
    };
  }
}

function logRecall(logId: string, s: LogState, operator: string | null): LogRecall {
  return {
    log_id: logId,
    name: s.info?.name ?? null,
    operator,
    in_catalogue: s.info?.inCatalogue ?? false,
    sct_count: s.sctCount,
    expected: s.expected,
    held: s.held,
    recall: s.expected === 0 ? null : s.held / s.expected,
    recall_interval: wilson(s.held, s.expected),
    miss_count: s.missCount,
    misses: s.misses,
  };
}

interface Counts {
  certificates: number;
  n1: number;
  n2: number;
  m: number;
  elsewhere: number;
}

function caCompleteness(name: string, s: CaState): CaCompleteness {
  const sigs = [...s.signatures].map(([k, n]) => {
    const [ops, elsewhere] = JSON.parse(k) as [[string, number][], number];
    return { ops, elsewhere: elsewhere === 1, n };
  });
  // The anchor: the operator present in most certificates (ties: the first name), whether held or not.
  const presence = new Map<string, number>();
  for (const g of sigs) for (const [op] of g.ops) presence.set(op, (presence.get(op) ?? 0) + g.n);
  const anchor = [...presence].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? null;
  const c: Counts = { certificates: 0, n1: 0, n2: 0, m: 0, elsewhere: 0 };
  let withoutAnchor = 0;
  let singleOperator = 0;
  for (const g of sigs) {
    const a = g.ops.find(([op]) => op === anchor);
    if (!a) {
      withoutAnchor += g.n;
      continue;
    }
    const others = g.ops.filter(([op]) => op !== anchor);
    if (others.length === 0) {
      singleOperator += g.n;
      continue;
    }
    const inA = a[1] === 1;
    const inB = others.some(([, h]) => h === 1);
    c.certificates += g.n;
    if (inA) c.n1 += g.n;
    if (inB) c.n2 += g.n;
    if (inA && inB) c.m += g.n;
    if (!inA && !inB && g.elsewhere) c.elsewhere += g.n;
  }
  return {
    ca: name,
    certificates_with_scts: s.certificates,
    outside_frame: s.outsideFrame,
    without_anchor: withoutAnchor,
    single_operator: singleOperator,
    anchor_operator: anchor,
    estimate: c.certificates === 0 ? null : estimateOf(c),
  };
}

/**
 * Chapman over the occasions. Certificates caught by neither occasion are still in the data when
 * held in some other log: they are part of Chapman's uncaught f0 but not missed, so missed = f0 − them.
 */
function estimateOf(c: Counts): CompletenessEstimate {
  const e = chapman(c.n1, c.n2, c.m);
  return finish(c.certificates, c.n1, c.n2, c.m, c.elsewhere, e.caught, e.uncaught, e.variance);
}

function finish(certificates: number, n1: number, n2: number, m: number, elsewhere: number, caught: number, uncaught: number, variance: number): CompletenessEstimate {
  const [f0lo, f0hi] = logNormalInterval(uncaught, variance, Z95);
  const estimate = caught + uncaught;
  const missedOf = (f0: number): number => Math.max(0, f0 - elsewhere);
  // missed / (caught + f0) grows with f0, so the interval of f0 maps onto the share's.
  const shareOf = (f0: number): number => (caught + f0 === 0 ? 0 : missedOf(f0) / (caught + f0));
  return {
    certificates,
    n1,
    n2,
    m,
    held_elsewhere_only: elsewhere,
    estimate,
    standard_error: Math.sqrt(variance),
    interval: [caught + f0lo, caught + f0hi],
    missed: missedOf(uncaught),
    missed_interval: [missedOf(f0lo), missedOf(f0hi)],
    missed_share: shareOf(uncaught),
    missed_share_interval: [shareOf(f0lo), shareOf(f0hi)],
  };
}

/** Strata are disjoint and estimated independently: the uncaught counts and their variances add. */
function pooledEstimate(byCa: readonly CaCompleteness[]): CompletenessEstimate | null {
  const parts = byCa.map((c) => c.estimate).filter((e): e is CompletenessEstimate => e !== null);
  if (parts.length === 0) return null;
  const sum = (f: (e: CompletenessEstimate) => number): number => parts.reduce((s, e) => s + f(e), 0);
  const caught = sum((e) => e.n1 + e.n2 - e.m);
  return finish(
    sum((e) => e.certificates),
    sum((e) => e.n1),
    sum((e) => e.n2),
    sum((e) => e.m),
    sum((e) => e.held_elsewhere_only),
    caught,
    sum((e) => e.estimate) - caught,
    sum((e) => e.standard_error ** 2),
  );
}

/** The figures for certificates given directly (tests, other callers). */
export function completeness(certificates: Iterable<CompletenessCertificate>, logs: readonly CompletenessLog[]): CompletenessReport {
  const acc = new CompletenessAccumulator(logs);
  for (const c of certificates) acc.add(c);
  return acc.report();
}

export interface CompletenessDbOptions {
  /** Certificates rows per batch (default 20,000). */
  batchSize?: number;
}

/**
 * The manager's logs with their log IDs and covered time. A log without a public key cannot be
 * matched to SCTs; its sightings still count as "held elsewhere".
 */
export async function completenessLogs(conn: Connection, coverage: CoverageResponse): Promise<{ logs: CompletenessLog[]; logIdByRow: Map<number, string>; notes: string[] }> {
  const rows = await readRows(conn, readQueries.selectFrom('logs').select(['id', 'name', 'category', 'public_key', 'in_catalogue']).orderBy('id'));
  const covered = new Map(coverage.logs.map((l) => [l.name, l.covered.map((s, i) => parseIsoSpan(s, `coverage of ${l.name}, covered[${i}]`))]));
  const logs: CompletenessLog[] = [];
  const logIdByRow = new Map<number, string>();
  const notes: string[] = [];
  const seen = new Set<string>();
  for (const { id, name, category, public_key: key, in_catalogue: inCatalogue } of rows) {
    if (!key) {
      notes.push(`log ${name} has no public key: its log ID is unknown, so SCTs cannot name it`);
      logIdByRow.set(Number(id), `row ${id}`);
      continue;
    }
    const logId = logIdOfKey(key);
    logIdByRow.set(Number(id), logId);
    // The same key under two names (a log renamed in the catalogue): the catalogue's row wins.
    if (seen.has(logId)) continue;
    seen.add(logId);
    logs.push({ logId, name, operator: category || null, inCatalogue: Number(inCatalogue) === 1, covered: covered.get(name) ?? [] });
  }
  return { logs, logIdByRow, notes };
}

function parseScts(raw: unknown, id: number): SctRef[] | null {
  if (raw === null || raw === undefined) return null;
  let v: unknown = raw;
  // MariaDB returns JSON as text; MySQL's JSON type arrives parsed.
  if (typeof raw === 'string') {
    try {
      v = JSON.parse(raw);
    } catch {
      throw new Error(`certificate ${id}: fields.scts is not JSON`);
    }
  }
  if (!Array.isArray(v)) throw new Error(`certificate ${id}: fields.scts is not a JSON array`);
  return v.map((s: { logId?: unknown; timestamp?: unknown }, i) => {
    if (typeof s?.logId !== 'string' || typeof s.timestamp !== 'number') throw new Error(`certificate ${id}: fields.scts[${i}] lacks logId or timestamp`);
    return { logId: s.logId, timestamp: s.timestamp };
  });
}

/** A final certificate's JSON at `path` in its `fields`, extracted in the database so that the rest of `fields` stays there; null for a precertificate, which carries no SCTs. */
const finalField = (seenFinal: Expression<number>, fields: Expression<string>, path: string) => sql<unknown>`IF(${seenFinal} = 1, JSON_EXTRACT(${fields}, ${sql.lit(path)}), NULL)`;

/** The certificates after id `after`, rows as arrays in the order of CERTIFICATE_COLUMNS. */
const certificatesAfter = (after: number, batch: number) =>
  certificatePage(after, batch).select((eb) => [
    'id', 'issuer_org', 'issuer_cn', 'seen_final',
    finalField(eb.ref('seen_final'), eb.ref('fields'), '$.scts').as('scts'),
    finalField(eb.ref('seen_final'), eb.ref('fields'), '$.hasEmbeddedScts').as('has_embedded_scts'),
  ]);
const CERTIFICATE_COLUMNS = ['id', 'issuer_org', 'issuer_cn', 'seen_final', 'scts', 'has_embedded_scts'] as const;
const certificateRows = (conn: Connection, after: number, batch: number) => readTuples(conn, certificatesAfter(after, batch), CERTIFICATE_COLUMNS);
type CertificateRow = Awaited<ReturnType<typeof certificateRows>>[number];

/**
 * Completeness over the manager's database: certificates in id order in batches (keyset
 * pagination; the next batch is queued while one is folded in), each batch's sightings by
 * certificate id, nothing kept but counters. `coverage` gives each log's covered time (the
 * manager's GET /api/v1/coverage answer, or the export's coverage file).
 */
export async function completenessFromDatabase(conn: Connection, coverage: CoverageResponse, opts: CompletenessDbOptions = {}): Promise<CompletenessReport> {
  const batch = opts.batchSize ?? 20_000;
  const { logs, logIdByRow, notes } = await completenessLogs(conn, coverage);
  const acc = new CompletenessAccumulator(logs);
  acc.notes.push(...notes);
  let pending: Promise<CertificateRow[]> | null = certificateRows(conn, 0, batch);
  const input = acc.input;
  while (pending) {
    const rows: CertificateRow[] = await pending;
    if (rows.length === 0) break;
    pending = rows.length < batch ? null : certificateRows(conn, rows[rows.length - 1][0], batch);
    pending?.catch(() => {});
    const withScts: { id: number; ca: string; scts: SctRef[] }[] = [];
    for (const [rawId, org, cn, seenFinal, rawScts, hasExt] of rows) {
      const id = Number(rawId);
      input.certificates++;
      if (Number(seenFinal) !== 1) {
        input.precertificate_only++;
        continue;
      }
      input.final++;
      const scts = parseScts(rawScts, id);
      if (scts === null || scts.length === 0) {
        if (scts === null && (hasExt === 'true' || hasExt === true)) input.final_scts_not_stored++;
        else input.final_without_scts++;
        continue;
      }
      input.final_with_scts++;
      withScts.push({ id, ca: caName(org, cn), scts });
    }
    if (withScts.length === 0) continue;
    const sightings = await readRows(
      conn,
      readQueries
        .selectFrom('sightings')
        .select(['certificate_id', 'log_id'])
        .where('certificate_id', 'in', withScts.map((c) => c.id))
        .where('quarantined', '=', 0),
    );
    const held = new Map<number, Set<string>>();
    for (const { certificate_id: certId, log_id: logRow } of sightings) {
      const logId = logIdByRow.get(Number(logRow)) ?? `row ${logRow}`;
      const set = held.get(Number(certId));
      if (set) set.add(logId);
      else held.set(Number(certId), new Set([logId]));
    }
    for (const c of withScts) acc.add({ ...c, heldIn: held.get(c.id) ?? new Set() });
  }
  if (input.final_scts_not_stored > 0) {
    acc.notes.push(`${input.final_scts_not_stored} final certificates were stored before ctjp kept SCT lists: they are left out until re-ingested from the raw leaf files`);
  }
  if (input.precertificate_only > 0) {
    acc.notes.push(`${input.precertificate_only} certificates were seen only as precertificates, which carry no SCTs: they are outside both figures`);
  }
  return acc.report();
}
