/**
 * The ground truth of the corpus: renewal lineages of `.jp` sites and the
 * CT submissions of each issuance, decided before any certificate is written.
 *
 * Classes:
 * - automated90: 90-day certificates renewed about 60 days after issuance, any day and hour (ACME);
 * - automated47: 47-day certificates renewed about 31 days after issuance;
 * - manual: yearly certificates (at most 200 days from 2026-03-15, ballot SC-081) renewed
 *   7–45 days before expiry on a business day during office hours, JST;
 * - lapsed: the next certificate is issued only after the previous one expired (known gap).
 */
import type { Level } from './cas.js';
import { DAY_MS, isBusinessDay, jstMidnight } from './jst.js';
import { NameSource, ORG_TYPES, siteNames, type JpSubject } from './names.js';
import type { Rng } from './rng.js';

/** Leaf timestamps of the generated corpus fall in [WINDOW_START, WINDOW_END). */
export const WINDOW_START = Date.UTC(2025, 0, 1);
export const WINDOW_END = Date.UTC(2026, 9, 31);
/** Ballot SC-081: maximum validity 200 days for certificates issued from this instant. */
const SC081_200_DAYS = Date.UTC(2026, 2, 15);
const HOUR_MS = 3600_000;

export type LineageClass = 'automated90' | 'automated47' | 'manual' | 'lapsed';
export const LINEAGE_CLASSES: readonly LineageClass[] = ['automated90', 'automated47', 'manual', 'lapsed'];

export interface PlannedIssuance {
  notBefore: number;
  notAfter: number;
  /** When the CA signed it; notBefore is backdated an hour by ACME CAs. */
  issuedAt: number;
}

export interface PlannedLineage {
  id: string;
  cls: LineageClass;
  style: 'automated' | 'manual';
  subject: JpSubject;
  names: string[];
  wildcard: boolean;
  issuerId: string;
  level: Level;
  keyType: 'RSA' | 'EC';
  /** Manual renewals often keep the key; automated clients make a new one. */
  reuseKey: boolean;
  issuances: PlannedIssuance[];
}

export interface Submission {
  log: number;
  entryType: 'precert_entry' | 'x509_entry';
  timestamp: number;
}

export interface IssuanceSubmissions {
  precert: Submission[];
  final: Submission[];
}

/** A business-day instant between 09:00 and 18:00 JST on or after the JST day of `ms`. */
function officeTime(rng: Rng, ms: number, forward = true): number {
  let day = jstMidnight(ms);
  while (!isBusinessDay(day + 12 * HOUR_MS)) day += forward ? DAY_MS : -DAY_MS;
  return day + 9 * HOUR_MS + rng.int(9 * HOUR_MS);
}

const anyTime = (rng: Rng, from: number, spanMs: number): number => from + rng.int(spanMs);

function manualValidityDays(rng: Rng, notBefore: number): number {
  return notBefore < SC081_200_DAYS ? 365 + rng.int(31) : 180 + rng.int(20);
}

const ACME_ISSUERS = ['le-r11', 'le-e6'];
const ACME47_ISSUERS = ['le-r11', 'le-e6', 'gs-dv', 'dc-rsa', 'dc-ecc'];
const MANUAL_ISSUERS: Record<Exclude<Level, 'IV'>, string[]> = {
  DV: ['jprs-dv', 'gs-dv', 'dc-rsa'],
  OV: ['jprs-ov', 'secom-ov', 'gs-ov', 'dc-rsa', 'dc-ecc', 'ctj-ov'],
  EV: ['secom-ev', 'gs-ev', 'dc-ev', 'ctj-ev'],
};
const EC_ISSUERS = new Set(['le-e6', 'dc-ecc']);

function manualLevel(rng: Rng, subject: JpSubject, forced?: Exclude<Level, 'IV'>): Exclude<Level, 'IV'> {
  if (forced) return forced;
  if (subject.government) return rng.weighted([['DV', 2], ['OV', 6], ['EV', 2]] as const);
  if (subject.orgType === 'co') return rng.weighted([['DV', 3], ['OV', 5], ['EV', 2]] as const);
  return rng.weighted([['DV', 5], ['OV', 4.5], ['EV', 0.5]] as const);
}

function schedule(rng: Rng, cls: LineageClass, style: 'automated' | 'manual', acme: boolean): PlannedIssuance[] {
  const out: PlannedIssuance[] = [];
  const lastIssue = WINDOW_END - 4 * DAY_MS;
  const make = (issuedAt: number, validityDays: number): PlannedIssuance => {
    const notBefore = Math.floor((acme ? issuedAt - HOUR_MS : issuedAt) / 1000) * 1000;
    return { issuedAt, notBefore, notAfter: notBefore + validityDays * DAY_MS - 1000 };
  };
  let issuedAt: number;
  if (cls === 'automated90') issuedAt = anyTime(rng, WINDOW_START + HOUR_MS * 2, 60 * DAY_MS);
  else if (cls === 'automated47') issuedAt = anyTime(rng, WINDOW_START + HOUR_MS * 2, 365 * DAY_MS);
  else if (style === 'automated') issuedAt = anyTime(rng, WINDOW_START + HOUR_MS * 2, 90 * DAY_MS);
  else issuedAt = officeTime(rng, WINDOW_START + rng.int(150) * DAY_MS);
  for (;;) {
    const validity = cls === 'automated47' ? 47 : style === 'automated' ? 90 : manualValidityDays(rng, issuedAt);
    const cert = make(issuedAt, validity);
    out.push(cert);
    let next: number;
    if (cls === 'automated90') next = issuedAt + 60 * DAY_MS + rng.int(3 * DAY_MS) - 1.5 * DAY_MS;
    else if (cls === 'automated47') next = issuedAt + 31 * DAY_MS + rng.int(2 * DAY_MS) - DAY_MS;
    else if (cls === 'manual') {
      next = officeTime(rng, cert.notAfter - (7 + rng.int(39)) * DAY_MS, false);
    } else if (style === 'automated') next = cert.notAfter + HOUR_MS + rng.int(30 * DAY_MS);
    else next = officeTime(rng, cert.notAfter + (1 + rng.int(60)) * DAY_MS);
    if (next > lastIssue) break;
    issuedAt = Math.round(next);
  }
  return out;
}

export interface Plan {
  lineages: PlannedLineage[];
  submissions: IssuanceSubmissions[][];
}

/** Average issuances per lineage in the window (measured on generated plans), to size the plan. */
const ISSUANCES_PER_LINEAGE = 6;
const MIN_PER_CLASS = 3;

export function planLineages(rng: Rng, names: NameSource, totalEntries: number, logCount: number, jpShare: number): Plan {
  const entriesPerLineage = ISSUANCES_PER_LINEAGE * (Math.min(logCount, 2.4) + 0.35);
  const count = Math.max(MIN_PER_CLASS * LINEAGE_CLASSES.length, ORG_TYPES.length, Math.round((totalEntries * jpShare) / entriesPerLineage));
  const lineages: PlannedLineage[] = [];
  for (let i = 0; i < count; i++) {
    const cls: LineageClass = i < MIN_PER_CLASS * LINEAGE_CLASSES.length ? LINEAGE_CLASSES[i % LINEAGE_CLASSES.length] : rng.weighted([['automated90', 40], ['automated47', 12], ['manual', 33], ['lapsed', 15]] as const);
    const orgType = i < ORG_TYPES.length ? ORG_TYPES[i] : names.orgType();
    const subject = names.jp(orgType);
    const style: 'automated' | 'manual' = cls === 'automated90' || cls === 'automated47' ? 'automated' : cls === 'manual' ? 'manual' : rng.chance(0.5) ? 'automated' : 'manual';
    let issuerId: string;
    let level: Level;
    if (cls === 'automated47') {
      issuerId = rng.pick(ACME47_ISSUERS);
      level = 'DV';
    } else if (style === 'automated') {
      issuerId = rng.pick(ACME_ISSUERS);
      level = 'DV';
    } else {
      // The first manual lineages cover every validation level, whatever the corpus size.
      const forced = cls === 'manual' && i < MIN_PER_CLASS * LINEAGE_CLASSES.length ? (['OV', 'EV', 'DV'] as const)[Math.floor(i / LINEAGE_CLASSES.length) % 3] : undefined;
      level = manualLevel(rng, subject, forced);
      issuerId = rng.pick(MANUAL_ISSUERS[level]);
    }
    const keyType: 'RSA' | 'EC' = EC_ISSUERS.has(issuerId) ? 'EC' : issuerId === 'le-r11' ? 'RSA' : rng.chance(0.8) ? 'RSA' : 'EC';
    const wildcard = level !== 'EV' && rng.chance(0.15);
    const acme = ACME_ISSUERS.includes(issuerId) || (cls === 'automated47' && issuerId.startsWith('le-'));
    lineages.push({
      id: `L${String(i).padStart(5, '0')}`,
      cls,
      style,
      subject,
      names: siteNames(rng, subject.domain, wildcard),
      wildcard,
      issuerId,
      level,
      keyType,
      reuseKey: style === 'manual' && rng.chance(0.4),
      issuances: schedule(rng, cls, style, acme),
    });
  }
  const submissions = lineages.map((l, li) => l.issuances.map((iss, ii) => planSubmissions(rng, iss, logCount, li === 0 && ii === 0)));
  return { lineages, submissions };
}

/**
 * Where an issuance is logged: usually a precertificate in 2–3 logs and
 * sometimes the final certificate too; a few final certificates only.
 * `showcase` forces a precertificate and its final certificate both in two logs.
 */
export function planSubmissions(rng: Rng, iss: PlannedIssuance, logCount: number, showcase: boolean): IssuanceSubmissions {
  const logs = Array.from({ length: logCount }, (_, i) => i);
  const clamp = (t: number): number => Math.min(t, WINDOW_END - 1000 - rng.int(60_000));
  const hasPrecert = showcase || rng.chance(0.92);
  const precert: Submission[] = [];
  const final: Submission[] = [];
  if (hasPrecert) {
    const k = Math.min(logCount, showcase ? 2 : rng.chance(0.6) ? 2 : 3);
    for (const log of rng.sample(logs, k)) precert.push({ log, entryType: 'precert_entry', timestamp: clamp(iss.issuedAt + 200 + rng.int(2800)) });
  }
  const finalCount = showcase ? Math.min(2, logCount) : hasPrecert ? (rng.chance(0.25) ? 1 : rng.chance(0.05) ? 2 : 0) : rng.chance(0.7) ? 1 : 2;
  for (const log of rng.sample(logs, Math.min(finalCount, logCount))) {
    const delay = hasPrecert ? 30_000 + rng.int(3 * DAY_MS) : HOUR_MS + rng.int(10 * DAY_MS);
    final.push({ log, entryType: 'x509_entry', timestamp: clamp(iss.issuedAt + delay) });
  }
  return { precert, final };
}
