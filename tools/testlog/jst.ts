/** Calendar facts in Japan Standard Time (UTC+9, no daylight saving): weekends and national holidays. */
import holidayJp from '@holiday-jp/holiday_jp';

const JST_OFFSET_MS = 9 * 3600_000;
export const DAY_MS = 86_400_000;
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

export interface JstFacts {
  /** YYYY-MM-DD in JST. */
  date: string;
  /** HH:MM:SS in JST. */
  time: string;
  weekday: (typeof WEEKDAYS)[number];
  weekend: boolean;
  holiday: boolean;
  holidayName: string | null;
}

const holidays = holidayJp.holidays as Record<string, { name_en: string } | undefined>;

export function jstFacts(ms: number): JstFacts {
  const d = new Date(ms + JST_OFFSET_MS);
  const iso = d.toISOString();
  const weekday = WEEKDAYS[d.getUTCDay()];
  const h = holidays[iso.slice(0, 10)];
  return {
    date: iso.slice(0, 10),
    time: iso.slice(11, 19),
    weekday,
    weekend: weekday === 'Sat' || weekday === 'Sun',
    holiday: h !== undefined,
    holidayName: h?.name_en ?? null,
  };
}

export function isBusinessDay(ms: number): boolean {
  const f = jstFacts(ms);
  return !f.weekend && !f.holiday;
}

/** Midnight JST (as a UTC instant) of the JST day containing ms. */
export function jstMidnight(ms: number): number {
  return Math.floor((ms + JST_OFFSET_MS) / DAY_MS) * DAY_MS - JST_OFFSET_MS;
}
