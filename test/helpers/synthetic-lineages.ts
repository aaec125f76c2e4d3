/**
 * Synthetic renewal lineages of known ground truth, for tests and the benchmark.
 * Every lineage is generated from a named behaviour; the generator records what it did
 * (class, expiry gaps) so the analysis can be checked against it.
 */
import type { AnalysisCertificate, ValidationLevel } from '../../src/analysis/model.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MIN = 60_000;
const JST = 9 * HOUR;

export type Behaviour =
  | 'certbot-90' // ACME-only CA, 90-day, 2/3 rule, random time of day
  | 'certbot-47' // ACME-only CA, 47-day, 2/3 rule
  | 'acmesh-cron' // commercial ACME CA, 90-day, 60-day interval, fixed cron minute
  | 'acme-fixed60-on-47' // ACME-only CA, 47-day certificates on a fixed 60-day schedule: automated, lapses
  | 'manual-yearly' // OV from a commercial CA, ~yearly, weekday office hours JST, midnight-UTC not_before
  | 'manual-reseller-1st' // reseller: valid from the 1st of the expiry month, one year, office hours
  | 'manual-lapsed' // yearly manual renewals with expiry gaps
  | 'single' // one certificate: undetermined
  | 'manual-late-weekend' // yearly, renewed late in the lifetime by hand, once on a Saturday (issue #15's miss)
  | 'manual-after-expiry' // yearly by hand: one renewal after expiry, one issuance in the evening
  | 'commercial-acme-90' // an ACME client on a CA that also sells by hand: 90-day, 2/3 rule, random time
  | 'acme-fixed50-on-47'; // ACME-only CA, 47-day certificates renewed every 50 days: short lapses (windowed tests)

/**
 * The habits behind the behaviours, so that a classifier can be tuned on one set and validated on
 * another with different lifetimes, renewal points, working hours, weekend habits and lapse rates.
 * The defaults are the parameters the generator always had (same random stream for the same seed).
 */
export interface LineageParams {
  /** Office issuance: from this hour (JST) for officeSpanHours. */
  officeStartHour: number;
  officeSpanHours: number;
  /** Manual lifetimes (days) and how many days before expiry a manual renewal comes [min, max]. */
  manualLifetimeDays: number;
  manualRenewBeforeDays: [number, number];
  /** Days after expiry a lapsed renewal comes [min, max]; lapse rate of manual-lapsed renewals (null: every other one). */
  lapseDays: [number, number];
  lapseRate: number | null;
  /** Renewal point of the ACME timers (fraction of lifetime) and the lifetime of commercial-acme-90. */
  acmeRatio: number;
  commercialAcmeLifetimeDays: number;
}

export const DEFAULT_PARAMS: LineageParams = {
  officeStartHour: 9.5,
  officeSpanHours: 8,
  manualLifetimeDays: 396,
  manualRenewBeforeDays: [5, 40],
  lapseDays: [3, 40],
  lapseRate: null,
  acmeRatio: 2 / 3,
  commercialAcmeLifetimeDays: 90,
};

export interface GroundTruth {
  names: string[];
  behaviour: Behaviour;
  truth: 'automated' | 'manual' | 'undetermined';
  gapLengthsMs: number[];
  certs: AnalysisCertificate[];
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ORG_SUFFIXES = ['co.jp', 'go.jp', 'ac.jp', 'or.jp', 'ne.jp', 'ed.jp', 'gr.jp', 'jp', 'tokyo.jp', 'lg.jp', 'city.fuchu.tokyo.jp'];

let serial = 1;

function cert(
  id: string, names: string[], nb: number, na: number, ct: number | null, org: string, level: ValidationLevel,
): AnalysisCertificate {
  const s = (serial++).toString(16);
  return {
    id, names, notBefore: nb, notAfter: na, ctTimestamp: ct, issuerOrg: org, issuerCn: `${org} CA`,
    issuerDn: `CN=${org} CA,O=${org},C=JP`, serialHex: s, validationLevel: level, seenPrecert: true, seenFinal: ct !== null,
  };
}

/** The last JST business day (Mon–Fri) on or before the given JST midnight, ignoring holidays. */
function businessDayOnOrBefore(jstMidnightUtc: number): number {
  let t = jstMidnightUtc;
  for (;;) {
    const wd = new Date(t + JST).getUTCDay();
    if (wd !== 0 && wd !== 6) return t;
    t -= DAY;
  }
}

/** A time on a weekday in office hours JST (09:30–17:30 by default), on or before `t`'s JST day. */
function officeHours(t: number, rnd: () => number, p: LineageParams = DEFAULT_PARAMS): number {
  const midnight = Math.floor((t + JST) / DAY) * DAY - JST;
  const d = businessDayOnOrBefore(midnight);
  return d + p.officeStartHour * HOUR + Math.floor(rnd() * p.officeSpanHours * 60) * MIN;
}

/** A daytime hour on the Saturday on or before `t`'s JST day (someone renewing from home). */
function saturday(t: number, rnd: () => number): number {
  let d = Math.floor((t + JST) / DAY) * DAY - JST;
  while (new Date(d + JST).getUTCDay() !== 6) d -= DAY;
  return d + 10 * HOUR + Math.floor(rnd() * 6 * 60) * MIN;
}

const between = (rnd: () => number, [lo, hi]: [number, number]): number => lo + Math.floor(rnd() * (hi - lo + 1));

export interface GenerateOptions {
  seed: number;
  perBehaviour: Partial<Record<Behaviour, number>>;
  start?: number; // first issuance, ms
  end?: number; // no issuance after this
  idOffset?: number; // first lineage number, so that separate calls make distinct names
  params?: Partial<LineageParams>;
}

export function generateLineages(opts: GenerateOptions): GroundTruth[] {
  const rnd = mulberry32(opts.seed);
  const start = opts.start ?? Date.UTC(2022, 0, 10);
  const end = opts.end ?? Date.UTC(2026, 9, 31);
  const p = { ...DEFAULT_PARAMS, ...opts.params };
  const out: GroundTruth[] = [];
  let n = opts.idOffset ?? 0;
  for (const [behaviour, count] of Object.entries(opts.perBehaviour) as [Behaviour, number][]) {
    for (let k = 0; k < count; k++) {
      const id = n++;
      const suffix = ORG_SUFFIXES[id % ORG_SUFFIXES.length];
      const base = suffix === 'lg.jp' ? `city.town${id}.lg.jp` : `org${id}.${suffix}`;
      const names = id % 3 === 0 ? [base, `www.${base}`].sort() : [`www.${base}`];
      out.push(generateOne(behaviour, names, `${behaviour}-${id}`, rnd, start + Math.floor(rnd() * 60 * DAY), end, p));
    }
  }
  return out;
}

function generateOne(b: Behaviour, names: string[], id: string, rnd: () => number, t0: number, end: number, p: LineageParams): GroundTruth {
  const certs: AnalysisCertificate[] = [];
  const gaps: number[] = [];
  let i = 0;
  const push = (nb: number, na: number, ct: number | null, org: string, level: ValidationLevel) => certs.push(cert(`${id}-${i++}`, names, nb, na, ct, org, level));
  switch (b) {
    case 'certbot-90':
    case 'certbot-47': {
      const life = b === 'certbot-90' ? 90 * DAY : 47 * DAY;
      let t = t0 + Math.floor(rnd() * DAY);
      while (t < end) {
        push(t - HOUR, t - HOUR + life, t + 5000, "Let's Encrypt", 'DV');
        // the timer fires twice a day at random: renewal lands at 2/3 of the lifetime plus up to 12 h
        t = t - HOUR + life * p.acmeRatio + Math.floor(rnd() * 12 * HOUR) + HOUR;
      }
      return { names, behaviour: b, truth: 'automated', gapLengthsMs: gaps, certs };
    }
    case 'acmesh-cron': {
      const minute = Math.floor(rnd() * 1440) * MIN;
      let day = Math.floor(t0 / DAY) * DAY;
      while (day + minute < end) {
        const t = day + minute + Math.floor(rnd() * 90) * 1000;
        push(t, t + 90 * DAY, t + 3000, 'ZeroSSL', 'DV');
        day += 60 * DAY;
      }
      return { names, behaviour: b, truth: 'automated', gapLengthsMs: gaps, certs };
    }
    case 'acme-fixed60-on-47':
    case 'acme-fixed50-on-47': {
      const every = b === 'acme-fixed60-on-47' ? 60 * DAY : 50 * DAY;
      let t = t0;
      let prevNa: number | null = null;
      while (t < end) {
        const nb = t - HOUR;
        if (prevNa !== null && nb - prevNa > 1000) gaps.push(nb - prevNa);
        push(nb, nb + 47 * DAY - 1000, t + 4000, "Let's Encrypt", 'DV');
        prevNa = nb + 47 * DAY - 1000;
        t += every + Math.floor(rnd() * 120) * 1000;
      }
      return { names, behaviour: b, truth: 'automated', gapLengthsMs: gaps, certs };
    }
    case 'manual-yearly':
    case 'manual-lapsed': {
      const org = rnd() < 0.5 ? 'DigiCert Inc' : 'SECOM Trust Systems CO.,LTD.';
      let ct = officeHours(t0, rnd, p);
      let prevNa: number | null = null;
      let renewalNo = 0;
      while (ct < end) {
        const nb = Math.floor(ct / DAY) * DAY; // midnight UTC, as DigiCert does
        const na = nb + p.manualLifetimeDays * DAY - 1000;
        if (prevNa !== null && nb - prevNa > 1000) gaps.push(nb - prevNa);
        push(nb, na, ct, org, 'OV');
        prevNa = na;
        renewalNo++;
        const lapses = b === 'manual-lapsed' && (p.lapseRate === null ? renewalNo % 2 === 1 : rnd() < p.lapseRate);
        if (lapses) {
          // forgotten: renewed days to weeks after expiry, on a weekday
          ct = officeHours(na + between(rnd, p.lapseDays) * DAY, rnd, p);
          if (Math.floor(ct / DAY) * DAY <= na) ct += 3 * DAY;
        } else {
          // renewed days to weeks before expiry
          ct = officeHours(na - between(rnd, p.manualRenewBeforeDays) * DAY, rnd, p);
        }
      }
      return { names, behaviour: b, truth: 'manual', gapLengthsMs: gaps, certs };
    }
    case 'manual-reseller-1st': {
      const d0 = new Date(t0 + JST);
      let y = d0.getUTCFullYear();
      const m = d0.getUTCMonth();
      for (;;) {
        const nb = Date.UTC(y, m, 1) - JST; // 00:00 JST on the 1st
        if (nb >= end) break;
        const ct = officeHours(nb - DAY, rnd) + 0; // the last business day before the 1st
        push(nb, Date.UTC(y + 1, m, 1) - JST + 14 * DAY - 1000, ct, 'Japan Registry Services Co., Ltd.', 'OV');
        y++;
      }
      return { names, behaviour: b, truth: 'manual', gapLengthsMs: gaps, certs };
    }
    case 'manual-late-weekend':
    case 'manual-after-expiry': {
      // Yearly by hand, late in the lifetime. manual-late-weekend: one issuance (not the first) on a
      // Saturday. manual-after-expiry: the first renewal comes after expiry, and one issuance in the evening.
      const org = rnd() < 0.5 ? 'GlobalSign nv-sa' : 'Cybertrust Japan Co., Ltd.';
      let ct = officeHours(t0, rnd, p);
      let prevNa: number | null = null;
      let k = 0;
      const odd = 1 + Math.floor(rnd() * 2);
      while (ct < end) {
        if (k === odd) ct = b === 'manual-late-weekend' ? saturday(ct, rnd) : Math.floor((ct + JST) / DAY) * DAY - JST + 21.5 * HOUR;
        const nb = Math.floor(ct / DAY) * DAY;
        const na = nb + p.manualLifetimeDays * DAY - 1000;
        if (prevNa !== null && nb - prevNa > 1000) gaps.push(nb - prevNa);
        push(nb, na, ct, org, 'OV');
        prevNa = na;
        k++;
        if (b === 'manual-after-expiry' && k === 1) {
          ct = officeHours(na + between(rnd, p.lapseDays) * DAY, rnd, p);
          if (Math.floor(ct / DAY) * DAY <= na) ct += 3 * DAY;
        } else ct = officeHours(na - between(rnd, [1, 12]) * DAY, rnd, p);
      }
      return { names, behaviour: b, truth: 'manual', gapLengthsMs: gaps, certs };
    }
    case 'commercial-acme-90': {
      const life = p.commercialAcmeLifetimeDays * DAY;
      const org = rnd() < 0.5 ? 'Japan Registry Services Co., Ltd.' : 'SECOM Trust Systems CO.,LTD.';
      let t = t0 + Math.floor(rnd() * DAY);
      while (t < end) {
        push(t - HOUR, t - HOUR + life, t + 5000, org, 'DV');
        t = t - HOUR + life * p.acmeRatio + Math.floor(rnd() * 24 * HOUR) + HOUR;
      }
      return { names, behaviour: b, truth: 'automated', gapLengthsMs: gaps, certs };
    }
    case 'single': {
      const t = t0 + Math.floor(rnd() * 300 * DAY);
      push(t - HOUR, t - HOUR + 90 * DAY, t, "Let's Encrypt", 'DV');
      return { names, behaviour: b, truth: 'undetermined', gapLengthsMs: gaps, certs };
    }
  }
}
