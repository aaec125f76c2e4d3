/**
 * Folds lineages, one at a time, into the figures of the report. Memory grows with the number of
 * groups (organisation types, CAs) and expiry gaps, not with the number of certificates.
 */
import type { AnalysisGroup, ReadinessGroup, SummaryLineage } from '../share/api/analysis.js';
import type { TimeSpan } from '../share/coverage.js';
import { caName } from './cas.js';
import { type CalendarShares, type DayClass, expectedSharesOver } from './calendar.js';
import { type Evidence, type Readiness, SC081, classifyLineage, readiness } from './classify.js';
import { type OrgType, primaryDomain } from './domains.js';
import { type Lineage, issuanceJst } from './lineage.js';
import { type Observation, clipSpans, coverageSummary, judgingPeriods } from './observed.js';

/** A lineage as the summary API serves it, with the analysis's own types where the API says only string or object. */
export interface LineageResult extends SummaryLineage {
  org_type: OrgType;
  evidence: Evidence;
  readiness: Record<'200' | '100' | '47', Readiness>;
}

/** The counts of a group's figures as the API has them; finish() adds the shares. */
export type ClassCounts = Omit<AnalysisGroup['classes'], 'share'>;
export type GapCounts = AnalysisGroup['expiry_gaps'];
export type EndCounts = AnalysisGroup['lineage_ends'];
export type ReadinessCounts = Omit<ReadinessGroup, 'share'>;
/** Issuances per kind of day; finish() turns them into the API's share rows. */
export interface TimeCounts {
  issuances: number;
  weekday: number;
  weekend: number;
  holiday: number;
  closure: number;
  government_non_working: number;
  business_hours: number;
}

interface Group {
  classes: ClassCounts;
  gaps: GapCounts;
  ends: EndCounts;
  readiness: Record<string, ReadinessCounts>;
  time: TimeCounts;
}

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

function newGroup(): Group {
  const rc = (): ReadinessCounts => ({ lineages: 0, ready: 0, likely: 0, not_ready: 0, unknown: 0 });
  return {
    classes: { lineages: 0, automated: 0, manual: 0, undetermined: 0, censored_only: 0 },
    gaps: { renewals: 0, gaps: 0, rate: null, censored: 0 },
    ends: { ended: 0, censored: 0 },
    readiness: Object.fromEntries(SC081.map((s) => [String(s.days), rc()])),
    time: { issuances: 0, weekday: 0, weekend: 0, holiday: 0, closure: 0, government_non_working: 0, business_hours: 0 },
  };
}

/** Histogram bin edges for renewal intervals (days) and renewal points. */
export const INTERVAL_BIN_DAYS = 5;
export const INTERVAL_MAX_DAYS = 420;
export const RATIO_BIN = 0.05;
export const RATIO_MAX = 1.5;

export function lifetimeBucket(days: number): string {
  if (days <= 50) return '≤50 d';
  if (days <= 100) return '51–100 d';
  if (days <= 200) return '101–200 d';
  if (days <= 400) return '201–400 d';
  return '>400 d';
}
export const LIFETIME_BUCKETS = ['≤50 d', '51–100 d', '101–200 d', '201–400 d', '>400 d'];

/** The per-name sensitivity variant keeps counts only: they add up across partitions and threads. */
export interface PerNameCounts {
  lineages: number;
  renewals: number;
  renewals_censored: number;
  gaps: number;
  automated: number;
  manual: number;
  undetermined: number;
}

export const newPerNameCounts = (): PerNameCounts => ({ lineages: 0, renewals: 0, renewals_censored: 0, gaps: 0, automated: 0, manual: 0, undetermined: 0 });

/** Counts one per-name lineage: its class, its uncensored and censored renewals and its gaps. */
export function countPerName(counts: PerNameCounts, l: Lineage): void {
  const c = classifyLineage(l);
  counts.lineages++;
  counts.renewals += c.evidence.renewals;
  counts.renewals_censored += c.evidence.renewals_censored;
  counts.gaps += c.evidence.expiry_gaps;
  counts[c.class]++;
}

export class Aggregator {
  /** Counts over every lineage added. */
  private readonly totals = { certificates: 0, issuances: 0, folded: 0, renewals: 0, renewalsCensored: 0, lineages: 0, ended: 0, timeUnknown: 0 };
  /** The first and last issuance time seen (the observed period). */
  private firstIssued = Infinity;
  private lastIssued = -Infinity;
  private readonly overall = newGroup();
  private readonly byOrg = new Map<string, Group>();
  private readonly byCa = new Map<string, Group>();
  private readonly byClass = new Map<string, Group>();
  private readonly gapLengths: number[] = [];
  private readonly gapsResumedAfterDays = { within_5_days: 0, within_30_days: 0, later: 0 };
  private readonly automatedWithLapses = { count: 0 };
  private readonly intervalHist = new Map<string, number[]>();
  private readonly ratioHist = new Map<string, number[]>();
  private readonly heatmap: number[][] = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  private readonly perName = newPerNameCounts();
  /** The periods lineages are judged against (observed.ts judgingPeriods): pass them to buildLineage. */
  readonly periods: TimeSpan[];

  /** observationEnd: when the data ends (latest CT timestamp); observation: the coverage applied. */
  constructor(
    private readonly observationEnd: number,
    private readonly observation: Observation,
  ) {
    this.periods = judgingPeriods(observation, observationEnd);
  }

  private group(map: Map<string, Group>, key: string): Group {
    let g = map.get(key);
    if (!g) map.set(key, (g = newGroup()));
    return g;
  }

  /** Adds one exact-SAN-set lineage and returns its result object. */
  add(l: Lineage, certificates: number): LineageResult {
    const c = classifyLineage(l);
    const dom = primaryDomain(l.names);
    const last = l.issuances[l.issuances.length - 1];
    const ca = caName(last.first.issuerOrg, last.first.issuerCn);
    const ready = Object.fromEntries(SC081.map((s) => [String(s.days), readiness(l, c, s.days)])) as LineageResult['readiness'];
    const groups = [this.overall, this.group(this.byOrg, dom.type), this.group(this.byCa, ca), this.group(this.byClass, c.class)];

    const censored = c.evidence.renewals_censored;
    this.totals.lineages++;
    this.totals.certificates += certificates;
    this.totals.issuances += l.issuances.length;
    this.totals.renewals += c.evidence.renewals;
    this.totals.renewalsCensored += censored;
    if (l.ended) this.totals.ended++;
    if (c.automated_with_lapses) this.automatedWithLapses.count++;
    for (const g of groups) {
      g.classes.lineages++;
      g.classes[c.class]++;
      if (censored > 0 && c.evidence.renewals === 0) g.classes.censored_only++;
      g.gaps.renewals += c.evidence.renewals;
      g.gaps.censored += censored;
      g.gaps.gaps += c.evidence.expiry_gaps;
      g.ends[l.ended ? 'ended' : 'censored']++;
      for (const [k, v] of Object.entries(ready)) {
        g.readiness[k].lineages++;
        g.readiness[k][v]++;
      }
    }
    for (const i of l.issuances) {
      this.totals.folded += i.folded;
      if (!i.timeKnown) {
        this.totals.timeUnknown++;
        continue;
      }
      this.firstIssued = Math.min(this.firstIssued, i.issuedAt);
      this.lastIssued = Math.max(this.lastIssued, i.issuedAt);
      const t = issuanceJst(i);
      this.heatmap[t.weekday][t.hour]++;
      for (const g of groups) countTime(g.time, t.dayClass, t.closure, t.businessHours);
    }
    for (const r of l.renewals) {
      if (r.censored) continue;
      const bucket = lifetimeBucket(r.prev_lifetime_days);
      bin(this.intervalHist, bucket, r.interval_days, INTERVAL_BIN_DAYS, INTERVAL_MAX_DAYS);
      if (Number.isFinite(r.ratio)) bin(this.ratioHist, bucket, r.ratio, RATIO_BIN, RATIO_MAX);
      if (r.gap_days > 0) {
        this.gapLengths.push(r4(r.gap_days));
        if (r.gap_days <= 5) this.gapsResumedAfterDays.within_5_days++;
        else if (r.gap_days <= 30) this.gapsResumedAfterDays.within_30_days++;
        else this.gapsResumedAfterDays.later++;
      }
    }
    return {
      names: l.names,
      domain: dom.registrable,
      org_type: dom.type,
      ca,
      cas: [...new Set(l.issuances.map((i) => caName(i.first.issuerOrg, i.first.issuerCn)))],
      validation_level: last.first.validationLevel,
      certificates,
      issuances: l.issuances.length,
      first_issued: iso(l.issuances[0].issuedAt),
      last_not_after: iso(last.notAfter),
      class: c.class,
      lifetime_relative: c.lifetime_relative,
      automated_with_lapses: c.automated_with_lapses,
      evidence: c.evidence,
      // A censored renewal keeps only its date: its span is no interval and no gap (observed.ts).
      renewals: l.renewals.map((r, k) =>
        r.censored
          ? { not_before: iso(l.issuances[k + 1].notBefore), censored: true, interval_days: null, overlap_days: null, gap_days: null, ratio: null }
          : {
              not_before: iso(l.issuances[k + 1].notBefore),
              censored: false,
              interval_days: r4(r.interval_days),
              overlap_days: r4(r.overlap_days),
              gap_days: r4(r.gap_days),
              ratio: Number.isFinite(r.ratio) ? r4(r.ratio) : null,
            },
      ),
      readiness: ready,
    };
  }

  /** Adds one per-name lineage (the sensitivity variant): only its class and gaps are counted. */
  addPerName(l: Lineage): void {
    countPerName(this.perName, l);
  }

  /** Adds per-name counts made elsewhere (another thread, see per-name-thread.ts). */
  addPerNameCounts(counts: PerNameCounts): void {
    for (const k of Object.keys(this.perName) as (keyof PerNameCounts)[]) this.perName[k] += counts[k];
  }

  finish() {
    const period = Number.isFinite(this.firstIssued) ? { start: this.firstIssued, end: this.lastIssued } : null;
    // A process issuing uniformly would issue only in the time that was observed: the calendar of the
    // observed periods within the issuance period (all of it when coverage is assumed complete).
    const calendarSpans = period ? (this.observation.mode === 'observed' ? clipSpans(this.periods, period.start, period.end + 1) : [{ start: period.start, end: period.end + 1 }]) : [];
    const expected = period ? expectedSharesOver(calendarSpans.length ? calendarSpans : [{ start: period.start, end: period.end + 1 }]) : null;
    const dataSpan = period ? { start: Math.min(period.start, this.observationEnd), end: this.observationEnd + 1 } : null;
    const { observed_periods, ...coverage } = coverageSummary(this.observation, dataSpan);
    const groupOut = (g: Group) => ({
      classes: withShares(g.classes),
      expiry_gaps: { ...g.gaps, rate: g.gaps.renewals ? r4(g.gaps.gaps / g.gaps.renewals) : null },
      lineage_ends: { ...g.ends },
      readiness: Object.fromEntries(Object.entries(g.readiness).map(([k, v]) => [k, withReadinessShares(v)])),
      time: timeOut(g.time, expected),
    });
    const mapOut = (m: Map<string, Group>) =>
      Object.fromEntries([...m.entries()].sort((a, b) => b[1].classes.lineages - a[1].classes.lineages).map(([k, g]) => [k, groupOut(g)]));
    const exact = this.overall.classes;
    return {
      coverage,
      observed_periods,
      totals: {
        certificates: this.totals.certificates,
        issuances: this.totals.issuances,
        folded_certificates: this.totals.folded,
        lineages: this.totals.lineages,
        renewals: this.totals.renewals,
        renewals_censored: this.totals.renewalsCensored,
        lineages_ended_before_observation_end: this.totals.ended,
        lineages_end_censored: this.totals.lineages - this.totals.ended,
        issuances_time_unknown: this.totals.timeUnknown,
      },
      period: period ? { start: iso(period.start), end: iso(period.end), days: r4((period.end + 1 - period.start) / 86_400_000) } : null,
      expected_shares_uniform_time: expected ? roundShares(expected) : null,
      overall: groupOut(this.overall),
      by_org_type: mapOut(this.byOrg),
      by_ca: mapOut(this.byCa),
      by_class: mapOut(this.byClass),
      expiry_gaps: {
        count: this.gapLengths.length,
        censored_renewals: this.totals.renewalsCensored,
        lengths_days: this.gapLengths,
        resumed: this.gapsResumedAfterDays,
        automated_lineages_with_lapses: this.automatedWithLapses.count,
      },
      histograms: {
        censored_renewals: this.totals.renewalsCensored,
        interval_bin_days: INTERVAL_BIN_DAYS,
        interval_days: Object.fromEntries(this.intervalHist),
        ratio_bin: RATIO_BIN,
        ratio: Object.fromEntries(this.ratioHist),
      },
      heatmap_jst: { rows: 'Monday..Sunday', columns: 'hour 0..23 JST', counts: this.heatmap },
      lineage_definitions: {
        exact_san_set: { lineages: exact.lineages, renewals: this.totals.renewals, renewals_censored: this.totals.renewalsCensored, expiry_gaps: this.overall.gaps.gaps, automated: exact.automated, manual: exact.manual, undetermined: exact.undetermined },
        per_name: this.perName.lineages ? { ...this.perName } : null,
      },
    };
  }
}

function bin(hist: Map<string, number[]>, key: string, v: number, width: number, max: number): void {
  let h = hist.get(key);
  if (!h) hist.set(key, (h = new Array<number>(Math.ceil(max / width) + 1).fill(0)));
  const i = v < 0 ? 0 : Math.min(h.length - 1, Math.floor(v / width));
  h[i]++;
}

function countTime(t: TimeCounts, dc: DayClass, closure: boolean, business: boolean): void {
  t.issuances++;
  t[dc]++;
  if (closure) t.closure++;
  if (closure || dc !== 'weekday') t.government_non_working++;
  if (business) t.business_hours++;
}

function withShares(c: ClassCounts) {
  const s = (n: number) => (c.lineages ? r4(n / c.lineages) : null);
  return { ...c, share: { automated: s(c.automated), manual: s(c.manual), undetermined: s(c.undetermined) } };
}

function withReadinessShares(c: ReadinessCounts) {
  const s = (n: number) => (c.lineages ? r4(n / c.lineages) : null);
  return { ...c, share: { ready: s(c.ready), likely: s(c.likely), not_ready: s(c.not_ready), unknown: s(c.unknown) } };
}

function roundShares(e: CalendarShares): CalendarShares {
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, r4(v)])) as unknown as CalendarShares;
}

function timeOut(t: TimeCounts, expected: CalendarShares | null) {
  const row = (n: number, exp: number | undefined) => ({
    count: n,
    share: t.issuances ? r4(n / t.issuances) : null,
    expected_share: exp === undefined ? null : r4(exp),
    ratio_to_expected: t.issuances && exp ? r4(n / t.issuances / exp) : null,
  });
  return {
    issuances: t.issuances,
    weekday: row(t.weekday, expected?.weekday),
    weekend: row(t.weekend, expected?.weekend),
    holiday: row(t.holiday, expected?.holiday),
    non_business: row(t.weekend + t.holiday, expected?.non_business),
    closure: row(t.closure, expected?.closure),
    government_non_working: row(t.government_non_working, expected?.government_non_working),
    business_hours: { count: t.business_hours, share: t.issuances ? r4(t.business_hours / t.issuances) : null },
  };
}

export type SummaryAggregates = ReturnType<Aggregator['finish']>;
