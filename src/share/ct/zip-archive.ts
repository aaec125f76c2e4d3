/**
 * One zip of an archived (shut-down) CT log, read in place over HTTP Range
 * requests: such zips are 10–15 GB, and a worker wants a few tiles out of
 * them, so it must never download one whole.
 *
 * The archives (geomys/ct-archive, "photocamera-archiver" layout) split a log
 * into `000.zip`, `001.zip`, …; zip N holds the tiles of the subtree of
 * entries [256³·N, 256³·(N+1)): its level-2 tile, the level-1 and level-0 tiles
 * below it and their data tiles; every zip also holds the log's metadata
 * (`checkpoint`, `log.v3.json`, `README.txt`, `issuer/…`), all tiles at levels
 * ≥ 3 and the partial right-edge tiles. archiveZipOf() names the zip of a tile.
 *
 * Opening costs one suffix request for the tail (size, end of central
 * directory, ZIP64 records) and usually one more for the whole central
 * directory (≈10 MB for 131k members), parsed once by yauzl from memory: yauzl
 * reads each directory record with two small reads, which must never become
 * HTTP requests. After that a ZipArchive keeps only a compact index, never
 * changes (archived zips do not) and may be cached per URL; each member read
 * is one Range request (two when its local extra field is unusually long).
 *
 * Errors: bytes that fail a check (CRC-32, sizes, local header) are a
 * BadResponse, retried, since a flaky proxy may have garbled them; a zip whose
 * structure cannot be read (truncated, not a zip, unsupported method, member
 * over the cap) is a ZipFormatError, which no retry changes.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { BadResponse, ContradictoryAnswer, type LogHttp } from './http.js';
import { TILE_WIDTH } from './tiles.js';

/** A zip whose structure cannot be read, or a member that cannot be: permanent, withRetries does not retry it. */
export class ZipFormatError extends ContradictoryAnswer {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

export interface ZipArchiveOptions {
  /** Largest central directory accepted (default 64 MiB; the real archives' are about 10 MB). */
  directoryMaxBytes?: number;
}

const DEFAULT_DIRECTORY_MAX_BYTES = 64 * 1024 * 1024;
/** Fixed sizes of the zip records read here, without their variable parts. */
const RECORD_SIZE = { eocd: 22, zip64Locator: 20, zip64Eocd: 56, localHeader: 30, centralHeader: 46 } as const;
/** The end of central directory record with the longest comment, the ZIP64 locator and record before it. */
const TAIL_BYTES = 0xffff + RECORD_SIZE.eocd + RECORD_SIZE.zip64Locator + RECORD_SIZE.zip64Eocd;
/** Local extra fields guessed per member read: a ZIP64 field (20) and an extended timestamp (9), with room to spare. */
const LOCAL_EXTRA_GUESS = 64;
/** Each record's signature. */
const SIGNATURE = { local: 0x04034b50, eocd: 0x06054b50, zip64Locator: 0x07064b50, zip64Eocd: 0x06064b50 } as const;
const METHOD = { stored: 0, deflated: 8 } as const;

/**
 * Which zip holds a tile: N for tiles of subtree N, 'any' for those every zip
 * holds. Zip N covers entries [256^(k+1)·N, 256^(k+1)·(N+1)) for subtree level
 * k (2 in the real archives). Levels above k and partial hash tiles at levels
 * ≤ k are in every zip; a full hash tile at level L ≤ k is in the zip of its
 * subtree; a data tile, full or partial, is in the zip of its subtree (the
 * partial one only there).
 */
export function archiveZipOf(level: number | 'data', index: number, width: number, subtreeLevel = 2): number | 'any' {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`tile index ${index} is not a non-negative integer`);
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) throw new RangeError(`tile width ${width} outside 1..256`);
  if (!Number.isInteger(subtreeLevel) || subtreeLevel < 0) throw new RangeError(`subtree level ${subtreeLevel} is not a non-negative integer`);
  if (level === 'data') return Math.floor(index / TILE_WIDTH ** subtreeLevel);
  if (!Number.isInteger(level) || level < 0) throw new RangeError(`tile level ${level} is not a non-negative integer`);
  if (level > subtreeLevel || width < TILE_WIDTH) return 'any';
  return Math.floor(index / TILE_WIDTH ** (subtreeLevel - level));
}

/** Where the central directory is, from the end of central directory record (and its ZIP64 record). */
interface DirectoryLocation {
  offset: number;
  size: number;
  entries: number;
  /** Where the records after the directory begin (the ZIP64 record, else the EOCD). */
  end: number;
  /** The ZIP64 record's offset when it lies before the tail fetched (it must be fetched too). */
  zip64Record: number | null;
}

/** Member index, one slot per member (columns: 131k members in a few MB rather than 131k objects). */
interface Members {
  byName: Map<string, number>;
  offset: Float64Array;
  compressedSize: Float64Array;
  size: Float64Array;
  crc: Uint32Array;
  method: Uint16Array;
  flags: Uint16Array;
  /** Raw name bytes of the few members whose name is not its UTF-8 bytes (a CP437 or Info-ZIP Unicode path name). */
  rawNames: Map<number, Buffer>;
}

export class ZipArchive {
  private constructor(
    readonly url: string,
    private readonly http: LogHttp,
    /** Total bytes of the zip. */
    readonly size: number,
    /** Where the central directory begins: member data must end before it. */
    private readonly directoryOffset: number,
    private readonly members: Members,
  ) {}

  /** Read the zip's central directory at `url` (absolute, or relative to the LogHttp's base). */
  static async open(http: LogHttp, url: string, o: ZipArchiveOptions = {}): Promise<ZipArchive> {
    const maxDirectory = o.directoryMaxBytes ?? DEFAULT_DIRECTORY_MAX_BYTES;
    const tail = await http.withRetries(`zip ${url} tail`, (route) => http.getRange(url, route, { suffix: TAIL_BYTES }, TAIL_BYTES));
    const size = tail.total;
    let loc = locateDirectory(url, tail.body, tail.start, size);
    if (loc.zip64Record !== null) {
      const at = loc.zip64Record;
      const rec = await http.withRetries(`zip ${url} ZIP64 end of central directory`, (route) => http.getRange(url, route, { start: at, end: at + RECORD_SIZE.zip64Eocd - 1 }, RECORD_SIZE.zip64Eocd));
      loc = { ...readZip64Record(url, rec.body, at, size), zip64Record: null };
    }
    if (loc.size > maxDirectory) throw new ZipFormatError(`zip ${url}: central directory is ${loc.size} bytes, more than the ${maxDirectory} accepted`);
    // One buffer from the directory's start to the end of the file: yauzl reads the tail, the ZIP64 record and every record from it.
    let bytes = tail.body;
    let base = tail.start;
    if (loc.offset < base) {
      const first = loc.offset;
      const last = base - 1;
      const dir = await http.withRetries(`zip ${url} central directory (bytes ${first}-${last})`, (route) => http.getRange(url, route, { start: first, end: last }, last - first + 1));
      if (dir.body.length !== last - first + 1) throw new BadResponse(`zip ${url}: central directory bytes ${first}-${last} came back ${dir.body.length} bytes long`);
      bytes = Buffer.concat([dir.body, tail.body]);
      base = first;
    }
    const members = await readDirectory(url, new MemoryReader(bytes, base), size, loc);
    return new ZipArchive(url, http, size, loc.offset, members);
  }

  /** The same zip, its directory already read, asked through another LogHttp (a worker keeps directories across the sources it opens). */
  through(http: LogHttp): ZipArchive {
    return http === this.http ? this : new ZipArchive(this.url, http, this.size, this.directoryOffset, this.members);
  }

  /** Number of members. */
  get memberCount(): number {
    return this.members.byName.size;
  }

  has(name: string): boolean {
    return this.members.byName.has(name);
  }

  names(): IterableIterator<string> {
    return this.members.byName.keys();
  }

  /**
   * Member `name`'s bytes, uncompressed and checked (CRC-32, size); null when
   * the zip has no such member. A member declared or found larger than
   * `maxBytes` is refused.
   */
  async read(name: string, maxBytes: number): Promise<Buffer | null> {
    const i = this.members.byName.get(name);
    if (i === undefined) return null;
    const m = this.members;
    const what = `zip ${this.url} member ${name}`;
    const method = m.method[i];
    const size = m.size[i];
    const compressedSize = m.compressedSize[i];
    const offset = m.offset[i];
    if (m.flags[i] & 0x1) throw new ZipFormatError(`${what} is encrypted`);
    if (method !== METHOD.stored && method !== METHOD.deflated) throw new ZipFormatError(`${what}: compression method ${method} is not supported (only stored and deflated)`);
    if (size > maxBytes) throw new ZipFormatError(`${what} is ${size} bytes uncompressed, more than the ${maxBytes} accepted`);
    if (compressedSize > deflateBound(size)) throw new ZipFormatError(`${what}: ${compressedSize} compressed bytes cannot hold ${size} bytes`);
    const rawName = m.rawNames.get(i) ?? Buffer.from(name, 'utf8');
    const headerGuess = RECORD_SIZE.localHeader + rawName.length + LOCAL_EXTRA_GUESS;
    const last = Math.min(offset + headerGuess + compressedSize, this.directoryOffset) - 1;
    return this.http.withRetries(what, async (route) => {
      const first = await this.http.getRange(this.url, route, { start: offset, end: last }, last - offset + 1);
      const at = `${what} (bytes ${offset}-${last})`;
      let chunk = first.body;
      if (chunk.length < RECORD_SIZE.localHeader || chunk.readUInt32LE(0) !== SIGNATURE.local) throw new BadResponse(`${at}: no local file header signature`);
      const nameLength = chunk.readUInt16LE(26);
      const extraLength = chunk.readUInt16LE(28);
      const local = chunk.subarray(RECORD_SIZE.localHeader, RECORD_SIZE.localHeader + nameLength);
      if (!local.equals(rawName)) throw new BadResponse(`${at}: local header names ${JSON.stringify(local.toString('latin1').slice(0, 200))}`);
      const dataStart = RECORD_SIZE.localHeader + nameLength + extraLength;
      const dataEnd = dataStart + compressedSize;
      if (offset + dataEnd > this.directoryOffset) throw new ZipFormatError(`${at}: data would run to byte ${offset + dataEnd}, into the central directory at ${this.directoryOffset}`);
      if (dataEnd > chunk.length) {
        // The local extra field is longer than guessed: fetch the rest of the data.
        const from = offset + chunk.length;
        const to = offset + dataEnd - 1;
        const rest = await this.http.getRange(this.url, route, { start: from, end: to }, to - from + 1);
        if (rest.body.length !== to - from + 1) throw new BadResponse(`${what} (bytes ${from}-${to}): came back ${rest.body.length} bytes long`);
        chunk = Buffer.concat([chunk, rest.body]);
      }
      const data = chunk.subarray(dataStart, dataEnd);
      const where = `${what} (data at bytes ${offset + dataStart}-${offset + dataEnd - 1})`;
      const out = method === METHOD.stored ? data : inflate(data, size, where);
      if (out.length !== size) throw new BadResponse(`${where}: ${out.length} bytes, the central directory says ${size}`);
      const crc = crc32(out);
      if (crc !== m.crc[i]) throw new BadResponse(`${where}: CRC-32 ${hex32(crc)}, the central directory says ${hex32(m.crc[i])}`);
      return out;
    });
  }
}

const hex32 = (n: number): string => n.toString(16).padStart(8, '0');

/** Most bytes deflate may take for `n` bytes (stored blocks: 5 bytes per 16 KiB at worst), with slack. */
const deflateBound = (n: number): number => n + 5 * Math.ceil(n / 16_383) + 64;

/** Raw deflate, refused beyond `size` bytes: a member inflating past its declared size is garbled (or a bomb). */
function inflate(data: Buffer, size: number, where: string): Buffer {
  try {
    return inflateRawSync(data, { maxOutputLength: Math.max(1, size) });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) throw new BadResponse(`${where}: inflates to more than the ${size} bytes the central directory says`);
    throw new BadResponse(`${where}: deflate data does not decode: ${e.message}`);
  }
}

/**
 * The end of central directory record in the last bytes of the file (`tail`,
 * starting at byte `tailStart` of `size`), and the ZIP64 record when a locator
 * precedes it. Like yauzl, the last signature wins and a ZIP64 locator right
 * before it is always followed.
 */
function locateDirectory(url: string, tail: Buffer, tailStart: number, size: number): DirectoryLocation {
  const broken = (why: string): ZipFormatError => new ZipFormatError(`zip ${url} is truncated or not a zip (${size} bytes): ${why}`);
  let eocd = -1;
  for (let i = tail.length - RECORD_SIZE.eocd; i >= 0 && eocd < 0; i--) if (tail.readUInt32LE(i) === SIGNATURE.eocd && tail.readUInt16LE(i + 20) === tail.length - i - RECORD_SIZE.eocd) eocd = i;
  if (eocd < 0) throw broken(`no end of central directory record in its last ${tail.length} bytes`);
  const disk = tail.readUInt16LE(eocd + 4);
  const entries = tail.readUInt16LE(eocd + 10);
  const dirSize = tail.readUInt32LE(eocd + 12);
  const dirOffset = tail.readUInt32LE(eocd + 16);
  const locator = eocd - RECORD_SIZE.zip64Locator;
  if (locator >= 0 && tail.readUInt32LE(locator) === SIGNATURE.zip64Locator) {
    const record = Number(tail.readBigUInt64LE(locator + 8));
    if (!Number.isSafeInteger(record) || record + RECORD_SIZE.zip64Eocd > tailStart + locator) throw broken(`ZIP64 locator points to byte ${record}, past itself at ${tailStart + locator}`);
    if (record < tailStart) return { offset: 0, size: 0, entries: 0, end: record, zip64Record: record };
    return readZip64Record(url, tail.subarray(record - tailStart, record - tailStart + RECORD_SIZE.zip64Eocd), record, size);
  }
  if (disk !== 0) throw new ZipFormatError(`zip ${url} spans several disks (disk ${disk}): not supported`);
  return checked(url, size, { offset: dirOffset, size: dirSize, entries, end: tailStart + eocd, zip64Record: null });
}

/** The ZIP64 end of central directory record at byte `at`. */
function readZip64Record(url: string, rec: Buffer, at: number, size: number): DirectoryLocation {
  if (rec.length < RECORD_SIZE.zip64Eocd || rec.readUInt32LE(0) !== SIGNATURE.zip64Eocd) throw new ZipFormatError(`zip ${url} is truncated or not a zip (${size} bytes): no ZIP64 end of central directory record at byte ${at}`);
  const disk = rec.readUInt32LE(16);
  if (disk !== 0) throw new ZipFormatError(`zip ${url} spans several disks (disk ${disk}): not supported`);
  const n = (o: number): number => Number(rec.readBigUInt64LE(o));
  return checked(url, size, { offset: n(48), size: n(40), entries: n(32), end: at, zip64Record: null });
}

/** A directory that does not end where the records after it begin is a cut or spliced file. */
function checked(url: string, size: number, loc: DirectoryLocation): DirectoryLocation {
  const dirEnd = loc.offset + loc.size;
  if (!Number.isSafeInteger(dirEnd) || dirEnd > loc.end) throw new ZipFormatError(`zip ${url} is truncated or not a zip (${size} bytes): central directory at bytes ${loc.offset}-${dirEnd - 1} runs past its end record at ${loc.end}`);
  if (loc.entries * RECORD_SIZE.centralHeader > loc.size) throw new ZipFormatError(`zip ${url}: ${loc.entries} members cannot fit a central directory of ${loc.size} bytes`);
  return loc;
}

/**
 * yauzl's view of the fetched bytes [base, base + bytes.length): reads are
 * copies from memory; a read outside them means the directory points
 * somewhere it should not.
 */
class MemoryReader extends yauzl.RandomAccessReader {
  constructor(
    private readonly bytes: Buffer,
    private readonly base: number,
  ) {
    super();
  }

  private slice(start: number, end: number): Buffer {
    if (start < this.base || end > this.base + this.bytes.length) throw new Error(`read of bytes ${start}-${end - 1} outside the central directory and end records (bytes ${this.base}-${this.base + this.bytes.length - 1})`);
    return this.bytes.subarray(start - this.base, end - this.base);
  }

  override _readStreamForRange(start: number, end: number): Readable {
    try {
      return Readable.from([this.slice(start, end)]);
    } catch (err) {
      return new Readable({ read: () => {} }).destroy(err as Error);
    }
  }

  /** Straight from memory; the callback waits a tick, so yauzl's read → entry → next read loop never deepens the stack. */
  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    let err: Error | null = null;
    try {
      this.slice(position, position + length).copy(buffer, offset);
    } catch (e) {
      err = e as Error;
    }
    process.nextTick(() => (err ? callback(err) : callback(null, length)));
  }
}

/** Parse the central directory once with yauzl into the compact member index; checks the records fill exactly the declared directory. */
async function readDirectory(url: string, reader: MemoryReader, size: number, loc: DirectoryLocation): Promise<Members> {
  const byName = new Map<string, number>();
  const members: Members = {
    byName,
    offset: new Float64Array(loc.entries),
    compressedSize: new Float64Array(loc.entries),
    size: new Float64Array(loc.entries),
    crc: new Uint32Array(loc.entries),
    method: new Uint16Array(loc.entries),
    flags: new Uint16Array(loc.entries),
    rawNames: new Map(),
  };
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(reader, size, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true, strictFileNames: true });
  } catch (err) {
    throw new ZipFormatError(`zip ${url}: ${(err as Error).message}`);
  }
  let recordBytes = 0;
  try {
    if (zip.entryCount !== loc.entries) throw new Error(`yauzl counts ${zip.entryCount} members, the end record ${loc.entries}`);
    let i = 0;
    for await (const e of zip.eachEntry()) {
      if (byName.has(e.fileName)) throw new Error(`member ${e.fileName} appears twice`);
      if (e.relativeOffsetOfLocalHeader + RECORD_SIZE.localHeader + e.compressedSize > loc.offset) throw new Error(`member ${e.fileName} at byte ${e.relativeOffsetOfLocalHeader} (${e.compressedSize} bytes) runs into the central directory at ${loc.offset}`);
      byName.set(e.fileName, i);
      members.offset[i] = e.relativeOffsetOfLocalHeader;
      members.compressedSize[i] = e.compressedSize;
      members.size[i] = e.uncompressedSize;
      members.crc[i] = e.crc32;
      members.method[i] = e.compressionMethod;
      members.flags[i] = e.generalPurposeBitFlag;
      if (!e.fileNameRaw.equals(Buffer.from(e.fileName, 'utf8'))) members.rawNames.set(i, Buffer.from(e.fileNameRaw));
      recordBytes += RECORD_SIZE.centralHeader + e.fileNameLength + e.extraFieldLength + e.fileCommentLength;
      i++;
    }
  } catch (err) {
    throw new ZipFormatError(`zip ${url}: central directory at bytes ${loc.offset}-${loc.offset + loc.size - 1}: ${(err as Error).message}`);
  } finally {
    zip.close();
  }
  if (recordBytes !== loc.size) throw new ZipFormatError(`zip ${url}: central directory records take ${recordBytes} bytes, the end record says ${loc.size}`);
  return members;
}
