/**
 * The worker's console output: one progress line per category every few
 * seconds, and warnings that are not repeated more often than needed.
 */

export interface CategoryProgress {
  category: string;
  /** Requests sent to CT logs. */
  requests: number;
  /** `.jp` entries the manager has accepted. */
  uploaded: number;
  /** `.jp` entries found. */
  found: number;
  /** Entries scanned. */
  scanned: number;
  /** The next index to scan in the current assignment, or null without one. */
  index: number | null;
  /** Entries left in the current assignment. */
  remaining: number | null;
  /** Entries per second lately. */
  rate: number;
  /** Set when not scanning: why. */
  note: string | null;
}

const int = new Intl.NumberFormat('en-US');

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, '0')}m`;
}

export function formatProgressLine(p: CategoryProgress, width = 10): string {
  const share = p.scanned > 0 ? ((100 * p.found) / p.scanned).toFixed(3) : '0.000';
  const eta = p.remaining === null ? '-' : p.remaining === 0 ? 'done' : p.rate > 0 ? formatDuration(p.remaining / p.rate) : '?';
  const parts = [
    `🌐 Req: ${int.format(p.requests)}`,
    `📁 Uploaded: ${int.format(p.uploaded)}`,
    `🇯🇵 JP: ${int.format(p.found)} (${share}%)`,
    `📍 Index: ${p.index === null ? '-' : int.format(p.index)}`,
    `⏱️ ETA: ${eta}`,
  ];
  const line = `${p.category.padEnd(width)} ${parts.join(' | ')}`;
  return p.note ? `${line} | ${p.note}` : line;
}

/** Entries per second over a sliding window. */
export class RateMeter {
  private readonly samples: { at: number; n: number }[] = [];

  constructor(private readonly windowMs = 60_000) {}

  add(n: number, now = Date.now()): void {
    this.samples.push({ at: now, n });
    this.trim(now);
  }

  perSecond(now = Date.now()): number {
    this.trim(now);
    if (this.samples.length === 0) return 0;
    const total = this.samples.reduce((s, x) => s + x.n, 0);
    const span = Math.max(1000, now - this.samples[0].at);
    return (total * 1000) / span;
  }

  private trim(now: number): void {
    while (this.samples.length > 0 && this.samples[0].at < now - this.windowMs) this.samples.shift();
  }
}

/** Prints a warning, but the same kind of warning at most once per interval (with a count of the ones held back). */
export class WarningThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly print: (line: string) => void,
    private readonly intervalMs = 60_000,
  ) {}

  warn(key: string, message: string, now = Date.now()): void {
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return;
    }
    const more = seen && seen.suppressed > 0 ? ` (and ${seen.suppressed} more like it)` : '';
    this.last.set(key, { at: now, suppressed: 0 });
    this.print(`⚠️  ${message}${more}`);
  }
}
