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
 * Spaces request starts to one log. The interval is the configured minimum,
 * raised when the log answers 429 without saying how long to wait, and
 * lowered again slowly while requests succeed. A pause (Retry-After, or a
 * backoff after 429) holds every request to the log, not just the one refused.
 */
export class Pacer {
  private nextSlot = 0;
  private pausedUntil = 0;
  private adaptiveMs = 0;

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

  /** A 429 came without Retry-After: double the spacing (at least 1 s, at most 60 s). */
  slowDown(): void {
    this.adaptiveMs = Math.min(60_000, Math.max(1_000, this.adaptiveMs * 2));
  }

  succeeded(): void {
    if (this.adaptiveMs === 0) return;
    this.adaptiveMs *= 0.97;
    if (this.adaptiveMs < 20) this.adaptiveMs = 0;
  }
}
