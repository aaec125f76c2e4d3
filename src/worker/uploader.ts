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

/** What became of items sent: all accepted or set aside (error null), or `unsent` still to deliver. */
interface SendOutcome {
  unsent: UploadItem[];
  error: ManagerError | null;
}

/** The manager will never take these items as they are (401/403 may change with the token: not for good). */
function refusedForGood(err: ManagerError): boolean {
  return !err.retriable && err.status !== 401 && err.status !== 403;
}

/** Refusals about an item's lease or log: every item of the request on that lease or log shares it. */
const LEASE_REFUSALS = new Set(['UNKNOWN_LEASE', 'LEASE_LOG_MISMATCH']);
const LOG_REFUSALS = new Set(['UNKNOWN_LOG', 'LOG_URL_MISMATCH']);

/**
 * The positions of the items a refusal is about: the one the manager names (its message starts
 * with `items[i]`, docs/manager-api.md), and the others on the same lease or log when that is what
 * it refused. Null when it names no item of the request: then the request as a whole is refused.
 */
export function refusedItems(err: ManagerError, items: UploadItem[]): number[] | null {
  const body = (err.body ?? {}) as { message?: unknown; code?: unknown };
  const m = typeof body.message === 'string' ? /^items\[(\d+)\]/.exec(body.message) : null;
  const i = m ? Number(m[1]) : -1;
  if (i < 0 || i >= items.length) return null;
  const code = typeof body.code === 'string' ? body.code : '';
  const named = items[i];
  const alike = LEASE_REFUSALS.has(code) ? (x: UploadItem) => x.lease_id === named.lease_id : LOG_REFUSALS.has(code) ? (x: UploadItem) => x.log_name === named.log_name : null;
  if (!alike) return [i];
  return items.flatMap((x, k) => (alike(x) ? [k] : []));
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

  /**
   * Upload in requests of at most maxItems. Items the manager refuses by name are set aside in the
   * spool folder (with its message) and the rest of their request is sent again, so that one bad
   * item neither blocks nor takes the others with it. Stops at the first other failure.
   */
  private async send(category: string, items: UploadItem[]): Promise<SendOutcome> {
    for (let i = 0; i < items.length; i += this.maxItems) {
      let request = items.slice(i, i + this.maxItems);
      while (request.length > 0) {
        try {
          await this.client.upload(request);
          this.options.onAccepted(category, request.length);
          break;
        } catch (err) {
          if (!(err instanceof ManagerError)) throw err;
          const named = refusedForGood(err) ? refusedItems(err, request) : null;
          if (!named) return { unsent: [...request, ...items.slice(i + this.maxItems)], error: err };
          const drop = new Set(named);
          await this.spool.setAsideItems(
            category,
            request.filter((_, k) => drop.has(k)),
            err.message,
          );
          request = request.filter((_, k) => !drop.has(k));
        }
      }
    }
    return { unsent: [], error: null };
  }

  /**
   * Upload now, or keep in the spool. Resolves once the items are accepted (or set aside) or
   * on disk. While the spool is full it keeps trying (and says so), unless `signal` aborts, in
   * which case SpoolFullError is thrown.
   */
  async deliver(category: string, items: UploadItem[], signal?: AbortSignal): Promise<Delivery> {
    if (items.length === 0) return 'uploaded';
    let outcome = await this.send(category, items);
    for (;;) {
      if (outcome.error === null) return 'uploaded';
      const { unsent, error } = outcome;
      if (refusedForGood(error)) {
        // The manager will never take these as they are: keep them aside on disk, do not retry.
        const unit = await this.spool.add(category, unsent);
        await this.spool.setAside(unit, error.message);
        return 'spooled';
      }
      try {
        await this.spool.add(category, unsent);
        this.options.onWarning('upload-failed', `upload failed (${error.message}); ${unsent.length} items kept in the spool, retried every ${Math.round(this.retryIntervalHintS())} s`);
        return 'spooled';
      } catch (err) {
        if (!(err instanceof SpoolFullError)) throw err;
        this.options.onWarning('spool-full', `‼️ ${err.message}`);
        if (signal?.aborted) throw err;
        await sleep(30_000, signal).catch(() => {});
        outcome = await this.send(category, unsent);
      }
    }
  }

  private retryIntervalHintS(): number {
    const unit = this.spool.all()[0];
    return unit ? Math.max(1, (unit.nextAttemptAt - unit.createdAt) / 1000) : 600;
  }

  private async retryUnit(unit: SpoolUnit<UploadItem>): Promise<boolean> {
    const { unsent, error } = await this.send(unit.category, unit.items);
    if (error === null) {
      await this.spool.remove(unit);
      return true;
    }
    // What was accepted or set aside leaves the unit, so that it is neither sent nor set aside twice.
    if (unsent.length < unit.items.length) await this.spool.replaceItems(unit, unsent);
    if (refusedForGood(error)) {
      await this.spool.setAside(unit, error.message);
      return false;
    }
    this.spool.postpone(unit);
    this.options.onWarning('spool-retry', `spooled upload of ${unit.items.length} items failed again (${error.message}); next try in ${Math.round((unit.nextAttemptAt - Date.now()) / 1000)} s`);
    return false;
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
