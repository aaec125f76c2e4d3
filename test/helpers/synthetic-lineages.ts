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
  | 'single'; // one certificate: undetermined

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

/** A time on a weekday between 09:30 and 17:30 JST, on or before `t`'s JST day. */
function officeHours(t: number, rnd: () => number): number {
  const midnight = Math.floor((t + JST) / DAY) * DAY - JST;
  const d = businessDayOnOrBefore(midnight);
  return d + 9.5 * HOUR + Math.floor(rnd() * 8 * 60) * MIN;
}

export interface GenerateOptions {
  seed: number;
  perBehaviour: Partial<Record<Behaviour, number>>;
  start?: number; // first issuance, ms
  end?: number; // no issuance after this
  idOffset?: number; // first lineage number, so that separate calls make distinct names
}

export function generateLineages(opts: GenerateOptions): GroundTruth[] {
  const rnd = mulberry32(opts.seed);
  const start = opts.start ?? Date.UTC(2022, 0, 10);
  const end = opts.end ?? Date.UTC(2026, 9, 31);
  const out: GroundTruth[] = [];
  let n = opts.idOffset ?? 0;
  for (const [behaviour, count] of Object.entries(opts.perBehaviour) as [Behaviour, number][]) {
    for (let k = 0; k < count; k++) {
      const id = n++;
      const suffix = ORG_SUFFIXES[id % ORG_SUFFIXES.length];
      const base = suffix === 'lg.jp' ? `city.town${id}.lg.jp` : `org${id}.${suffix}`;
      const names = id % 3 === 0 ? [base, `www.${base}`].sort() : [`www.${base}`];
      out.push(generateOne(behaviour, names, `${behaviour}-${id}`, rnd, start + Math.floor(rnd() * 60 * DAY), end));
    }
  }
  return out;
}

function generateOne(b: Behaviour, names: string[], id: string, rnd: () => number, t0: number, end: number): GroundTruth {
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
        t = t - HOUR + (life * 2) / 3 + Math.floor(rnd() * 12 * HOUR) + HOUR;
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
    case 'acme-fixed60-on-47': {
      let t = t0;
      let prevNa: number | null = null;
      while (t < end) {
        const nb = t - HOUR;
        if (prevNa !== null && nb - prevNa > 1000) gaps.push(nb - prevNa);
        push(nb, nb + 47 * DAY - 1000, t + 4000, "Let's Encrypt", 'DV');
        prevNa = nb + 47 * DAY - 1000;
        t += 60 * DAY + Math.floor(rnd() * 120) * 1000;
      }
      return { names, behaviour: b, truth: 'automated', gapLengthsMs: gaps, certs };
    }
    case 'manual-yearly':
    case 'manual-lapsed': {
      const org = rnd() < 0.5 ? 'DigiCert Inc' : 'SECOM Trust Systems CO.,LTD.';
      let ct = officeHours(t0, rnd);
      let prevNa: number | null = null;
      let renewalNo = 0;
      while (ct < end) {
        const nb = Math.floor(ct / DAY) * DAY; // midnight UTC, as DigiCert does
        const na = nb + 396 * DAY - 1000;
        if (prevNa !== null && nb - prevNa > 1000) gaps.push(nb - prevNa);
        push(nb, na, ct, org, 'OV');
        prevNa = na;
        renewalNo++;
        if (b === 'manual-lapsed' && renewalNo % 2 === 1) {
          // forgotten: renewed 3–40 days after expiry, on a weekday
          ct = officeHours(na + (3 + Math.floor(rnd() * 38)) * DAY, rnd);
          if (Math.floor(ct / DAY) * DAY <= na) ct += 3 * DAY;
        } else {
          // renewed 5–40 days before expiry
          ct = officeHours(na - (5 + Math.floor(rnd() * 36)) * DAY, rnd);
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
    case 'single': {
      const t = t0 + Math.floor(rnd() * 300 * DAY);
      push(t - HOUR, t - HOUR + 90 * DAY, t, "Let's Encrypt", 'DV');
      return { names, behaviour: b, truth: 'undetermined', gapLengthsMs: gaps, certs };
    }
  }
}
