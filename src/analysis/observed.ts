/**
 * What the analysis may conclude from the time ctjp observed. The certificates held are not the
 * whole truth: ctjp reads time windows of a catalogue of logs, and a worker may stop mid-range.
 * A renewal, an expiry gap or the end of a lineage is a claim about everything issued during a
 * stretch of time, so it is made only when that whole stretch lies inside one observed period
 * (src/share/coverage.ts); otherwise it is censored: counted as such, never as an interval, a gap
 * or an end. docs/analysis.md ("Coverage") gives the definitions and the reasons.
 */
import { type TimeSpan, isoSpan, periodHolding, unionSpans } from '../share/coverage.js';
import type { CoverageResponse } from '../share/api/types.js';
import { DAY_MS } from './model.js';

/**
 * `observed`: observed periods from the coverage ledger (or a --coverage file) are applied.
 * `assumed-complete`: no coverage is known (data from before the ledger, certificates inserted
 * directly): the whole span of the data is taken as observed, and the summary says so.
 */
export type CoverageMode = 'observed' | 'assumed-complete';

export interface Observation {
  mode: CoverageMode;
  /** Where the periods came from: `database`, `file:<path>`, `given` (in-memory callers) or `none`. */
  source: string;
  /** Observed periods, merged, in order ([start, end) ms). Empty with `assumed-complete`: the data span is used. */
  periods: TimeSpan[];
  /** The whole coverage answer the periods came from (the ledger, or a full coverage file): the completeness measures need each log's covered time. */
  report?: CoverageResponse | null;
}

/** No coverage known: the whole data span counts as observed (see Observation). */
export const ASSUMED_COMPLETE: Observation = { mode: 'assumed-complete', source: 'none', periods: [] };

export function observedPeriods(periods: readonly TimeSpan[], source = 'given'): Observation {
  return { mode: 'observed', source, periods: unionSpans(periods) };
}

/**
 * After a lineage's last certificate expires, how long the analysis waits for a renewal before
 * calling the lineage ended. Late manual renewals come days to weeks after expiry (certobserver's
 * "resumed within 30 days" bucket); a lineage renewed within this margin resumed, it did not end.
 */
export const END_MARGIN_MS = 30 * DAY_MS;

/** An issuance as the judge needs it: when it was issued and when it was first logged. */
export interface TimedIssuance {
  issuedAt: number;
  loggedAt: number;
  notAfter: number;
}

/**
 * The periods a judge works with. With `assumed-complete` it is the data span, which ends at
 * observationEnd (the last CT timestamp); its start is left open, since every issuance lies after
 * the data begins by definition.
 */
export function judgingPeriods(o: Observation, observationEnd: number): TimeSpan[] {
  return o.mode === 'observed' ? o.periods : [{ start: Number.MIN_SAFE_INTEGER, end: observationEnd + 1 }];
}

/**
 * Was everything between two successive issuances observed? The span runs from the earlier of the
 * first one's issuance and logging instants to the later of the second one's: a certificate issued
 * in between would have been logged in between.
 */
export function renewalObserved(periods: readonly TimeSpan[], prev: TimedIssuance, next: TimedIssuance): boolean {
  return periodHolding(periods, Math.min(prev.issuedAt, prev.loggedAt), Math.max(next.issuedAt, next.loggedAt)) !== null;
}

/**
 * Can the lineage be said to have ended after this, its last issuance? Only when everything from
 * that issuance to END_MARGIN_MS after its expiry was observed: a renewal issued before the expiry
 * in an unobserved stretch (the usual time to renew) would otherwise be mistaken for an end.
 */
export function endObserved(periods: readonly TimeSpan[], last: TimedIssuance): boolean {
  return periodHolding(periods, Math.min(last.issuedAt, last.loggedAt), last.notAfter + END_MARGIN_MS) !== null;
}

/** The observed periods clipped to [from, to], for the calendar's expected shares. */
export function clipSpans(periods: readonly TimeSpan[], from: number, to: number): TimeSpan[] {
  return periods.map((p) => ({ start: Math.max(p.start, from), end: Math.min(p.end, to) })).filter((p) => p.end > p.start);
}

/** The summary's account of the coverage applied. */
export function coverageSummary(o: Observation, dataSpan: TimeSpan | null) {
  const periods = o.mode === 'observed' ? o.periods : dataSpan ? [dataSpan] : [];
  const days = periods.reduce((n, p) => n + (p.end - p.start), 0) / DAY_MS;
  return {
    mode: o.mode,
    source: o.source,
    observed_days: Math.round(days * 1e4) / 1e4,
    end_margin_days: END_MARGIN_MS / DAY_MS,
    note:
      o.mode === 'observed'
        ? 'Renewal intervals, expiry gaps and ended lineages are counted only where the whole time they depend on lies inside one observed period; the rest are censored.'
        : 'No coverage record was found: the whole span of the data is assumed observed, so renewals or gaps in times ctjp did not read would be missed.',
    observed_periods: periods.map(isoSpan),
  };
}

export type CoverageSummary = ReturnType<typeof coverageSummary>;
