/**
 * What both log sources share: the HTTP path to the log, the largest verified
 * tree head seen (a smaller one, from a lagging replica, is reported and
 * ignored), waiting for the log to grow, and events.
 */
import { sleep } from './backoff.js';
import { LogHttp } from './http.js';
import type { LogSourceOptions, SourceEvent } from './log-source.js';
import type { SignedTreeHead } from './sth.js';

export abstract class TreeHeadKeeper {
  protected sth: SignedTreeHead | null = null;
  readonly http: LogHttp;

  constructor(protected readonly o: LogSourceOptions) {
    this.http = new LogHttp(o.url, { ...o.http, onEvent: (e) => this.emit(e) });
  }

  get treeHead(): SignedTreeHead | null {
    return this.sth;
  }

  protected emit(event: SourceEvent): void {
    this.o.onEvent?.(event);
  }

  protected abstract fetchTreeHead(): Promise<SignedTreeHead>;

  async refreshTreeHead(): Promise<SignedTreeHead> {
    const got = await this.fetchTreeHead();
    if (this.sth !== null && got.treeSize < this.sth.treeSize) {
      this.emit({ type: 'stale-tree-head', treeSize: got.treeSize, kept: this.sth.treeSize });
      return this.sth;
    }
    this.sth = got;
    this.emit({ type: 'tree-head', treeSize: got.treeSize, verified: this.o.key !== null });
    return got;
  }

  /** Wait for the log to grow past `end`, asking for a new tree head now and then. */
  protected async waitForGrowth(end: number): Promise<void> {
    this.emit({ type: 'waiting-for-log', treeSize: this.sth?.treeSize ?? 0, end });
    await sleep(this.o.treeHeadRefreshMs ?? 60_000, this.http.signal);
    await this.refreshTreeHead();
  }

  setMinRequestInterval(ms: number): void {
    this.http.setMinRequestInterval(ms);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

