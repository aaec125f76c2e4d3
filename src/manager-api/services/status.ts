/**
 * Status reports off the request path. Building one runs a dozen grouped queries; while the
 * manager runs its background passes, a loop rebuilds every report asked for lately once a second
 * and publishes it when done, so a request answers from the latest one (about a second old at most)
 * and never waits for the queries. Only the first request for a number of days builds its report.
 * Without the loop (tests that drive the manager directly), identical requests within a second
 * share one build, as they always did.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { StatusResponse } from '../../share/api/index.js';
import { BackgroundLoop } from '../background.js';

/** Age up to which a report is reused without the loop; also the loop's interval. */
const FRESH_MS = 1000;
/** A report nobody asked for this long stops being rebuilt. */
const KEPT_MS = 60_000;

interface Published {
  builtAt: number;
  askedAt: number;
  value: Promise<StatusResponse>;
}

export class StatusReports {
  /** By number of days of daily counts. */
  private readonly published = new Map<number, Published>();
  private loop: BackgroundLoop | null = null;

  constructor(
    private readonly build: (days: number) => Promise<StatusResponse>,
    private readonly log: FastifyBaseLogger,
  ) {}

  get(days: number): Promise<StatusResponse> {
    const now = Date.now();
    const hit = this.published.get(days);
    if (hit && (this.loop !== null || now - hit.builtAt < FRESH_MS)) {
      hit.askedAt = now;
      return hit.value;
    }
    this.forgetUnasked(now);
    const value = this.build(days);
    this.published.set(days, { builtAt: now, askedAt: now, value });
    value.catch(() => {
      if (this.published.get(days)?.value === value) this.published.delete(days);
    });
    return value;
  }

  /** Keep the reports asked for lately fresh in the background. */
  start(): void {
    this.loop ??= new BackgroundLoop(
      () => this.refresh(),
      FRESH_MS,
      (err) => this.log.error({ err }, 'status refresh failed'),
    );
    this.loop.start();
  }

  async stop(): Promise<void> {
    const loop = this.loop;
    this.loop = null;
    await loop?.stop();
  }

  /** One pass: rebuild each report still asked for; one that fails is dropped, so that the next request builds it (and sees the error). */
  private async refresh(): Promise<void> {
    this.forgetUnasked(Date.now());
    for (const [days, entry] of this.published) {
      const startedAt = Date.now();
      // Built by its first request a moment ago.
      if (startedAt - entry.builtAt < FRESH_MS / 2) continue;
      try {
        const report = await this.build(days);
        entry.value = Promise.resolve(report);
        entry.builtAt = startedAt;
      } catch (err) {
        this.published.delete(days);
        this.log.warn({ err, days }, 'status report rebuild failed');
      }
    }
  }

  private forgetUnasked(now: number): void {
    for (const [days, entry] of this.published) {
      const unused = this.loop !== null ? now - entry.askedAt > KEPT_MS : now - entry.builtAt >= FRESH_MS;
      if (unused) this.published.delete(days);
    }
  }
}
