/**
 * Japanese calendar classes of an instant, in JST (UTC+9, no daylight saving time).
 * Holidays come from @holiday-jp/holiday_jp's table keyed by YYYY-MM-DD; its helper functions use
 * the host time zone, so they are not used here.
 */
import holidayJp from '@holiday-jp/holiday_jp';
import { DAY_MS, HOUR_MS } from './model.js';

const JST_OFFSET_MS = 9 * HOUR_MS;
const HOLIDAYS: ReadonlySet<string> = new Set(Object.keys(holidayJp.holidays));
/** The same holidays as JST day numbers (days since 1970-01-01), for the hot path. */
const HOLIDAY_DAYS: ReadonlySet<number> = new Set([...HOLIDAYS].map((d) => Date.parse(`${d}T00:00:00Z`) / DAY_MS));

/** Mutually exclusive day classes. `holiday` is a national holiday falling Monday–Friday. */
export type DayClass = 'weekday' | 'weekend' | 'holiday';
export const DAY_CLASSES: readonly DayClass[] = ['weekday', 'weekend', 'holiday'];

export interface JstTime {
  day: number; // JST day number (days since 1970-01-01)
  weekday: number; // 0 = Monday ... 6 = Sunday
  hour: number; // 0..23 JST
  minuteOfDay: number;
  dayOfMonth: number;
  dayClass: DayClass;
  /** 29 Dec – 3 Jan, the government offices' New Year closure (any weekday). */
  closure: boolean;
  /** Monday–Friday, not a holiday, not a closure day, 09:00–18:00 JST. */
  businessHours: boolean;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function isJpHoliday(date: string): boolean {
  return HOLIDAYS.has(date);
}

/** YYYY-MM-DD of an instant in JST. */
export function jstDate(ms: number): string {
  const d = new Date(ms + JST_OFFSET_MS);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Month (1..12) and day of month of a JST day number (civil-from-days, H. Hinnant). */
function monthDay(z: number): { m: number; d: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  return { d: doy - Math.floor((153 * mp + 2) / 5) + 1, m: mp < 10 ? mp + 3 : mp - 9 };
}

export function jstTime(ms: number): JstTime {
  const local = ms + JST_OFFSET_MS;
  const day = Math.floor(local / DAY_MS);
  const minuteOfDay = Math.floor((local - day * DAY_MS) / 60_000);
  const hour = Math.floor(minuteOfDay / 60);
  // 1970-01-01 was a Thursday (weekday 3 with Monday = 0)
  const weekday = (((day + 3) % 7) + 7) % 7;
  const { m, d } = monthDay(day);
  const dayClass: DayClass = weekday >= 5 ? 'weekend' : HOLIDAY_DAYS.has(day) ? 'holiday' : 'weekday';
  const closure = (m === 12 && d >= 29) || (m === 1 && d <= 3);
  return {
    day,
    weekday,
    hour,
    minuteOfDay,
    dayOfMonth: d,
    dayClass,
    closure,
    businessHours: dayClass === 'weekday' && !closure && hour >= 9 && hour < 18,
  };
}

export interface CalendarShares {
  /** Share of time (0..1) in each day class between start and end. */
  weekday: number;
  weekend: number;
  holiday: number;
  /** weekend + holiday */
  non_business: number;
  /** 29 Dec – 3 Jan, any day class */
  closure: number;
  /** weekend ∪ holiday ∪ closure: the government non-working days */
  government_non_working: number;
  days: number;
}

/**
 * The share of each class expected if issuance were uniform in time over [start, end): the length of
 * time each JST calendar day of the period contributes, summed per class.
 */
export function expectedShares(start: number, end: number): CalendarShares {
  return expectedSharesOver([{ start, end }]);
}

/**
 * The same over several disjoint spans (the observed periods): issuance can only have been seen in
 * observed time, so only its calendar is expected.
 */
export function expectedSharesOver(spans: readonly { start: number; end: number }[]): CalendarShares {
  const acc = { weekday: 0, weekend: 0, holiday: 0, closure: 0, gov: 0 };
  const total = spans.reduce((n, s) => n + Math.max(0, s.end - s.start), 0);
  if (total === 0) return { weekday: 0, weekend: 0, holiday: 0, non_business: 0, closure: 0, government_non_working: 0, days: 0 };
  for (const { start, end } of spans) {
    let t = start;
    while (t < end) {
      // next JST midnight after t
      const next = Math.floor((t + JST_OFFSET_MS) / DAY_MS) * DAY_MS + DAY_MS - JST_OFFSET_MS;
      const span = Math.min(next, end) - t;
      const j = jstTime(t);
      acc[j.dayClass] += span;
      if (j.closure) acc.closure += span;
      if (j.closure || j.dayClass !== 'weekday') acc.gov += span;
      t = next;
    }
  }
  return {
    weekday: acc.weekday / total,
    weekend: acc.weekend / total,
    holiday: acc.holiday / total,
    non_business: (acc.weekend + acc.holiday) / total,
    closure: acc.closure / total,
    government_non_working: acc.gov / total,
    days: total / DAY_MS,
  };
}
