/**
 * Lineages: the successive issuances for the same names, and the renewal metrics between them.
 */
import type { TimeSpan } from '../share/coverage.js';
import { type JstTime, jstTime } from './calendar.js';
import { type AnalysisCertificate, DAY_MS, MINUTE_MS } from './model.js';
import { endObserved, renewalObserved } from './observed.js';

/** Issuances of one SAN set closer together than this are one issuance (re-issue, backup CA). */
export const REISSUE_WINDOW_MS = 10 * MINUTE_MS;
/** next.not_before later than prev.not_after by more than this is an expiry gap (not_after is inclusive). */
export const GAP_TOLERANCE_MS = 1000;

/** One issuance: a certificate, with the precertificate, duplicates and re-issues folded in. */
export interface Issuance {
  first: AnalysisCertificate;
  notBefore: number;
  notAfter: number;
  /** When it was issued, as well as we know: the earliest CT timestamp, else not_before. */
  issuedAt: number;
  /** False when only a not_before truncated to 00:00:00 UTC is known, so the time of day is not. */
  timeKnown: boolean;
  /** The earliest CT timestamp of its certificates (not_before when none was logged): what the coverage is judged on. */
  loggedAt: number;
  /** Certificates folded into this issuance besides the first (re-issues, precert/final pairs stored apart). */
  folded: number;
  /** issuedAt in JST, computed once (see issuanceJst). */
  jst?: JstTime;
}

export function issuanceJst(i: Issuance): JstTime {
  return (i.jst ??= jstTime(i.issuedAt));
}

export interface Renewal {
  interval_days: number;
  /** prev.not_after − next.not_before; negative = expiry gap. Also the days before expiry of the renewal. */
  overlap_days: number;
  gap_days: number;
  /** Renewal point as a fraction of the previous certificate's lifetime. */
  ratio: number;
  prev_lifetime_days: number;
  next_lifetime_days: number;
  /** The time between the two issuances was not wholly observed: neither an interval nor a gap (observed.ts). */
  censored: boolean;
}

export interface Lineage {
  key: string;
  names: readonly string[];
  issuances: Issuance[];
  renewals: Renewal[];
  /**
   * The lineage ended: its last certificate expired and no renewal came within END_MARGIN_MS, all of it
   * in observed time. False when that time was not wholly observed (censored, or still ahead).
   */
  ended: boolean;
}

/**
 * When a certificate was issued, as well as CT and the certificate tell. A precertificate is logged
 * seconds after signing, so its CT timestamp is the issuance time. A final certificate may be logged
 * hours or days later, so without a precertificate not_before is used, unless it is truncated to
 * 00:00:00 UTC (DigiCert and others), in which case the CT timestamp is the best there is.
 */
export function issuedAt(c: AnalysisCertificate): { at: number; known: boolean } {
  const truncated = c.notBefore % DAY_MS === 0;
  if (c.ctTimestamp !== null && (c.seenPrecert || truncated)) return { at: c.ctTimestamp, known: true };
  return { at: c.notBefore, known: !truncated };
}

function sameCertificate(a: AnalysisCertificate, b: AnalysisCertificate): boolean {
  return a.serialHex === b.serialHex && a.issuerDn === b.issuerDn;
}

/**
 * Folds the certificates of one lineage into issuances and measures the renewals; a renewal is
 * censored, and an end judged, against the observed periods (observed.ts judgingPeriods).
 * A later certificate that does not expire later than the current one is a re-issue, not a renewal
 * (the certobserver rule), and so is one issued within REISSUE_WINDOW_MS of it.
 */
export function buildLineage(key: string, names: readonly string[], certs: readonly AnalysisCertificate[], periods: readonly TimeSpan[]): Lineage {
  const sorted = [...certs].sort((a, b) => a.notBefore - b.notBefore || issuedAt(a).at - issuedAt(b).at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const issuances: Issuance[] = [];
  for (const c of sorted) {
    const t = issuedAt(c);
    const cur = issuances[issuances.length - 1];
    if (cur && (sameCertificate(cur.first, c) || c.notAfter <= cur.notAfter || Math.abs(t.at - cur.issuedAt) <= REISSUE_WINDOW_MS)) {
      cur.folded++;
      cur.loggedAt = Math.min(cur.loggedAt, c.ctTimestamp ?? c.notBefore);
      if (t.known && (!cur.timeKnown || t.at < cur.issuedAt) && sameCertificate(cur.first, c)) {
        cur.issuedAt = t.at;
        cur.timeKnown = true;
        cur.jst = undefined;
      }
      continue;
    }
    issuances.push({ first: c, notBefore: c.notBefore, notAfter: c.notAfter, issuedAt: t.at, timeKnown: t.known, loggedAt: c.ctTimestamp ?? c.notBefore, folded: 0 });
  }
  const renewals: Renewal[] = [];
  for (let i = 1; i < issuances.length; i++) {
    const r = measureRenewal(issuances[i - 1], issuances[i]);
    r.censored = !renewalObserved(periods, issuances[i - 1], issuances[i]);
    renewals.push(r);
  }
  const last = issuances[issuances.length - 1];
  return { key, names, issuances, renewals, ended: endObserved(periods, last) };
}

/** The measures of a renewal; `censored` is false until the caller judges it against the observed periods. */
export function measureRenewal(prev: { notBefore: number; notAfter: number }, next: { notBefore: number; notAfter: number }): Renewal {
  const lifetime = prev.notAfter - prev.notBefore;
  const interval = next.notBefore - prev.notBefore;
  const overlap = prev.notAfter - next.notBefore;
  return {
    interval_days: interval / DAY_MS,
    overlap_days: overlap / DAY_MS,
    gap_days: -overlap > GAP_TOLERANCE_MS ? -overlap / DAY_MS : 0,
    ratio: lifetime > 0 ? interval / lifetime : Number.NaN,
    prev_lifetime_days: lifetime / DAY_MS,
    next_lifetime_days: (next.notAfter - next.notBefore) / DAY_MS,
    censored: false,
  };
}

/** Groups certificates by exact SAN set. For in-memory use; the database reader streams groups instead. */
export function groupBySanSet(certs: Iterable<AnalysisCertificate>): Map<string, AnalysisCertificate[]> {
  const groups = new Map<string, AnalysisCertificate[]>();
  for (const c of certs) {
    const k = c.names.join(',');
    const g = groups.get(k);
    if (g) g.push(c);
    else groups.set(k, [c]);
  }
  return groups;
}

/** Groups certificates per name: every certificate containing a name is in that name's group. */
export function groupByName(certs: Iterable<AnalysisCertificate>): Map<string, AnalysisCertificate[]> {
  const groups = new Map<string, AnalysisCertificate[]>();
  for (const c of certs) {
    for (const n of c.names) {
      const g = groups.get(n);
      if (g) g.push(c);
      else groups.set(n, [c]);
    }
  }
  return groups;
}
