// Figures the dashboard derives from one GET /api/v1/status answer; pure, so the tests run it in Node.
import type { CategoryStatus, FlagEvidence, LeaseStatus, LogAudit, LogStatus, StatusResponse, WorkerStatus } from '../../share/api/index.js';
// The paths alone (not the index): the bundle needs no schema.
import { API_PATHS } from '../../share/api/paths.js';
import { fill, formatCount, formatUtcMinute } from './format.js';
import type { Lang, MessageKey, Translate } from './i18n.js';

/** The mission's four categories first, in their usual order; any others after them, alphabetically. */
const knownCategories = ['google', 'cloudflare', 'digicert', 'trustasia'];

export interface Coverage {
  total: number;
  done: number;
  running: number;
  waiting: number;
  unassigned: number;
}

/** Splits a log's target range into scanned, handed out but not yet scanned, waiting and never handed out. */
export function coverage(log: LogStatus): Coverage {
  if (log.target_end === null || log.target_end < log.target_start) {
    return { total: 0, done: 0, running: 0, waiting: 0, unassigned: 0 };
  }
  const total = log.target_end - log.target_start + 1;
  const handedOut = clamp(log.handed_out_to - log.target_start + 1, 0, total);
  const done = clamp(log.scanned, 0, total);
  const waiting = clamp(log.resume_waiting_entries, 0, total - done);
  const running = clamp(handedOut - done - waiting, 0, total - done - waiting);
  const unassigned = total - done - waiting - running;
  return { total, done, running, waiting, unassigned };
}

export interface Overview {
  certificates: number;
  sightings: number;
  scanned: number;
  target: number;
  jpShare: number;
  progress: number;
  /** Entries/s the manager counted as confirmed over its "now" window and over the last hour. */
  rateNow: number;
  rateHour: number;
  eta: number | null;
  logs: number;
  logsAvailable: number;
  workersAlive: number;
  workersDead: number;
  workersStopped: number;
  workersFlagged: number;
  /** Left out of certificates and sightings until an operator clears the worker or another scan confirms them. */
  quarantinedCertificates: number;
  quarantinedSightings: number;
}

export function overview(status: StatusResponse): Overview {
  const t = status.totals;
  return {
    certificates: t.certificates,
    sightings: t.sightings,
    scanned: t.scanned_entries,
    target: t.target_entries,
    jpShare: t.scanned_entries > 0 ? t.sightings / t.scanned_entries : Number.NaN,
    progress: t.target_entries > 0 ? Math.min(1, t.scanned_entries / t.target_entries) : 0,
    rateNow: t.rate,
    rateHour: t.rate_last_hour,
    eta: t.eta_s,
    logs: t.logs,
    logsAvailable: t.logs_available,
    workersAlive: t.workers_alive,
    workersDead: t.workers_dead,
    workersStopped: t.workers_stopped,
    workersFlagged: t.workers_flagged,
    quarantinedCertificates: t.quarantined_certificates,
    quarantinedSightings: t.quarantined_sightings,
  };
}

export function categoryOrder(categories: Iterable<string>): string[] {
  const unique = [...new Set(categories)];
  const known = knownCategories.filter((c) => unique.includes(c));
  const others = unique.filter((c) => !knownCategories.includes(c)).sort();
  return [...known, ...others];
}

export interface CategoryGroup {
  category: string;
  logs: LogStatus[];
  certificates: number;
  sightings: number;
  coverage: Coverage;
  /** The manager's figures for the category (its rates are its logs' summed); absent for a category it did not list. */
  rates: Pick<CategoryStatus, 'rate' | 'rate_last_hour' | 'eta_s'>;
  available: number;
}

const NO_RATES = { rate: 0, rate_last_hour: 0, eta_s: null };

export function groupByCategory(logs: readonly LogStatus[], categories: readonly CategoryStatus[] = []): CategoryGroup[] {
  return categoryOrder(logs.map((l) => l.category)).map((category) => {
    const members = logs.filter((l) => l.category === category).sort((a, b) => a.name.localeCompare(b.name));
    const sum: Coverage = { total: 0, done: 0, running: 0, waiting: 0, unassigned: 0 };
    for (const l of members) {
      const c = coverage(l);
      sum.total += c.total;
      sum.done += c.done;
      sum.running += c.running;
      sum.waiting += c.waiting;
      sum.unassigned += c.unassigned;
    }
    const rates = categories.find((c) => c.category === category) ?? NO_RATES;
    return {
      category,
      logs: members,
      certificates: members.reduce((a, l) => a + l.certificates, 0),
      sightings: members.reduce((a, l) => a + l.sightings, 0),
      coverage: sum,
      rates: { rate: rates.rate, rate_last_hour: rates.rate_last_hour, eta_s: rates.eta_s },
      available: members.filter((l) => l.available).length,
    };
  });
}

/** Share of a lease's inclusive range confirmed so far (`confirmed` is start - 1 before the first entry). */
export function leaseProgress(lease: LeaseStatus): number {
  const size = lease.end - lease.start + 1;
  if (size <= 0) return 0;
  return clamp(lease.confirmed - lease.start + 1, 0, size) / size;
}

/** Seconds since the worker's last ping, measured on the manager's clock plus the time since the answer arrived. */
export function pingAgeSeconds(worker: WorkerStatus, generatedAt: string, sinceFetchMs: number): number {
  const age = (Date.parse(generatedAt) - Date.parse(worker.last_ping_at) + sinceFetchMs) / 1000;
  return Number.isFinite(age) ? Math.max(0, age) : Number.NaN;
}

const stateOrder: Record<WorkerStatus['state'], number> = { dead: 0, alive: 1, stopped: 2 };

/** Flagged workers first (an operator must decide), then dead ones (they need attention), alive, stopped; busiest first within each. */
export function sortWorkers(workers: readonly WorkerStatus[]): WorkerStatus[] {
  return [...workers].sort(
    (a, b) =>
      Number(b.flagged !== null) - Number(a.flagged !== null) ||
      stateOrder[a.state] - stateOrder[b.state] ||
      b.collected - a.collected ||
      a.friend_name.localeCompare(b.friend_name) ||
      a.worker_id.localeCompare(b.worker_id),
  );
}

export interface FriendRank {
  friend: string;
  workers: number;
  alive: number;
  collected: number;
  rate: number;
}

export function friendRanking(workers: readonly WorkerStatus[]): FriendRank[] {
  const byFriend = new Map<string, FriendRank>();
  for (const w of workers) {
    const r = byFriend.get(w.friend_name) ?? { friend: w.friend_name, workers: 0, alive: 0, collected: 0, rate: 0 };
    r.workers += 1;
    if (w.state === 'alive') {
      r.alive += 1;
      r.rate += w.leases.reduce((a, l) => a + l.rate, 0);
    }
    r.collected += w.collected;
    byFriend.set(w.friend_name, r);
  }
  return [...byFriend.values()].sort((a, b) => b.collected - a.collected || b.rate - a.rate || a.friend.localeCompare(b.friend));
}

export type DailyMetric = 'sightings' | 'certificates';

export interface DailyPivot {
  days: string[];
  logs: string[];
  /** values[logIndex][dayIndex] */
  values: number[][];
  dayTotals: number[];
  logTotals: number[];
}

/** Day × log table of the daily counts; days ascending, logs by category then name, logs without counts left out. */
export function dailyPivot(status: StatusResponse, metric: DailyMetric): DailyPivot {
  const days = [...new Set(status.daily.map((d) => d.day))].sort();
  const categoryOf = new Map(status.logs.map((l) => [l.name, l.category]));
  const order = categoryOrder(status.logs.map((l) => l.category));
  const rank = (name: string) => {
    const i = order.indexOf(categoryOf.get(name) ?? '');
    return i < 0 ? order.length : i;
  };
  const present = [...new Set(status.daily.filter((d) => d[metric] > 0).map((d) => d.log_name))];
  const logs = present.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const dayIndex = new Map(days.map((d, i) => [d, i]));
  const logIndex = new Map(logs.map((l, i) => [l, i]));
  const values = logs.map(() => days.map(() => 0));
  for (const row of status.daily) {
    const li = logIndex.get(row.log_name);
    const di = dayIndex.get(row.day);
    if (li !== undefined && di !== undefined) values[li]![di]! += row[metric];
  }
  const dayTotals = days.map((_, di) => values.reduce((a, v) => a + v[di]!, 0));
  const logTotals = values.map((v) => v.reduce((a, x) => a + x, 0));
  return { days, logs, values, dayTotals, logTotals };
}

/** What a figure on a log's lane asks of the reader: nothing, a look, or an operator's decision. */
export type Tone = 'muted' | 'attention' | 'bad';

/** One audit figure of a log, shown on its lane only when it is not zero. */
export interface AuditFact {
  key: 'pending' | 'waitingForFriend' | 'disputes' | 'unresolved' | 'unproven' | 'givenUp' | 'quarantined';
  count: number;
  /** Entries behind the count (unproven ranges), .jp entries (quarantined certificates). */
  detail?: number;
  /** The manager lists at most this many given-up ranges: the count is a lower bound then. */
  atLeast?: boolean;
  tone: Tone;
  /** Label and tooltip, with {n} (and {detail}) to fill. */
  label: MessageKey;
  hint: MessageKey;
}

/** The manager lists at most 20 given-up ranges per log (LogAudit.given_up). */
export const GIVEN_UP_LISTED = 20;

/**
 * A log's audit figures worth a reader's attention, in the order of an audit's life: second scans
 * pending, those no alive worker may take, open and unresolved disputes, ranges not proven (given-up
 * ones included) and given up, quarantined certificates. Figures at zero are left out.
 */
export function auditFacts(a: LogAudit): AuditFact[] {
  const all: AuditFact[] = [
    { key: 'pending', count: a.pending_audits, tone: 'muted', label: 'auditPending', hint: 'auditPendingHint' },
    { key: 'waitingForFriend', count: a.waiting_for_friend, tone: 'attention', label: 'auditWaitingForFriend', hint: 'auditWaitingForFriendHint' },
    { key: 'disputes', count: a.disputes, tone: 'attention', label: 'auditDisputes', hint: 'auditDisputesHint' },
    { key: 'unresolved', count: a.disputes_unresolved, tone: 'bad', label: 'auditUnresolved', hint: 'auditUnresolvedHint' },
    { key: 'unproven', count: a.unproven_ranges, detail: a.unproven_entries, tone: 'attention', label: 'auditUnproven', hint: 'auditUnprovenHint' },
    { key: 'givenUp', count: a.given_up.length, atLeast: a.given_up.length >= GIVEN_UP_LISTED, tone: 'bad', label: 'auditGivenUp', hint: 'auditGivenUpHint' },
    { key: 'quarantined', count: a.quarantined_certificates, detail: a.quarantined_sightings, tone: 'bad', label: 'auditQuarantined', hint: 'auditQuarantinedHint' },
  ];
  // Quarantined sightings without a certificate row (unparsable leaves) show the fact too.
  return all.filter((f) => f.count > 0 || (f.key === 'quarantined' && (f.detail ?? 0) > 0));
}

/** A fact's label in words: "3 audits pending", "20+ ranges given up". */
export function auditFactText(f: AuditFact, lang: Lang, t: Translate): string {
  return fill(t(f.label), { n: `${formatCount(f.count, lang)}${f.atLeast ? '+' : ''}`, detail: formatCount(f.detail ?? 0, lang) });
}

/** Indexes listed in a line of evidence; the rest is counted ("and 90 more"). */
const EVIDENCE_LISTED = 10;

function indexList(indexes: readonly number[], total: number, lang: Lang, t: Translate): string {
  const shown = indexes.slice(0, EVIDENCE_LISTED).map((i) => formatCount(i, lang));
  const rest = total - shown.length;
  return rest > 0 ? `${shown.join(', ')} ${fill(t('evidenceMore'), { n: formatCount(rest, lang) })}` : shown.join(', ');
}

function verdictWord(v: string | null, t: Translate): string {
  if (v === 'verified') return t('verdictVerified');
  if (v === 'failed') return t('verdictFailed');
  if (v === 'unverified') return t('verdictUnverified');
  return v === null ? t('verdictNone') : v;
}

/** One piece of evidence in words a friend or an operator reads: a heading and its lines. */
export interface EvidenceText {
  title: string;
  lines: string[];
}

/**
 * What a flagged worker did wrong in one audit: the log and range, the entries it reported that
 * the two others did not, those it missed, the proof verdict it claimed against theirs, and the
 * tree heads when two of them cannot both be the log's.
 */
export function describeEvidence(e: FlagEvidence, lang: Lang, t: Translate): EvidenceText {
  const n = (x: number) => formatCount(x, lang);
  const lines: string[] = [];
  if (e.extra_count > 0) lines.push(fill(t('evidenceExtra'), { n: n(e.extra_count), list: indexList(e.extra, e.extra_count, lang, t) }));
  if (e.missing_count > 0) lines.push(fill(t('evidenceMissing'), { n: n(e.missing_count), list: indexList(e.missing, e.missing_count, lang, t) }));
  if (e.extra_count === 0 && e.missing_count === 0) lines.push(t('evidenceSameEntries'));
  lines.push(fill(t('evidenceVerdict'), { verdict: verdictWord(e.verdict, t), others: e.other_verdicts.map((v) => verdictWord(v, t)).join(', ') }));
  if (e.tree_head_conflict) {
    lines.push(t('evidenceTreeHeadConflict'));
    for (const h of e.tree_heads) {
      lines.push(
        fill(t('evidenceTreeHead'), {
          friend: h.friend_name,
          worker: h.worker_id,
          lease: String(h.lease_id),
          size: h.tree_size === null ? '–' : n(h.tree_size),
          root: h.root_hash ?? '–',
        }),
      );
    }
  }
  lines.push(fill(t('evidenceLeases'), { lease: String(e.lease_id), others: e.other_lease_ids.join(', '), audit: String(e.audit_id) }));
  return {
    title: fill(t('evidenceTitle'), { log: e.log_name, start: n(e.start), end: n(e.end), at: formatUtcMinute(e.at) }),
    lines,
  };
}

/** The operator's commands for a flagged worker: clear it (its quarantined entries count again), or clear it and delete them. */
export interface ClearCommands {
  clear: string;
  remove: string;
}

/**
 * curl lines against the manager the page was loaded from (`base`: the page's base URL, so a
 * manager behind a proxy path is addressed through it). The worker id is the worker's own choice
 * (the API allows [A-Za-z0-9._:-]); the command must be safe to paste whatever it holds, so it is
 * URL-encoded, dots too when it is all dots (a "." or ".." segment would be resolved away), and the
 * URL is single-quoted for the shell.
 */
export function clearCommands(workerId: string, base: string): ClearCommands {
  const id = /^\.+$/.test(workerId) ? workerId.replace(/\./g, '%2E') : encodeURIComponent(workerId);
  const dir = new URL('.', base).href;
  const url = (dir + API_PATHS.adminClearWorker.replace(/^\//, '').replace(':worker_id', id)).replace(/'/g, '%27');
  const head = `curl -X POST -H "Authorization: Bearer $CTJP_ADMIN_TOKEN" -H 'content-type: application/json'`;
  return { clear: `${head} -d '{}' '${url}'`, remove: `${head} -d '{"delete":true}' '${url}'` };
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}
