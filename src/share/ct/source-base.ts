/**
 * What both log sources share: the HTTP path to the log, its stats, the
 * largest verified tree head seen (a smaller one, from a lagging replica, is
 * reported and ignored), waiting for the log to grow, reading one tile (the
 * full tile when a partial one is gone), and events.
 */
import { sleep } from './backoff.js';
import { ContradictoryAnswer, LogHttp } from './http.js';
import type { LogSourceOptions, SourceEvent, SourceStats, TreeHeadRef } from './log-source.js';
import type { Route } from './routes.js';
import type { SignedTreeHead } from './sth.js';
import { tilePath, TILE_WIDTH } from './tiles.js';

/** Largest data tile accepted after gzip decoding: 256 entries of up to 128 KiB each. */
export const DATA_TILE_MAX_BYTES = 32 * 1024 * 1024;

export abstract class LogSourceBase {
  protected sth: SignedTreeHead | null = null;
  readonly http: LogHttp;
  readonly stats: SourceStats;

  constructor(protected readonly o: LogSourceOptions) {
    this.http = new LogHttp(o.url, { ...o.http, onEvent: (e) => this.emit(e) });
    const http = this.http.stats;
    this.stats = {
      get requests() {
        return http.requests;
      },
      get bytes() {
        return http.bytes;
      },
      get rateLimited() {
        return http.rateLimited;
      },
      get retries() {
        return http.retries;
      },
      entries: 0,
      pageSize: null,
      treeSize: null,
    };
  }

  get treeHead(): SignedTreeHead | null {
    return this.sth;
  }

  protected emit(event: SourceEvent): void {
    this.o.onEvent?.(event);
  }

  protected abstract fetchTreeHead(): Promise<SignedTreeHead>;

  get where(): string {
    return this.http.base;
  }

  async refreshTreeHead(): Promise<SignedTreeHead> {
    const got = await this.fetchTreeHead();
    const pin = this.o.pinnedTreeHead;
    if (pin && !sameTreeHead(got, pin)) {
      throw new ContradictoryAnswer(`${this.where} serves tree head ${describeTreeHead(got)}, not the final tree head ${describeTreeHead(pin)} of this log`);
    }
    this.stats.treeSize = Math.max(this.stats.treeSize ?? 0, got.treeSize);
    if (this.sth !== null && got.treeSize < this.sth.treeSize) {
      this.emit({ type: 'stale-tree-head', treeSize: got.treeSize, kept: this.sth.treeSize });
      return this.sth;
    }
    this.sth = got;
    this.emit({ type: 'tree-head', treeSize: got.treeSize, verified: this.o.key !== null });
    return got;
  }

  /** Does the held tree (larger than `seen`) extend `seen`? Proven from what this source serves. */
  protected abstract extendsTreeHead(seen: TreeHeadRef, held: SignedTreeHead): Promise<boolean>;

  async checkConsistentWith(seen: TreeHeadRef): Promise<void> {
    const held = this.sth ?? (await this.refreshTreeHead());
    if (seen.treeSize === 0) return;
    if (held.treeSize < seen.treeSize) throw new ContradictoryAnswer(`${this.where} serves tree head ${describeTreeHead(held)}, smaller than ${describeTreeHead(seen)} already seen for this log`);
    if (held.treeSize === seen.treeSize) {
      if (!sameTreeHead(held, seen)) throw new ContradictoryAnswer(`${this.where} serves tree head ${describeTreeHead(held)}, a different tree from ${describeTreeHead(seen)} already seen for this log`);
      return;
    }
    if (!(await this.extendsTreeHead(seen, held))) {
      throw new ContradictoryAnswer(`${this.where} serves tree head ${describeTreeHead(held)}, which does not extend ${describeTreeHead(seen)} already seen for this log`);
    }
  }

  /** The range asked of entries(): indexes, start <= end. */
  protected checkRange(start: number, end: number): void {
    if (!Number.isSafeInteger(start) || start < 0) throw new RangeError(`start ${start} is not a non-negative integer`);
    if (!Number.isSafeInteger(end) || end < start) throw new RangeError(`end ${end} is not an integer >= start ${start}`);
  }

  /** Wait for the log to grow past `end`, asking for a new tree head now and then. */
  protected async waitForGrowth(end: number): Promise<void> {
    this.emit({ type: 'waiting-for-log', treeSize: this.sth?.treeSize ?? 0, end });
    await sleep(this.o.treeHeadRefreshMs ?? 60_000, this.http.signal);
    await this.refreshTreeHead();
  }

  /**
   * One tile by path; a partial tile that is gone (the log may delete partials once the
   * full tile exists) is read from the full tile. Returns the bytes and the width they hold.
   */
  protected async tile(route: Route, level: number | 'data', index: number, width: number, maxBytes: number): Promise<{ bytes: Buffer; width: number }> {
    const get = (w: number): Promise<Buffer> => this.http.get(tilePath(level, index, w), route, { accept: 'application/octet-stream', maxBytes });
    if (width === TILE_WIDTH) return { bytes: await get(TILE_WIDTH), width };
    try {
      return { bytes: await get(width), width };
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
      return { bytes: await get(TILE_WIDTH), width: TILE_WIDTH };
    }
  }

  setMinRequestInterval(ms: number): void {
    this.http.setMinRequestInterval(ms);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

function sameTreeHead(a: TreeHeadRef, b: TreeHeadRef): boolean {
  return a.treeSize === b.treeSize && Buffer.from(a.rootHash).equals(b.rootHash);
}

/** `size 1234 root <base64>`, for messages. */
export function describeTreeHead(t: TreeHeadRef): string {
  return `size ${t.treeSize} root ${Buffer.from(t.rootHash).toString('base64')}`;
}
