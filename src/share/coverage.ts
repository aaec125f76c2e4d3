/**
 * What ctjp has looked at: per log the scanned index stretches with the CT
 * timestamps of their first and last entries, the time each log covers, and
 * the observed periods — the times in which every log that could hold a
 * certificate issued then was scanned. The manager serves this
 * (`GET /api/v1/coverage`), the export writes it beside the NDJSON, and the
 * analysis counts a renewal, a gap or an end only inside one observed period.
 *
 * Why the slack: a log orders its entries by when it integrated them, and an
 * entry's timestamp (its SCT's) may precede that by up to the log's maximum
 * merge delay (MMD). In a contiguous scanned stretch whose first and last
 * entries carry timestamps Ta and Tb, every entry stamped in [Ta + MMD,
 * Tb − MMD] lies inside the stretch; entries stamped nearer its ends may lie
 * outside it. So that is the time the stretch covers.
 *
 * Why "could hold": a certificate issued at t expires before t + maxValidity(t)
 * (SC-081 schedule, window.ts), so it can only be logged in shards whose
 * temporal interval meets [t, t + maxValidity(t)); a log without an interval
 * could hold anything. A time counts as observed when at least one log could
 * hold its certificates and every such log covers it; a shut-down log nobody
 * read covers nothing.
 */
import { maxValidityDays, VALIDITY_SCHEDULE } from './logs/window.js';

const DAY_MS = 86_400_000;
/** RFC 6962 logs promise 24 hours; most static-ct-api logs integrate within seconds, but none promises less in the lists ctjp reads. */
export const DEFAULT_MMD_MS = DAY_MS;

/** A span of time in ms since the epoch, [start, end). */
export interface TimeSpan {
  start: number;
  end: number;
}

/** A scanned stretch of a log: indexes [start, end] (inclusive) and the CT timestamps of its first and last entries. */
export interface CoverageStretch {
  start: number;
  end: number;
  /** null when the worker that scanned it did not report it (an older worker): such a stretch covers no time. */
  firstTimestamp: number | null;
  lastTimestamp: number | null;
  /** Proven against a signed tree head (the lease's verdict was `verified`, or a tiled log, whose tiles are proven as read). */
  proven: boolean;
}

export interface CoverageLogInput {
  name: string;
  /** The log takes certificates expiring in [start, end); null: any. */
  temporalInterval: { start: Date; end: Date } | null;
  /** Maximum merge delay (default DEFAULT_MMD_MS). */
  mmdMs?: number;
  stretches: readonly CoverageStretch[];
}

/**
 * Stretches merged where their index ranges touch or overlap: the time span of a merged stretch
 * runs from its earliest to its latest reported timestamp (null when a part has none, since its
 * time is then unknown), and it is proven only when every part is.
 */
export function mergeStretches(stretches: readonly CoverageStretch[]): CoverageStretch[] {
  const sorted = [...stretches].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: CoverageStretch[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s.start <= last.end + 1) {
      last.end = Math.max(last.end, s.end);
      last.firstTimestamp = last.firstTimestamp === null || s.firstTimestamp === null ? null : Math.min(last.firstTimestamp, s.firstTimestamp);
      last.lastTimestamp = last.lastTimestamp === null || s.lastTimestamp === null ? null : Math.max(last.lastTimestamp, s.lastTimestamp);
      last.proven &&= s.proven;
    } else {
      out.push({ ...s });
    }
  }
  return out;
}

/** Spans merged where they touch or overlap, in order. */
export function unionSpans(spans: readonly TimeSpan[]): TimeSpan[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
  const out: TimeSpan[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/** The times a log covers: each merged stretch's [first + MMD, last − MMD], where not empty. */
export function coveredTime(log: CoverageLogInput): TimeSpan[] {
  const mmd = log.mmdMs ?? DEFAULT_MMD_MS;
  const spans: TimeSpan[] = [];
  for (const s of mergeStretches(log.stretches)) {
    if (s.firstTimestamp === null || s.lastTimestamp === null) continue;
    // Inclusive bounds in ms: [first + mmd, last − mmd] is [first + mmd, last − mmd + 1).
    spans.push({ start: s.firstTimestamp + mmd, end: s.lastTimestamp - mmd + 1 });
  }
  return unionSpans(spans);
}

/** Can a log with this temporal interval hold a certificate issued at t? (notAfter in [t, t + maxValidity(t))) */
export function canHoldIssuedAt(interval: { start: Date; end: Date } | null, t: number): boolean {
  if (interval === null) return true;
  const latest = t + maxValidityDays(new Date(t)) * DAY_MS;
  return interval.start.getTime() < latest && interval.end.getTime() > t;
}

/** Does one of these spans (sorted, disjoint) hold the instant t? */
export function spansContain(spans: readonly TimeSpan[], t: number): boolean {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t < spans[mid].start) hi = mid - 1;
    else if (t >= spans[mid].end) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * The observed periods: the times at which at least one log could hold the certificates issued
 * then and every such log covers that time. Exact: between two consecutive breakpoints (the ends
 * of every covered span, the instants where a log starts or stops being able to hold what is
 * issued, and the steps of the validity schedule) nothing changes, so each piece is judged once.
 */
export function observedPeriods(logs: readonly CoverageLogInput[]): TimeSpan[] {
  const covered = logs.map((l) => coveredTime(l));
  const all = covered.flat();
  if (all.length === 0) return [];
  const from = Math.min(...all.map((s) => s.start));
  const to = Math.max(...all.map((s) => s.end));
  const points = new Set<number>([from, to]);
  for (const spans of covered) for (const s of spans) points.add(s.start).add(s.end);
  for (const step of VALIDITY_SCHEDULE) if (Number.isFinite(step.issuedFrom)) points.add(step.issuedFrom);
  for (const l of logs) {
    if (l.temporalInterval === null) continue;
    // The first instants at which "could hold" changes: t < end stops at end; t + days > start begins 1 ms after start − days.
    points.add(l.temporalInterval.end.getTime());
    for (const step of VALIDITY_SCHEDULE) points.add(l.temporalInterval.start.getTime() - step.days * DAY_MS + 1);
  }
  const cuts = [...points].filter((p) => p >= from && p <= to).sort((a, b) => a - b);
  const observed: TimeSpan[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const start = cuts[i];
    const end = cuts[i + 1];
    // Every cut is the first instant of a change, so every predicate is constant on [start, end): judge it at start.
    let holders = 0;
    let seen = true;
    for (let k = 0; k < logs.length && seen; k++) {
      if (!canHoldIssuedAt(logs[k].temporalInterval, start)) continue;
      holders++;
      seen = spansContain(covered[k], start);
    }
    if (seen && holders > 0) observed.push({ start, end });
  }
  return unionSpans(observed);
}

/** The observed period holding all of [from, to] (inclusive instants), or null when none does. */
export function periodHolding(periods: readonly TimeSpan[], from: number, to: number): TimeSpan | null {
  if (to < from) return null;
  let lo = 0;
  let hi = periods.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const p = periods[mid];
    if (from < p.start) hi = mid - 1;
    else if (from >= p.end) lo = mid + 1;
    else return to < p.end ? p : null;
  }
  return null;
}

/** ISO form of a span, as the API and the files write it. */
export function isoSpan(s: TimeSpan): { start: string; end: string } {
  return { start: new Date(s.start).toISOString(), end: new Date(s.end).toISOString() };
}

/** A span read back from its ISO form; throws naming `where` when it is not one. */
export function parseIsoSpan(value: unknown, where: string): TimeSpan {
  const v = value as { start?: unknown; end?: unknown } | null;
  const start = typeof v?.start === 'string' ? Date.parse(v.start) : NaN;
  const end = typeof v?.end === 'string' ? Date.parse(v.end) : NaN;
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) throw new Error(`${where}: expected { "start": ISO time, "end": ISO time } with start before end`);
  return { start, end };
}
