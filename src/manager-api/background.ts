/**
 * A pass the manager runs in the background: once at start, then every interval. A tick that finds
 * the previous pass still running skips it, so passes never overlap; stop() waits for the running one.
 */
export class BackgroundLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  /** `pass` is told whether it is the first one; a failed pass goes to `onError` and the loop goes on. */
  constructor(
    private readonly pass: (first: boolean) => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    const tick = (first: boolean): void => {
      if (this.running) return;
      this.running = this.pass(first)
        .catch(this.onError)
        .finally(() => {
          this.running = null;
        });
    };
    tick(true);
    this.timer = setInterval(() => tick(false), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
