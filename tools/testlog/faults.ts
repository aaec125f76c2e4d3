/**
 * Faults a test log can show on demand, per log: a token-bucket rate limit
 * (429, with or without Retry-After), a share of 5xx answers, dropped
 * connections, added latency, a growing tree, and stale tree heads.
 */

export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: requests allowed in a burst. Default: max(1, perSecond). */
  burst?: number;
  /** Send `Retry-After` with 429 (default true); DigiCert's logs send none. */
  retryAfter?: boolean;
}

export interface FaultOptions {
  rateLimit?: RateLimit | null;
  /** Share of requests (0..1) answered with 500/502/503/504. */
  errorRate?: number;
  /** Share of requests (0..1) whose connection is destroyed without an answer. */
  dropRate?: number;
  /** Added delay per request in ms: fixed, or [min, max]. */
  latencyMs?: number | [number, number];
  /** New entries appended per second while the log runs (0 or unset: no timed growth). */
  growthPerSecond?: number;
  /** Share of get-sth answers (0..1) that carry an older, smaller tree head, as from a lagging replica. */
  staleSthRate?: number;
}

export function validateFaults(f: FaultOptions, where: string): void {
  const share = (v: number | undefined, name: string): void => {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0 && v <= 1)) throw new RangeError(`${where}: ${name} must be between 0 and 1, got ${v}`);
  };
  share(f.errorRate, 'errorRate');
  share(f.dropRate, 'dropRate');
  share(f.staleSthRate, 'staleSthRate');
  if (f.rateLimit) {
    if (!(f.rateLimit.perSecond > 0)) throw new RangeError(`${where}: rateLimit.perSecond must be > 0`);
    if (f.rateLimit.burst !== undefined && !(f.rateLimit.burst >= 1)) throw new RangeError(`${where}: rateLimit.burst must be >= 1`);
  }
  const lat = f.latencyMs;
  if (lat !== undefined) {
    const [a, b] = Array.isArray(lat) ? lat : [lat, lat];
    if (!(a >= 0 && b >= a)) throw new RangeError(`${where}: latencyMs must be >= 0 (or [min, max] with min <= max)`);
  }
  if (f.growthPerSecond !== undefined && !(f.growthPerSecond >= 0)) throw new RangeError(`${where}: growthPerSecond must be >= 0`);
}

export class TokenBucket {
  private tokens: number;
  private last: number;
  readonly burst: number;

  constructor(readonly limit: RateLimit) {
    this.burst = limit.burst ?? Math.max(1, limit.perSecond);
    this.tokens = this.burst;
    this.last = Date.now();
  }

  /** Take a token; returns 0 when allowed, else the seconds until one is available. */
  take(now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.limit.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.limit.perSecond));
  }
}
