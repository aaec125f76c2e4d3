/**
 * The worker's console output: one progress line per category every few
 * seconds, and warnings that are not repeated more often than needed.
 *
 * The line's ETA is the category's: its remaining target (from the manager's
 * status) at this worker's smoothed rate, because that is what the friend's
 * share takes. The current range's ETA follows, labelled, since it alone
 * restarts with every lease.
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
  /** Entries per second lately (for the range's ETA). */
  rate: number;
  /** Entries of the category's target not scanned yet (manager's status), or null while unknown. */
  categoryRemaining: number | null;
  /** This worker's smoothed rate in the category, entries per second. */
  categoryRate: number;
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
  const parts = [
    `🌐 Req: ${int.format(p.requests)}`,
    `📁 Uploaded: ${int.format(p.uploaded)}`,
    `🇯🇵 JP: ${int.format(p.found)} (${share}%)`,
    `📍 Index: ${p.index === null ? '-' : int.format(p.index)}`,
  ];
  if (p.remaining !== null) parts.push(`⏳ this range: ${p.remaining === 0 ? 'done' : p.rate > 0 ? formatDuration(p.remaining / p.rate) : '?'}`);
  parts.push(`⏱️ ${categoryEta(p)}`);
  const line = `${p.category.padEnd(width)} ${parts.join(' | ')}`;
  return p.note ? `${line} | ${p.note}` : line;
}

function categoryEta(p: CategoryProgress): string {
  const label = `category ${p.category}`;
  if (p.categoryRemaining === null) return `${label}: remaining target not known yet`;
  if (p.categoryRemaining === 0) return `${label}: target done`;
  const left = `${int.format(p.categoryRemaining)} entries`;
  if (p.categoryRate <= 0) return `${label}: ${left} left (no rate of yours yet)`;
  return `${label}: ~${formatDuration(p.categoryRemaining / p.categoryRate)} left at your rate (${left})`;
}

/**
 * An exponential moving average of a rate, corrected for its start (the average of the samples so
 * far until the time constant has passed), so the ETA neither starts at zero nor jumps with each
 * lease or pause.
 */
export class SmoothedRate {
  private weighted = 0;
  private weight = 0;

  constructor(private readonly timeConstantMs = 5 * 60_000) {}

  /** `entries` counted over the last `elapsedMs`. */
  add(entries: number, elapsedMs: number): void {
    if (elapsedMs <= 0) return;
    const keep = Math.exp(-elapsedMs / this.timeConstantMs);
    this.weighted = this.weighted * keep + (1 - keep) * ((entries * 1000) / elapsedMs);
    this.weight = this.weight * keep + (1 - keep);
  }

  get perSecond(): number {
    return this.weight > 0 ? this.weighted / this.weight : 0;
  }
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
