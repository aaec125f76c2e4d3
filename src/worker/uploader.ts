/**
 * Getting `.jp` entries to the manager: upload at once, and when that fails
 * keep them durably in the spool, from where each unit is retried on its own
 * schedule while scanning goes on.
 */
import type { UploadItem } from '../share/api/index.js';
import { ManagerError, type ManagerClient } from './manager-client.js';
import { SpoolFullError, type Spool, type SpoolUnit } from './spool.js';
import { sleep } from '../share/ct/index.js';

export type Delivery = 'uploaded' | 'spooled';

export interface UploaderOptions {
  /** Most items in one upload request (the manager's directive). */
  maxItems: number;
  onWarning: (key: string, message: string) => void;
  /** Items of a category the manager accepted (directly or from the spool). */
  onAccepted: (category: string, items: number) => void;
}

export class Uploader {
  private timer: NodeJS.Timeout | null = null;
  private retrying: Promise<void> | null = null;
  maxItems: number;

  constructor(
    private readonly client: ManagerClient,
    readonly spool: Spool<UploadItem>,
    private readonly options: UploaderOptions,
  ) {
    this.maxItems = options.maxItems;
  }

  private async send(items: UploadItem[]): Promise<void> {
    for (let i = 0; i < items.length; i += this.maxItems) await this.client.upload(items.slice(i, i + this.maxItems));
  }

  /**
   * Upload now, or keep in the spool. Resolves once the items are accepted or
   * on disk. While the spool is full it keeps trying (and says so), unless
   * `signal` aborts, in which case SpoolFullError is thrown.
   */
  async deliver(category: string, items: UploadItem[], signal?: AbortSignal): Promise<Delivery> {
    if (items.length === 0) return 'uploaded';
    let reason: string;
    try {
      await this.send(items);
      this.options.onAccepted(category, items.length);
      return 'uploaded';
    } catch (err) {
      reason = (err as Error).message;
      if (err instanceof ManagerError && !err.retriable && err.status !== 401 && err.status !== 403) {
        // The manager will never take these as they are: keep them aside on disk, do not retry.
        const unit = await this.spool.add(category, items);
        await this.spool.setAside(unit, reason);
        return 'spooled';
      }
    }
    for (;;) {
      try {
        await this.spool.add(category, items);
        this.options.onWarning('upload-failed', `upload failed (${reason}); ${items.length} items kept in the spool, retried every ${Math.round(this.retryIntervalHintS())} s`);
        return 'spooled';
      } catch (err) {
        if (!(err instanceof SpoolFullError)) throw err;
        this.options.onWarning('spool-full', `‼️ ${err.message}`);
        if (signal?.aborted) throw err;
        await sleep(30_000, signal).catch(() => {});
        try {
          await this.send(items);
          this.options.onAccepted(category, items.length);
          return 'uploaded';
        } catch (e) {
          reason = (e as Error).message;
        }
      }
    }
  }

  private retryIntervalHintS(): number {
    const unit = this.spool.all()[0];
    return unit ? Math.max(1, (unit.nextAttemptAt - unit.createdAt) / 1000) : 600;
  }

  private async retryUnit(unit: SpoolUnit<UploadItem>): Promise<boolean> {
    try {
      await this.send(unit.items);
    } catch (err) {
      if (err instanceof ManagerError && !err.retriable && err.status !== 401 && err.status !== 403) {
        await this.spool.setAside(unit, err.message);
        return false;
      }
      this.spool.postpone(unit);
      this.options.onWarning('spool-retry', `spooled upload of ${unit.items.length} items failed again (${(err as Error).message}); next try in ${Math.round((unit.nextAttemptAt - Date.now()) / 1000)} s`);
      return false;
    }
    await this.spool.remove(unit);
    this.options.onAccepted(unit.category, unit.items.length);
    return true;
  }

  /** Try every unit that is due, each on its own; a failure postpones only that unit. */
  retryDue(now = Date.now()): Promise<void> {
    this.retrying ??= (async () => {
      try {
        for (const unit of this.spool.due(now)) await this.retryUnit(unit);
      } finally {
        this.retrying = null;
      }
    })();
    return this.retrying;
  }

  /** Try every unit now (shutdown, idle exit); true when the spool is empty afterwards. */
  async drain(): Promise<boolean> {
    await this.retrying;
    for (const unit of this.spool.all()) await this.retryUnit(unit);
    return this.spool.size === 0;
  }

  /** Check for due units every `everyMs` (due times are per unit; this is only how often to look). */
  start(everyMs: number): void {
    const tick = (): void => {
      this.retryDue().catch((err: unknown) => this.options.onWarning('spool-retry', `spool retry failed: ${(err as Error).message}`));
    };
    tick();
    this.timer = setInterval(tick, everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
