/**
 * Raw leaf files: one append-only file per log under the data directory,
 * named from the log URL, one line per stored leaf: `<index>\t<leaf_input>\n`
 * with leaf_input exactly as uploaded. Files are opened once for appending
 * (O_APPEND: each batch is one write at the end, also with several manager
 * processes), and writes to one file from this process are serialised.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** `https://ct.googleapis.com/logs/us1/argon2025h1/` -> `ct.googleapis.com_logs_us1_argon2025h1.leaves`. */
export function leafFileName(logUrl: string): string {
  const u = new URL(logUrl);
  const raw = `${u.host}${u.pathname}`.replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^[_.]+|_+$/g, '');
  return `${raw.slice(0, 200) || 'log'}.leaves`;
}

export class LeafStore {
  private readonly files = new Map<string, Promise<FileHandle>>();
  private readonly queues = new Map<string, Promise<void>>();
  private ready: Promise<unknown> | null = null;

  constructor(readonly dir: string) {}

  pathFor(logUrl: string): string {
    return join(this.dir, leafFileName(logUrl));
  }

  private handle(path: string): Promise<FileHandle> {
    let h = this.files.get(path);
    if (!h) {
      this.ready ??= mkdir(this.dir, { recursive: true });
      h = this.ready.then(() => open(path, 'a'));
      h.catch(() => this.files.delete(path));
      this.files.set(path, h);
    }
    return h;
  }

  async append(logUrl: string, lines: { index: number; leafInput: string }[]): Promise<void> {
    if (lines.length === 0) return;
    const path = this.pathFor(logUrl);
    const body = Buffer.from(lines.map((l) => `${l.index}\t${l.leafInput}\n`).join(''));
    const previous = this.queues.get(path) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const fh = await this.handle(path);
        let written = 0;
        while (written < body.length) written += (await fh.write(body, written)).bytesWritten;
      });
    this.queues.set(path, next);
    try {
      await next;
    } finally {
      if (this.queues.get(path) === next) this.queues.delete(path);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.queues.values()]);
    const handles = await Promise.allSettled([...this.files.values()]);
    this.files.clear();
    await Promise.all(handles.map((h) => (h.status === 'fulfilled' ? h.value.close() : undefined)));
  }
}
