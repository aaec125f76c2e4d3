/**
 * Automation class of a lineage, from the evidence its renewals leave in CT.
 * Each signal adds to or takes from a score; the thresholds and their sources are in docs/analysis.md.
 */
import type { SummaryLineage } from '../share/api/analysis.js';
import { isAcmeOnlyCa } from './cas.js';
import { jstTime } from './calendar.js';
import { type Lineage, issuanceJst } from './lineage.js';

export type AutomationClass = SummaryLineage['class'];

export const THRESHOLDS = {
  /** Renewals needed before a lineage is classified at all; the regularity signals need one more. */
  minRenewals: 1,
  /** Coefficient of variation of intervals at or below which renewals are regular… */
  regularCv: 0.1,
  /** …and standard deviation of intervals (days) at or below which, since a timer's jitter is hours and a person's days. */
  regularSdDays: 2,
  /** CV above which renewals are irregular. */
  irregularCv: 0.25,
  /** |median renewal point − 2/3| within which the lineage follows the 2/3-of-lifetime rule. */
  twoThirdsTolerance: 0.05,
  /** Median renewal point at or above which renewals come late in the lifetime (manual habit, or lapses). */
  lateRatio: 0.85,
  /** Circular standard deviation of the JST time of day (hours) under which issuance runs like a clock. */
  stableHourSd: 0.5,
  /** Timed issuances needed for the office-time signal, and for the clock-like time-of-day signal. */
  minTimedOffice: 2,
  minTimed: 4,
  /** Share of timed issuances in office time at or above which the lineage is worked in office time. */
  officeShare: 2 / 3,
  /** Off-hours issuances (and their share of timed issuances) needed for the off-hours signal. */
  minOffHours: 2,
  offHoursShare: 1 / 3,
  /** Scores: at or above → automated, at or below → manual, between → undetermined. */
  automatedScore: 2,
  manualScore: -1,
} as const;

// A type alias rather than an interface: only an alias fits the API's `evidence: Record<string, unknown>`.
export type Evidence = {
  /** Uncensored renewals: the ones the interval signals rest on. */
  renewals: number;
  /** Renewals whose in-between time was not wholly observed: not used as evidence (observed.ts). */
  renewals_censored: number;
  interval_median_days: number | null;
  interval_cv: number | null;
  ratio_median: number | null;
  lifetime_median_days: number | null;
  /** Distinct certificate lifetimes seen (rounded days). */
  lifetimes_days: number[];
  timed_issuances: number;
  hour_sd_hours: number | null;
  business_hours_share: number | null;
  office_time_share: number | null;
  off_hours_issuances: number;
  same_day_of_month: boolean;
  acme_only_ca: boolean;
  expiry_gaps: number;
  /** The lineage ended (see Lineage.ended); false also when its end was not observed. */
  ended: boolean;
  score: number;
  signals: string[];
};

export interface Classification {
  class: AutomationClass;
  /** Renews at a fixed fraction of the lifetime (so it follows shorter lifetimes), as far as observed. */
  lifetime_relative: boolean;
  /** Automated, but the fixed schedule is longer than the certificates last. */
  automated_with_lapses: boolean;
  evidence: Evidence;
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function coefficientOfVariation(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (mean <= 0) return null;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
  return Math.sqrt(variance) / mean;
}

/** Circular standard deviation (hours) of times of day given in minutes. */
export function circularSdHours(minutes: readonly number[]): number | null {
  if (minutes.length === 0) return null;
  let s = 0;
  let c = 0;
  for (const m of minutes) {
    const a = (m / 1440) * 2 * Math.PI;
    s += Math.sin(a);
    c += Math.cos(a);
  }
  const r = Math.min(1, Math.hypot(s, c) / minutes.length);
  return r <= 0 ? 12 : (Math.sqrt(-2 * Math.log(r)) * 24) / (2 * Math.PI);
}

const round = (x: number | null, d = 4): number | null => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d);

export function classifyLineage(l: Lineage): Classification {
  const T = THRESHOLDS;
  // Only renewals whose in-between time was observed are evidence: a censored one may hide renewals.
  const renewals = l.renewals.some((r) => r.censored) ? l.renewals.filter((r) => !r.censored) : l.renewals;
  const censored = l.renewals.length - renewals.length;
  const intervals = renewals.map((r) => r.interval_days);
  const ratios = renewals.map((r) => r.ratio).filter(Number.isFinite);
  const lifetimes = l.issuances.map((i) => (i.notAfter - i.notBefore) / 86_400_000);
  const timed = l.issuances.filter((i) => i.timeKnown).map(issuanceJst);
  const cv = coefficientOfVariation(intervals);
  const sd = cv === null ? null : cv * (intervals.reduce((a, b) => a + b, 0) / intervals.length);
  const rMed = median(ratios);
  const hourSd = timed.length >= T.minTimed ? circularSdHours(timed.map((t) => t.minuteOfDay)) : null;
  const business = timed.filter((t) => t.businessHours).length;
  // Office time for the classification is Mon–Fri 08:00–20:00 JST whatever the holiday calendar says:
  // many firms work on national holidays, and leaving holidays out keeps the holiday share an outcome
  // of the analysis rather than one of its inputs.
  const officeTime = timed.filter((t) => t.weekday < 5 && t.hour >= 8 && t.hour < 20).length;
  const offHours = timed.filter((t) => t.weekday >= 5 || t.hour < 7 || t.hour >= 21).length;
  const days = l.issuances.map((i) => jstTime(i.notBefore).dayOfMonth);
  const sameDay = l.issuances.length >= 3 && days.every((d) => d === days[0]);
  const acmeOnly = l.issuances.some((i) => isAcmeOnlyCa(i.first.issuerOrg));
  const gaps = renewals.filter((r) => r.gap_days > 0).length;
  const regular = cv !== null && sd !== null && cv <= T.regularCv && sd <= T.regularSdDays;

  let score = 0;
  const signals: string[] = [];
  const add = (points: number, why: string) => {
    score += points;
    signals.push(`${points > 0 ? '+' : ''}${points} ${why}`);
  };
  if (acmeOnly) add(2, 'ACME-only CA');
  if (regular) add(1, `regular intervals (CV ${cv.toFixed(3)}, sd ${sd.toFixed(1)} d)`);
  if (cv !== null && cv > T.irregularCv) add(-1, `irregular intervals (CV ${cv.toFixed(3)})`);
  if (rMed !== null && Math.abs(rMed - 2 / 3) <= T.twoThirdsTolerance) add(1, `renews near 2/3 of lifetime (r ${rMed.toFixed(3)})`);
  if (rMed !== null && rMed >= T.lateRatio) add(-1, `renews late in the lifetime (r ${rMed.toFixed(3)})`);
  if (timed.length >= T.minTimedOffice && officeTime >= T.officeShare * timed.length) add(-1, `${officeTime} of ${timed.length} issuances Mon–Fri 08:00–20:00 JST`);
  if (offHours >= T.minOffHours && offHours >= T.offHoursShare * timed.length) add(1, `${offHours} of ${timed.length} issuances at night or on weekends (JST)`);
  if (hourSd !== null && hourSd <= T.stableHourSd && officeTime < timed.length) add(1, `issued at the same time of day (sd ${hourSd.toFixed(2)} h)`);
  if (sameDay && days[0] === 1) add(-1, 'always issued on the 1st of the month (reseller calendar)');
  // A renewal after expiry is what a person who forgot does. Not so on a fixed schedule longer than
  // the lifetime (a timer set wrong: the regular-interval signal shows it), nor on an ACME-only CA,
  // where every certificate comes from a client and a lapse is a client that failed for a while.
  if (gaps > 0 && !regular && !acmeOnly) add(-2, `renewed after expiry (${gaps} of ${renewals.length} renewals), not on a fixed schedule`);

  let cls: AutomationClass;
  if (renewals.length < T.minRenewals) {
    cls = 'undetermined';
    signals.push(censored > 0 ? `too few uncensored renewals (${renewals.length} < ${T.minRenewals}; ${censored} censored)` : `too few renewals (${renewals.length} < ${T.minRenewals})`);
  } else cls = score >= T.automatedScore ? 'automated' : score <= T.manualScore ? 'manual' : 'undetermined';

  const distinctLifetimes = [...new Set(lifetimes.map((x) => Math.round(x)))].sort((a, b) => a - b);
  const ratioSpread = ratios.length ? Math.max(...ratios) - Math.min(...ratios) : Infinity;
  const lifetimeRelative = cls === 'automated' && rMed !== null && rMed < 1 && ratioSpread <= 0.1;
  const intervalMed = median(intervals);
  const lifetimeMed = median(lifetimes);
  return {
    class: cls,
    lifetime_relative: lifetimeRelative,
    automated_with_lapses: cls === 'automated' && gaps > 0 && regular && intervalMed !== null && lifetimeMed !== null && intervalMed > lifetimeMed,
    evidence: {
      renewals: renewals.length,
      renewals_censored: censored,
      interval_median_days: round(intervalMed),
      interval_cv: round(cv),
      ratio_median: round(rMed),
      lifetime_median_days: round(lifetimeMed),
      lifetimes_days: distinctLifetimes,
      timed_issuances: timed.length,
      hour_sd_hours: round(hourSd),
      business_hours_share: timed.length ? round(business / timed.length) : null,
      office_time_share: timed.length ? round(officeTime / timed.length) : null,
      off_hours_issuances: offHours,
      same_day_of_month: sameDay,
      acme_only_ca: acmeOnly,
      expiry_gaps: gaps,
      ended: l.ended,
      score,
      signals,
    },
  };
}

/** SC-081 maximum validities (days) and the dates they take effect. */
export const SC081 = [
  { days: 200, from: '2026-03-15' },
  { days: 100, from: '2027-03-15' },
  { days: 47, from: '2029-03-15' },
] as const;

export type Readiness = 'ready' | 'likely' | 'not_ready' | 'unknown';

/**
 * Would the observed renewal behaviour keep working if certificates lasted at most maxDays?
 * ready: every observed interval is already shorter than maxDays.
 * likely: automated and renewing at a fixed fraction of the lifetime, so it should follow shorter
 *   lifetimes (proven only when seen at two lifetimes; a fixed 60-day schedule looks the same on 90-day certificates).
 * not_ready: the observed cadence is longer than maxDays.
 * unknown: no uncensored renewal observed.
 */
export function readiness(l: Lineage, c: Classification, maxDays: number): Readiness {
  const intervals = l.renewals.filter((r) => !r.censored).map((r) => r.interval_days);
  if (intervals.length === 0) return 'unknown';
  const longest = Math.max(...intervals);
  if (longest < maxDays) return 'ready';
  if (c.lifetime_relative) return 'likely';
  return 'not_ready';
}
