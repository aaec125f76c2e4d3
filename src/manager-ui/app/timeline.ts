// Layout of the coverage timeline (components/CoverageTimeline.tsx): the time axis shared by every
// log's row and the observed band, where each span sits on it, and how instants read. Pure, so the
// tests can run it in Node.
import type { CoverageResponse } from '../../share/api/index.js';

export interface Domain {
  start: number;
  end: number;
}

/** From the earliest to the latest instant any log covers or any period is observed; null when nothing is covered yet. */
export function timelineDomain(c: CoverageResponse): Domain | null {
  const spans = [...c.logs.flatMap((l) => l.covered), ...c.observed_periods];
  if (spans.length === 0) return null;
  const start = Math.min(...spans.map((s) => Date.parse(s.start)));
  const end = Math.max(...spans.map((s) => Date.parse(s.end)));
  return end > start ? { start, end } : { start, end: start + 1 };
}

/** Where a span [start, end) sits on the axis, in percent of its width. */
export function place(span: { start: string; end: string }, d: Domain): { left: number; width: number } {
  const total = d.end - d.start;
  const a = Math.max(d.start, Date.parse(span.start));
  const b = Math.min(d.end, Date.parse(span.end));
  return { left: ((a - d.start) / total) * 100, width: (Math.max(0, b - a) / total) * 100 };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** An instant as the timeline writes it: UTC, to the minute (CT timestamps are UTC). */
export function formatInstant(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** A span [start, end) as "first instant – last instant UTC" (the end is exclusive: its last instant is 1 ms before). */
export function formatSpan(span: { start: string; end: string }): string {
  return `${formatInstant(Date.parse(span.start))} – ${formatInstant(Date.parse(span.end) - 1)} UTC`;
}

/** A few evenly spaced dates along the axis, for its labels. */
export function axisTicks(d: Domain, count = 5): { at: number; label: string }[] {
  return Array.from({ length: count }, (_, i) => {
    const t = d.start + ((d.end - d.start) * i) / (count - 1);
    return { at: ((t - d.start) / (d.end - d.start)) * 100, label: formatInstant(t).slice(0, 10) };
  });
}
