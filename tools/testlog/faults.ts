/**
 * Faults a test log can show on demand, per log: a token-bucket rate limit
 * (429, with or without Retry-After), a share of 5xx answers, dropped
 * connections, added latency, a growing tree, and stale tree heads; and on
 * the static-ct-api read path a badly signed checkpoint, data tiles that do
 * not match the hash tiles or carry a wrong leaf_index, a gzip bomb, and
 * partial tiles that are gone. A test can also script the fault of each
 * request itself (RequestScript).
 */

export interface RateLimit {
  /** Tokens added per second. */
  perSecond: number;
  /** Bucket size: requests allowed in a burst. Default: max(1, perSecond). */
  burst?: number;
  /** Send `Retry-After` with 429 (default true); DigiCert's logs send none. */
  retryAfter?: boolean;
}

/** Faults of the static-ct-api read path (checkpoint and tiles). Tile numbers are data tile indexes N (entries N·256 ..). */
export interface TileFaults {
  /** The checkpoint's signature line for the log key signs another root hash, so it does not verify. */
  badCheckpointSignature?: boolean;
  /** Data tile N is served with its middle entry (slot floor(width / 2)) replaced by another well-formed entry of the log that carries the replaced entry's extensions (so the right leaf_index): it no longer hashes to the hash tiles. */
  mismatchedDataTile?: number;
  /** Data tile N is served with the leaf_index extension of its middle entry (slot floor(width / 2)) one too high (an entry without the extension gains one). */
  wrongLeafIndexTile?: number;
  /** Data tile N is answered with a gzip stream that inflates to 64 MiB of zeros. */
  gzipBombTile?: number;
  /** Every partial tile (`.p/W`, hash or data) answers 404, as when a log deletes them: clients must use the full tile or a newer checkpoint. */
  partialTilesGone?: boolean;
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
  /** Most requests handled at once (a front end's concurrency cap): more get 429 without Retry-After at once. */
  maxConcurrent?: number;
  /** A token bucket per TCP connection (DigiCert limits per connection): 429 without Retry-After when empty. */
  perConnection?: RateLimit | null;
  /** Faults of the static-ct-api read path. */
  tiles?: TileFaults;
}

/** A fault one request gets, decided by a test's script. */
export type RequestFault =
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'drop' }
  /** get-entries answers one entry more than asked for. */
  | { kind: 'more-than-asked' }
  /** get-entries answers no entries. */
  | { kind: 'empty' }
  /** The first entry served is not a leaf at all. */
  | { kind: 'garbage-leaf' }
  /** The first entry served is a real, well-formed leaf, but not the one the tree holds there. */
  | { kind: 'swapped-leaf' };

/** A request as a log saw it: the path below the log's URL (`/ct/v1/get-entries`), get-entries' range, entries served. */
export interface LogRequest {
  path: string;
  start: number | null;
  end: number | null;
  /** Entries served (0 for faults and everything but get-entries). */
  served: number;
  fault: RequestFault['kind'] | null;
}

/** Decides the fault of the n-th request to a log (0-based, every path counted). */
export type RequestScript = (n: number, request: Pick<LogRequest, 'path' | 'start' | 'end'>) => RequestFault | null;

const TILE_FAULT_KEYS: readonly (keyof TileFaults)[] = ['badCheckpointSignature', 'mismatchedDataTile', 'wrongLeafIndexTile', 'gzipBombTile', 'partialTilesGone'];

export function validateTileFaults(t: TileFaults, where: string): void {
  if (typeof t !== 'object' || t === null || Array.isArray(t)) throw new RangeError(`${where}: tiles must be an object`);
  for (const k of Object.keys(t)) if (!(TILE_FAULT_KEYS as readonly string[]).includes(k)) throw new RangeError(`${where}: unknown tile fault ${k} (known: ${TILE_FAULT_KEYS.join(', ')})`);
  for (const k of ['badCheckpointSignature', 'partialTilesGone'] as const) {
    if (t[k] !== undefined && typeof t[k] !== 'boolean') throw new RangeError(`${where}: tiles.${k} must be true or false`);
  }
  for (const k of ['mismatchedDataTile', 'wrongLeafIndexTile', 'gzipBombTile'] as const) {
    const v = t[k];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0)) throw new RangeError(`${where}: tiles.${k} must be a data tile number (an integer >= 0), got ${v}`);
  }
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
  if (f.maxConcurrent !== undefined && !(Number.isSafeInteger(f.maxConcurrent) && f.maxConcurrent >= 1)) throw new RangeError(`${where}: maxConcurrent must be an integer >= 1`);
  if (f.perConnection && !(f.perConnection.perSecond > 0)) throw new RangeError(`${where}: perConnection.perSecond must be > 0`);
  if (f.growthPerSecond !== undefined && !(f.growthPerSecond >= 0)) throw new RangeError(`${where}: growthPerSecond must be >= 0`);
  if (f.tiles !== undefined) validateTileFaults(f.tiles, where);
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
