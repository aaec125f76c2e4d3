/**
 * Which temporal shards can hold the certificates issued in a date window.
 *
 * A shard takes only certificates whose notAfter falls in its temporal interval
 * [start_inclusive, end_exclusive). A certificate issued at t has notAfter in
 * [t, t + maxValidity(t)), where maxValidity follows the CA/Browser Forum Baseline Requirements
 * §6.3.2 as amended by ballot SC-081v3: 398 days for certificates issued before
 * 2026-03-15, 200 days from 2026-03-15, 100 days from 2027-03-15, 47 days from 2029-03-15. The
 * validity counts notBefore through notAfter inclusive, so notAfter − notBefore + 1 s ≤ the
 * maximum: notAfter stays strictly below t + maxValidity(t).
 */

const DAY_MS = 86_400_000;

/** Maximum validity by issuance date: from `issuedFrom` (inclusive, UTC) on, at most `days`. */
export const VALIDITY_SCHEDULE: readonly { issuedFrom: number; days: number }[] = [
  { issuedFrom: -Infinity, days: 398 },
  { issuedFrom: Date.UTC(2026, 2, 15), days: 200 },
  { issuedFrom: Date.UTC(2027, 2, 15), days: 100 },
  { issuedFrom: Date.UTC(2029, 2, 15), days: 47 },
];

/** The longest validity (in days) a certificate issued at this instant may have. */
export function maxValidityDays(issued: Date): number {
  let days = VALIDITY_SCHEDULE[0].days;
  for (const step of VALIDITY_SCHEDULE) if (issued.getTime() >= step.issuedFrom) days = step.days;
  return days;
}

/** A window of issuance instants [from, until): `until` is the first instant after the last day. */
export interface IssuanceWindow {
  from: Date;
  until: Date;
}

/**
 * The notAfter values certificates issued in the window can have, as [start, end): from the
 * window's first instant to the latest issuance instant plus its maximum validity. Where the
 * window spans a step of the schedule, the end is the latest of each part's own bound (a
 * certificate issued just before 2026-03-15 may outlive one issued later).
 */
export function notAfterSpan(window: IssuanceWindow): { start: Date; end: Date } {
  const from = window.from.getTime();
  const until = window.until.getTime();
  let end = from;
  VALIDITY_SCHEDULE.forEach((step, i) => {
    const stepEnd = VALIDITY_SCHEDULE[i + 1]?.issuedFrom ?? Infinity;
    const partStart = Math.max(from, step.issuedFrom);
    const partEnd = Math.min(until, stepEnd);
    // Issued at t < partEnd, so notAfter < t + days <= partEnd + days.
    if (partStart < partEnd) end = Math.max(end, partEnd + step.days * DAY_MS);
  });
  return { start: new Date(from), end: new Date(end) };
}

/** Does a shard with this temporal interval take some certificate issued in the window? Logs without an interval always may. */
export function canHoldWindow(interval: { start: Date; end: Date } | null, window: IssuanceWindow): boolean {
  if (!interval) return true;
  const span = notAfterSpan(window);
  return interval.start.getTime() < span.end.getTime() && interval.end.getTime() > span.start.getTime();
}

/** The logs whose temporal interval can hold certificates issued in the window (and every log without one), in their order. */
export function logsForWindow<T extends { temporalInterval: { start: Date; end: Date } | null }>(logs: readonly T[], window: IssuanceWindow): T[] {
  return logs.filter((l) => canHoldWindow(l.temporalInterval, window));
}
