/**
 * Raw leaf files: one file per log under the data directory, named from the
 * log URL, one line per stored sighting: `<index>\t<leaf_input>\n` with
 * leaf_input exactly as uploaded.
 *
 * The files agree with the database after any crash. The database keeps each
 * file's committed length (leaf_files). An upload's transaction, after its
 * certificates and sightings (only its counters follow), reserves its lines'
 * bytes at that length (the row stays locked until the commit, so one upload
 * per file writes at a time, across threads and processes), writes them there
 * and commits. The lines below the committed
 * length are therefore exactly those of committed sightings, each once; bytes
 * past it come from a transaction that did not commit (it failed, was retried,
 * or its process was killed, perhaps mid-write). Those are cut: by the
 * failed upload itself, by the next upload to the file (it writes over them
 * and cuts the rest while it holds the row) and, for every file, at start-up
 * (recover). Writing before the commit, rather than after it, means a commit
 * never leaves lines still to be written: nothing has to be replayed. The
 * lines are synced to disk before the commit, as the commit is, so this holds
 * after a power loss as well.
 *
 * The rows are keyed by the data directory's own id (file `leaf-store.id`),
 * because managers sharing one database may each have their own directory.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../../db/connect.js';
import { inTransaction, type Trx } from '../../db/transaction.js';
import { addLeafFile, hasLeafFile, leafFilesOf, lockLeafFile, reserveLeafBytes } from '../repositories/leaf-files.js';
import { faultChosen, testFaultPoint } from './test-fault.js';

export const LEAF_FILE_SUFFIX = '.leaves';
export const STORE_ID_FILE = 'leaf-store.id';
const STORE_ID = /^[0-9a-f]{32}$/;
/** How much of a file's end is read at a time when looking for its last whole line. */
const TAIL_BLOCK = 64 * 1024;

/** `https://ct.googleapis.com/logs/us1/argon2025h1/` -> `ct.googleapis.com_logs_us1_argon2025h1.leaves`. */
export function leafFileName(logUrl: string): string {
  const u = new URL(logUrl);
  const raw = `${u.host}${u.pathname}`.replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^[_.]+|_+$/g, '');
  return `${raw.slice(0, 200) || 'log'}${LEAF_FILE_SUFFIX}`;
}

export interface LeafLine {
  index: number;
  leafInput: string;
}

/** What start-up found in one file (only files that needed attention are reported). */
export interface LeafFileRepair {
  file: string;
  /** Bytes of uncommitted lines (or of a torn last line) that were cut. */
  cut: number;
  /** Bytes the database says were committed but the file no longer holds (cut or deleted by someone else). */
  missing: number;
}

const isCode = (err: unknown, code: string): boolean => (err as NodeJS.ErrnoException | null)?.code === code;

/** The data directory's id, created once (atomically: several threads and processes may ask at the same time). */
async function readOrCreateStoreId(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, STORE_ID_FILE);
  const read = async (): Promise<string> => {
    const id = (await readFile(path, 'utf8')).trim();
    if (!STORE_ID.test(id)) throw new Error(`${path} must hold 32 hexadecimal digits (the data directory's id); it holds "${id.slice(0, 64)}"`);
    return id;
  };
  try {
    return await read();
  } catch (err) {
    if (!isCode(err, 'ENOENT')) throw err;
  }
  // Written in full under another name, then linked into place: link() fails if another one won.
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${randomBytes(16).toString('hex')}\n`);
  try {
    await link(tmp, path);
  } catch (err) {
    if (!isCode(err, 'EEXIST')) throw err;
  } finally {
    await rm(tmp, { force: true });
  }
  return read();
}

/** The length of the file's whole lines: up to and including its last newline. */
async function wholeLinesLength(fh: FileHandle, size: number): Promise<number> {
  const buf = Buffer.alloc(TAIL_BLOCK);
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - TAIL_BLOCK);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}

async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function writeAt(fh: FileHandle, body: Buffer, offset: number): Promise<void> {
  let written = 0;
  while (written < body.length) written += (await fh.write(body, written, body.length - written, offset + written)).bytesWritten;
}

export class LeafStore {
  private readonly files = new Map<string, Promise<FileHandle>>();
  /** Files whose leaf_files row is known to exist. */
  private readonly known = new Set<string>();
  private id: Promise<string> | null = null;

  constructor(readonly dir: string) {}

  pathFor(logUrl: string): string {
    return join(this.dir, leafFileName(logUrl));
  }

  storeId(): Promise<string> {
    if (!this.id) {
      this.id = readOrCreateStoreId(this.dir);
      this.id.catch(() => (this.id = null));
    }
    return this.id;
  }

  /** Opened once, for positional writes (not O_APPEND: each upload writes at the offset it reserved). */
  private handle(file: string): Promise<FileHandle> {
    let h = this.files.get(file);
    if (!h) {
      h = this.storeId().then(() => open(join(this.dir, file), constants.O_RDWR | constants.O_CREAT, 0o644));
      h.catch(() => this.files.delete(file));
      this.files.set(file, h);
    }
    return h;
  }

  /**
   * Before an upload's transaction: make sure each of its logs' files has its row. A file that
   * has none (new, or written before the rows existed) gets one with the length of its whole
   * lines, a torn last line being cut. Outside the transaction, which must not wait on a row
   * while it holds others.
   */
  async prepare(db: Db, logUrls: Iterable<string>): Promise<void> {
    const storeId = await this.storeId();
    for (const file of [...new Set([...logUrls].map(leafFileName))].sort()) {
      if (this.known.has(file)) continue;
      if (!(await hasLeafFile(db, storeId, file))) await this.adopt(db, storeId, file);
      this.known.add(file);
    }
  }

  /** Give a file without a row its row; the length and the cut are decided with the new row locked. */
  private async adopt(db: Db, storeId: string, file: string): Promise<number> {
    const fh = await this.handle(file);
    return inTransaction(db, async (trx) => {
      const size = (await fh.stat()).size;
      const whole = await wholeLinesLength(fh, size);
      if (!(await addLeafFile(trx, storeId, file, whole))) return 0;
      if (whole < size) await fh.truncate(whole);
      // The file's name reaches the disk too (a new file); directories cannot be opened for sync on Windows.
      if (process.platform !== 'win32') await syncDirectory(this.dir);
      return size - whole;
    });
  }

  /**
   * In an upload's transaction, after its rows and before its counters: write the new sightings'
   * lines at the committed end of their files (prepare() must have run). If the transaction fails
   * after this or runs again, the lines are cut or written over (see the top of this file).
   */
  async writeInTransaction(trx: Trx, linesByUrl: Map<string, LeafLine[]>): Promise<void> {
    const storeId = await this.storeId();
    const bodies = new Map<string, string[]>();
    for (const [url, lines] of linesByUrl) {
      if (lines.length === 0) continue;
      const file = leafFileName(url);
      const parts = bodies.get(file) ?? [];
      for (const l of lines) parts.push(`${l.index}\t${l.leafInput}\n`);
      bodies.set(file, parts);
    }
    // Files in name order: two uploads touching the same files lock them in the same order.
    for (const file of [...bodies.keys()].sort()) {
      const body = Buffer.from(bodies.get(file)!.join(''));
      const end = await reserveLeafBytes(trx, storeId, file, body.length);
      if (end === null) throw new Error(`leaf file ${file} has no leaf_files row for store ${storeId}: prepare() must run before the transaction`);
      const fh = await this.handle(file);
      const offset = end - body.length;
      if (faultChosen('kill-mid-write')) {
        await writeAt(fh, body.subarray(0, body.length >> 1), offset);
        testFaultPoint('lines-half-written');
      }
      await writeAt(fh, body, offset);
      // Bytes past the new end are from transactions that did not commit: nobody else can be writing there now.
      if ((await fh.stat()).size > end) await fh.truncate(end);
      // On disk before the commit, which is durable too: a power loss cannot leave committed lines missing.
      await fh.datasync();
    }
  }

  /** Cut what lies past the committed end of a file, with its row locked; the bytes cut (0: none) and missing. */
  private async cutUncommittedFile(db: Db, storeId: string, file: string): Promise<LeafFileRepair> {
    return inTransaction(db, async (trx) => {
      const committed = await lockLeafFile(trx, storeId, file);
      if (committed === null) return { file, cut: 0, missing: 0 };
      let fh: FileHandle;
      try {
        fh = await open(join(this.dir, file), 'r+');
      } catch (err) {
        if (isCode(err, 'ENOENT')) return { file, cut: 0, missing: committed };
        throw err;
      }
      try {
        const size = (await fh.stat()).size;
        if (size > committed) await fh.truncate(committed);
        return { file, cut: Math.max(0, size - committed), missing: Math.max(0, committed - size) };
      } finally {
        await fh.close();
      }
    });
  }

  /** After an upload's transaction failed: cut the lines it may have written (else the next upload to the file, or start-up, does). */
  async cutUncommitted(db: Db, logUrls: Iterable<string>): Promise<void> {
    const storeId = await this.storeId();
    for (const file of [...new Set([...logUrls].map(leafFileName))].sort()) await this.cutUncommittedFile(db, storeId, file);
  }

  /**
   * At start-up, before serving: every file with a row is cut back to its committed length
   * (lines of uploads that never committed, killed mid-write included), and every file without
   * one gets its row (a torn last line cut). Returns the files that needed a change or miss bytes.
   */
  async recover(db: Db): Promise<LeafFileRepair[]> {
    const storeId = await this.storeId();
    const out: LeafFileRepair[] = [];
    const rows = await leafFilesOf(db, storeId);
    for (const { file } of rows) {
      const r = await this.cutUncommittedFile(db, storeId, file);
      if (r.cut > 0 || r.missing > 0) out.push(r);
    }
    const withRow = new Set(rows.map((r) => r.file));
    for (const name of (await readdir(this.dir)).sort()) {
      if (!name.endsWith(LEAF_FILE_SUFFIX) || withRow.has(name)) continue;
      const cut = await this.adopt(db, storeId, name);
      this.known.add(name);
      if (cut > 0) out.push({ file: name, cut, missing: 0 });
    }
    return out;
  }

  async close(): Promise<void> {
    const handles = await Promise.allSettled([...this.files.values()]);
    this.files.clear();
    await Promise.all(handles.map((h) => (h.status === 'fulfilled' ? h.value.close() : undefined)));
  }
}
