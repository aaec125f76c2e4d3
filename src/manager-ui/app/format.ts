// Number, duration and percentage formatting for the dashboard; pure, so the tests run it in Node.
import type { Lang, Translate } from './i18n.js';
import { numberLocale } from './i18n.js';

export function formatCount(n: number, lang: Lang): string {
  return Math.round(n).toLocaleString(numberLocale(lang));
}

/** 1234567 -> "1.23M" (en) / "123万" (ja): for big figures where the exact count is in a tooltip. */
export function formatCompact(n: number, lang: Lang): string {
  return new Intl.NumberFormat(numberLocale(lang), { notation: 'compact', maximumFractionDigits: 2 }).format(n);
}

export function formatPercent(fraction: number, digits = 1): string {
  if (!Number.isFinite(fraction)) return '–';
  const pct = fraction * 100;
  // Never show 100% for unfinished work or 0% for work that has started.
  if (pct > 0 && pct < 10 ** -digits) return `<${(10 ** -digits).toFixed(digits)}%`;
  if (pct < 100 && pct > 100 - 10 ** -digits) return `>${(100 - 10 ** -digits).toFixed(digits)}%`;
  return `${pct.toFixed(digits)}%`;
}

export function formatRate(perSecond: number, lang: Lang, t: Translate): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return `0 ${t('perSecond')}`;
  const digits = perSecond < 10 ? 1 : 0;
  return `${perSecond.toLocaleString(numberLocale(lang), { maximumFractionDigits: digits })} ${t('perSecond')}`;
}

/** A duration in seconds as its two largest units: "3 d 4 h", "12 min 5 s". */
export function formatDuration(seconds: number, t: Translate): string {
  if (!Number.isFinite(seconds) || seconds < 0) return t('etaUnknown');
  const s = Math.round(seconds);
  const units: [number, string][] = [
    [86400, t('days')],
    [3600, t('hours')],
    [60, t('minutes')],
    [1, t('seconds')],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [size, label] of units) {
    if (parts.length === 2) break;
    const value = Math.floor(rest / size);
    if (value > 0 || (parts.length === 0 && size === 1)) parts.push(`${value} ${label}`);
    else if (parts.length === 1) break;
    rest -= value * size;
  }
  return parts.join(' ');
}

export function formatRange(start: number, end: number | null, lang: Lang, t: Translate): string {
  if (end === null) return t('notPlanned');
  return `${formatCount(start, lang)} – ${formatCount(end, lang)}`;
}

/** Puts values into a translated template: fill('{n} of {size}', { n: '3', size: '7' }). Every {name} named is replaced. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** An ISO instant as "2026-01-10 14:05 UTC": the manager's times are UTC, and friends are in several zones. */
export function formatUtcMinute(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '–';
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
