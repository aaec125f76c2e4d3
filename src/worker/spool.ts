/**
 * The failed-upload spool: every upload the manager did not accept is kept
 * in memory and in one small JSON file per unit, written durably (temporary
 * file, fsync, rename) so that a crash never leaves half a unit behind. The
 * spool is read back at start-up; a unit leaves memory and disk only once the
 * manager has accepted it. Its total size is capped.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface SpoolUnit<T> {
  id: string;
  /** Which scanning category the items came from (for the progress lines). */
  category: string;
  items: T[];
  createdAt: number;
  attempts: number;
  /** When the next delivery attempt is due (ms since the epoch). */
  nextAttemptAt: number;
  bytes: number;
}

export class SpoolFullError extends Error {
  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    super(`the upload spool in ${dir} is full (${Math.round(maxBytes / 2 ** 20)} MiB): scanning waits until the manager accepts uploads again`);
    this.name = 'SpoolFullError';
  }
}

const UNIT_PREFIX = 'unit-';
const UNIT_SUFFIX = '.json';
const FORMAT = 1;

/** The user's cache folder for ctjp: XDG on Linux, Library/Caches on macOS, LOCALAPPDATA on Windows. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'ctjp', 'Cache');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'ctjp');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ctjp');
}

async function writeDurably(path: string, data: string): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  // The rename itself must reach the disk too; directories cannot be opened for sync on Windows.
  if (process.platform !== 'win32') {
    const dir = await open(join(path, '..'), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

export interface SpoolOptions {
  maxBytes: number;
  /** Wait between two delivery attempts of one unit. */
  retryIntervalMs: number;
  onWarning?: (message: string) => void;
}

export class Spool<T> {
  private readonly units = new Map<string, SpoolUnit<T>>();
  private totalBytes = 0;

  private constructor(
    readonly dir: string,
    private readonly options: SpoolOptions,
  ) {}

  /** Open (creating it if needed) a spool folder and load the units left there by earlier runs. */
  static async open<T>(dir: string, options: SpoolOptions): Promise<Spool<T>> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const spool = new Spool<T>(dir, options);
    await spool.load();
    return spool;
  }

  private async load(): Promise<void> {
    const warn = this.options.onWarning ?? (() => {});
    for (const name of (await readdir(this.dir)).sort()) {
      const path = join(this.dir, name);
      if (name.startsWith(UNIT_PREFIX) && name.endsWith('.tmp')) {
        // A write that never completed: its items were never counted as spooled.
        await rm(path, { force: true });
        continue;
      }
      if (!name.startsWith(UNIT_PREFIX) || !name.endsWith(UNIT_SUFFIX)) continue;
      try {
        const text = await readFile(path, 'utf8');
        const body = JSON.parse(text) as { format?: unknown; category?: unknown; created_at?: unknown; items?: unknown };
        if (body.format !== FORMAT || !Array.isArray(body.items) || typeof body.category !== 'string' || typeof body.created_at !== 'number') {
          throw new Error('not a spool unit');
        }
        const id = name.slice(UNIT_PREFIX.length, -UNIT_SUFFIX.length);
        const bytes = Buffer.byteLength(text);
        this.units.set(id, { id, category: body.category, items: body.items as T[], createdAt: body.created_at, attempts: 0, nextAttemptAt: 0, bytes });
        this.totalBytes += bytes;
      } catch (err) {
        await rename(path, `${path}.unreadable`).catch(() => {});
        warn(`spool file ${path} could not be read (${(err as Error).message}); kept as ${name}.unreadable`);
      }
    }
  }

  get size(): number {
    return this.units.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Upload items waiting in the spool. */
  get itemCount(): number {
    let n = 0;
    for (const u of this.units.values()) n += u.items.length;
    return n;
  }

  get isFull(): boolean {
    return this.totalBytes >= this.options.maxBytes;
  }

  all(): SpoolUnit<T>[] {
    return [...this.units.values()];
  }

  /** Units whose next attempt is due, oldest first. */
  due(now = Date.now()): SpoolUnit<T>[] {
    return this.all()
      .filter((u) => u.nextAttemptAt <= now)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Keep items durably; resolves once they are on disk. Throws SpoolFullError when the cap would be passed. */
  async add(category: string, items: T[]): Promise<SpoolUnit<T>> {
    const createdAt = Date.now();
    const text = JSON.stringify({ format: FORMAT, category, created_at: createdAt, items });
    const bytes = Buffer.byteLength(text);
    if (this.totalBytes + bytes > this.options.maxBytes) throw new SpoolFullError(this.dir, this.options.maxBytes);
    const id = `${createdAt}-${randomBytes(6).toString('hex')}`;
    await writeDurably(join(this.dir, `${UNIT_PREFIX}${id}${UNIT_SUFFIX}`), text);
    const unit: SpoolUnit<T> = { id, category, items, createdAt, attempts: 1, nextAttemptAt: createdAt + this.options.retryIntervalMs, bytes };
    this.units.set(id, unit);
    this.totalBytes += bytes;
    return unit;
  }

  /** A delivery attempt failed: try this unit again after the retry interval. */
  postpone(unit: SpoolUnit<T>, now = Date.now()): void {
    unit.attempts++;
    unit.nextAttemptAt = now + this.options.retryIntervalMs;
  }

  /** The manager accepted the unit: forget it in memory and on disk. */
  async remove(unit: SpoolUnit<T>): Promise<void> {
    await rm(join(this.dir, `${UNIT_PREFIX}${unit.id}${UNIT_SUFFIX}`), { force: true });
    if (this.units.delete(unit.id)) this.totalBytes -= unit.bytes;
  }

  /** Keep fewer items in a unit (the others were accepted or set aside): rewritten durably, in place. */
  async replaceItems(unit: SpoolUnit<T>, items: T[]): Promise<void> {
    const text = JSON.stringify({ format: FORMAT, category: unit.category, created_at: unit.createdAt, items });
    await writeDurably(join(this.dir, `${UNIT_PREFIX}${unit.id}${UNIT_SUFFIX}`), text);
    unit.items = items;
    if (this.units.has(unit.id)) this.totalBytes += Buffer.byteLength(text) - unit.bytes;
    unit.bytes = Buffer.byteLength(text);
  }

  /**
   * The manager refused these items for good, by name (e.g. a leaf it does not take as .jp): keep
   * them with the manager's message in a file of their own, `unit-<id>.json.rejected`, never retried.
   */
  async setAsideItems(category: string, items: T[], reason: string): Promise<string> {
    const createdAt = Date.now();
    const path = join(this.dir, `${UNIT_PREFIX}${createdAt}-${randomBytes(6).toString('hex')}${UNIT_SUFFIX}.rejected`);
    await writeDurably(path, JSON.stringify({ format: FORMAT, category, created_at: createdAt, reason, items }));
    (this.options.onWarning ?? (() => {}))(`the manager refused ${items.length} item(s) for good (${reason}); kept in ${path}, the others are uploaded`);
    return path;
  }

  /** The manager refused the unit for good (bad request): keep its file aside for inspection, stop retrying it. */
  async setAside(unit: SpoolUnit<T>, reason: string): Promise<string> {
    const from = join(this.dir, `${UNIT_PREFIX}${unit.id}${UNIT_SUFFIX}`);
    const to = `${from}.rejected`;
    await rename(from, to).catch(() => {});
    if (this.units.delete(unit.id)) this.totalBytes -= unit.bytes;
    (this.options.onWarning ?? (() => {}))(`the manager refused ${unit.items.length} spooled items for good (${reason}); kept in ${to}`);
    return to;
  }
}

/**
 * One worker per spool folder: a second process on the same folder would
 * upload the same units twice and fight over them.
 */
export async function lockSpoolDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'worker.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new Error(`another ctjp worker (process ${pid}) uses the spool folder ${dir}; give this one its own --spool-dir or --name`);
      }
      await rm(path, { force: true });
    }
  }
  throw new Error(`could not lock the spool folder ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
