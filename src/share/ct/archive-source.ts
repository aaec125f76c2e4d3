/**
 * A shut-down log read from its zip archives (static-ct-api layout, one
 * tile subtree per zip: the archive format of the CT log archives), in place
 * with HTTP Range requests: each zip's central directory once, then only the
 * members a range needs. Everything is proven exactly as for a live tiled
 * log (static-source.ts) against the checkpoint the archive holds, which is
 * the log's final tree head: it must verify with the log's key, and a
 * pinned tree head (the catalogue's final tree head, or the one the manager
 * verified) must match it.
 *
 * Which zip holds what (archiveZipOf): a full tile at level <= the subtree
 * level, and every data tile, is in the zip of its subtree; tiles above the
 * subtree level and the partial tiles at the right edge of the tree are in
 * every zip, so they are read from a zip already open. The checkpoint is read
 * from the first zip.
 */
import { CHECKPOINT_MAX_BYTES } from './checkpoint.js';
import { ContradictoryAnswer, type LogHttp } from './http.js';
import type { LogSource, LogSourceOptions } from './log-source.js';
import { StaticCtSource, ISSUER_MAX_BYTES } from './static-source.js';
import { tilePath } from './tiles.js';
import { archiveZipOf, ZipArchive } from './zip-archive.js';

/** Real archives hold one level-2 tile (256³ entries) per zip. */
export const ARCHIVE_SUBTREE_LEVEL = 2;

/**
 * Zip directories read in this process, by URL, most recently used last: a zip never changes,
 * and its directory (about 10 MB for a full zip) is read once per worker, not once per lease.
 */
const directories = new Map<string, Promise<ZipArchive>>();
const DIRECTORIES_KEPT = 6;

function directoryOf(http: LogHttp, url: string): Promise<ZipArchive> {
  let p = directories.get(url);
  if (p !== undefined) directories.delete(url);
  else {
    p = ZipArchive.open(http, url);
    p.catch(() => {
      if (directories.get(url) === p) directories.delete(url);
    });
  }
  directories.set(url, p);
  for (const key of directories.keys()) {
    if (directories.size <= DIRECTORIES_KEPT) break;
    directories.delete(key);
  }
  return p;
}

export class ArchiveSource extends StaticCtSource implements LogSource {
  private readonly zips: readonly string[];
  private readonly subtreeLevel: number;
  private readonly open = new Map<number, Promise<ZipArchive>>();
  private lastOpened = 0;

  constructor(o: LogSourceOptions) {
    // The LogHttp's base is the first zip's folder; zips are asked for by their full URLs.
    super({ ...o, url: new URL('.', firstZip(o)).href });
    this.zips = o.archives!;
    this.subtreeLevel = o.archiveSubtreeLevel ?? ARCHIVE_SUBTREE_LEVEL;
  }

  override get where(): string {
    return this.zips[0];
  }

  protected override get leafIndexRequired(): boolean {
    return false;
  }

  private zip(n: number): Promise<ZipArchive> {
    if (n >= this.zips.length) {
      return Promise.reject(new ContradictoryAnswer(`the archive has ${this.zips.length} zip(s), but zip ${n} (entries from ${n * 256 ** (this.subtreeLevel + 1)}) is needed`));
    }
    let p = this.open.get(n);
    if (p === undefined) {
      p = directoryOf(this.http, this.zips[n]).then((zip) => zip.through(this.http));
      this.open.set(n, p);
      p.catch(() => this.open.delete(n));
    }
    this.lastOpened = n;
    return p;
  }

  private async member(zip: number | 'any', name: string, maxBytes: number): Promise<Buffer> {
    const n = zip === 'any' ? (this.open.has(this.lastOpened) ? this.lastOpened : 0) : zip;
    const archive = await this.zip(n);
    const bytes = await archive.read(name, maxBytes);
    if (bytes === null) throw new ContradictoryAnswer(`${this.zips[n]} has no ${name}`);
    return bytes;
  }

  protected override async readCheckpoint<T>(parse: (body: Buffer) => T): Promise<T> {
    return parse(await this.member(0, 'checkpoint', CHECKPOINT_MAX_BYTES));
  }

  protected override async readTileBytes<T>(_what: string, level: number | 'data', index: number, width: number, maxBytes: number, parse: (bytes: Buffer, width: number) => T): Promise<T> {
    const zip = archiveZipOf(level, index, width, this.subtreeLevel);
    return parse(await this.member(zip, tilePath(level, index, width), maxBytes), width);
  }

  protected override async readIssuer<T>(name: string, parse: (der: Buffer) => T): Promise<T> {
    return parse(await this.member('any', `issuer/${name}`, ISSUER_MAX_BYTES));
  }
}

function firstZip(o: LogSourceOptions): string {
  if (!o.archives || o.archives.length === 0) throw new Error(`${o.url}: no archive zips to read`);
  return o.archives[0];
}
