/**
 * Waiting politely: jittered exponential backoff, Retry-After parsing, and a
 * pacer that spaces the requests to one log and slows down when the log says
 * it is overloaded.
 */

export interface BackoffPolicy {
  /** First wait, before jitter. */
  baseMs: number;
  /** Longest wait. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

/** Wait before retry number `attempt` (1-based): base·2^(attempt−1), capped, then scaled by a random 50–100 %. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(exp * (0.5 + 0.5 * random()));
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return null;
  if (/^\s*\d+\s*$/.test(v)) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Successes counted for the rate a log just allowed: over a long window while the pacer probes
 * slowly (the rate was steady, and a bucket's burst weighs little), over a short one while it
 * climbs fast (the rate of the last moment is the one the log refused).
 */
const LONG_WINDOW_MS = 5_000;
const SHORT_WINDOW_MS = 1_500;
/** The shortest span a rate is measured over. */
const MIN_SPAN_MS = 500;
/** After a 429, go this much slower than the rate the log just allowed. */
const BACK_OFF_FACTOR = 1.04;
/** Per success after a 429 that measured the log's rate, the spacing shrinks by this share: back to the limit after about 120 requests. */
const PROBE_SHRINK = 0.9995;
/** Per success after a 429 that measured nothing reliable (a scan's first burst), the spacing shrinks fast. */
const PROBE_SHRINK_FAST = 0.97;

/**
 * Spaces request starts to one log and learns how fast the log lets this
 * client go. The interval is the configured minimum, raised when the log
 * answers 429: to a little over the spacing of the successes it allowed in
 * the last seconds (so a token bucket's rate is found at the first refusal),
 * then lowered very slowly while requests succeed, probing for more; the
 * next 429 sets it again. Refusals stay rare (one per some hundred requests)
 * while the rate stays close to the limit. A pause (Retry-After, or a backoff
 * after 429) holds every request to the log, not just the one refused.
 */
export class Pacer {
  private nextSlot = 0;
  private pausedUntil = 0;
  private adaptiveMs = 0;
  private readonly successes: number[] = [];
  /** The last refusal measured the log's rate over a full window. */
  private measured = false;

  constructor(private minIntervalMs: number) {}

  get intervalMs(): number {
    return Math.max(this.minIntervalMs, this.adaptiveMs);
  }

  /** The manager asks to go slower (or back to normal): a new floor for the interval. */
  setMinInterval(ms: number): void {
    this.minIntervalMs = Math.max(0, ms);
  }

  async take(signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot, this.pausedUntil);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await sleep(slot - now, signal);
  }

  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  /** The log refused a request (429): space requests a little wider than the rate it just allowed. */
  slowDown(now = Date.now()): void {
    this.forget(now);
    const window = this.measured ? LONG_WINDOW_MS : SHORT_WINDOW_MS;
    const recent = this.successes.filter((t) => t >= now - window);
    // Over the successes of the window; at the start of a scan, over the time since the first.
    const span = recent.length > 0 ? Math.max(MIN_SPAN_MS, now - recent[0]) : window;
    const allowed = recent.length / span;
    // Nothing got through lately (a burst refused at the start): no rate to learn from yet, so double.
    const fromRate = allowed > 0 ? BACK_OFF_FACTOR / allowed : Math.max(50, this.adaptiveMs * 2);
    // Refused again before the rate was found: at least 4 % slower each time.
    this.adaptiveMs = Math.min(60_000, Math.max(fromRate, this.adaptiveMs * BACK_OFF_FACTOR));
    // A rate measured over a full window is trusted: probe past it slowly. One measured over a
    // moment (the first refusals of a scan) is a guess: probe fast until the next refusal.
    const trusted = recent.length >= 8 && span >= window * 0.9;
    this.measured = trusted;
  }

  succeeded(now = Date.now()): void {
    this.successes.push(now);
    if (this.successes.length > 4096) this.forget(now);
    if (this.adaptiveMs === 0) return;
    this.adaptiveMs *= this.measured ? PROBE_SHRINK : PROBE_SHRINK_FAST;
    if (this.adaptiveMs < 1) this.adaptiveMs = 0;
  }

  private forget(now: number): void {
    let drop = 0;
    while (drop < this.successes.length && this.successes[drop] < now - LONG_WINDOW_MS) drop++;
    this.successes.splice(0, drop);
  }
}
