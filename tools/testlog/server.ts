/**
 * The RFC 6962 read API over a generated corpus, for several logs on one
 * node:http server, each under `/<category>/<name>/ct/v1/`, with its
 * operator's get-entries quirks and the faults switched on for it. The same
 * prefix also serves each log as static-ct-api (checkpoint, tiles, issuers:
 * tiles.ts), over the same leaves and tree.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash, type KeyObject } from 'node:crypto';
import { MerkleTree, signTreeHead, sthToJson, type SignedTreeHead } from '../../src/share/ct/index.js';
import { originOf } from '../../src/share/ct/checkpoint.js';
import { ENTRY_PRECERT, hashEntries, LEAF_SUFFIX_MAX, NO_OBJECT, writeLeafPrefix, writeLeafSuffix, type Corpus, type LogTable } from './corpus.js';
import { TokenBucket, validateFaults, type FaultOptions } from './faults.js';
import { spkiOf } from './keys.js';
import { Rng } from './rng.js';
import { ELSEWHERE_PATH, MIRROR_KINDS, type ElsewhereKind, type ShutDownLog } from './elsewhere.js';
import { isTiledPath, sendTileAnswer, TiledLogHandler, type TileSource } from './tiles.js';

export interface Quirks {
  /** Most entries one get-entries answer holds. */
  pageSize: number;
  /** Google-style: an answer never crosses a multiple of pageSize. */
  aligned: boolean;
}

const u24 = (n: number): Buffer => Buffer.of(n >> 16, (n >> 8) & 0xff, n & 0xff);

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** One served log: its entries (growable), Merkle tree, key, tree heads and faults. */
export class LogState implements TileSource {
  readonly tree = new MerkleTree();
  private table: LogTable;
  private capacity: number;
  private sth: SignedTreeHead | null = null;
  private readonly history: SignedTreeHead[] = [];
  private hashIndex: Map<number, number> | null = null;
  private faults: FaultOptions = {};
  private bucket: TokenBucket | null = null;
  private inProgress = 0;
  private connectionBuckets = new WeakMap<Socket, TokenBucket>();
  private growthTimer: NodeJS.Timeout | null = null;
  private readonly rng: Rng;
  private readonly chainLists: Buffer[];
  private readonly x509Extra: string[];
  private readonly growthRng: Rng;
  /** get-roots: every root of the corpus, base64 DER. */
  readonly roots: string[];
  /** Per chain: the TileLeaf certificate_chain vector (uint16 length, SHA-256 of each certificate). */
  private readonly chainFingerprints: Buffer[];
  /** issuer/<hex>: every certificate of every chain, by SHA-256. */
  private readonly issuers = new Map<string, Buffer>();
  readonly spki: Buffer;
  /** Checkpoint origin: the log's prefix URL without scheme and trailing slash (set once the server listens). */
  origin: string;
  /** The static-ct-api read path of this log. */
  readonly tiles: TiledLogHandler;
  /** A shut-down log: its own prefix answers 410 Gone; it is served only as mirrors and archives. */
  shutDown: ShutDownLog | null = null;

  constructor(
    readonly category: string,
    readonly name: string,
    readonly quirks: Quirks,
    readonly key: KeyObject,
    private readonly corpus: Corpus,
    table: LogTable,
    seed: string,
  ) {
    this.table = table;
    this.capacity = table.size;
    for (let i = 0; i < table.size; i++) this.tree.appendLeafHash(table.hashes.subarray(32 * i, 32 * i + 32));
    this.rng = new Rng(seed, `faults:${name}`);
    this.growthRng = new Rng(seed, `growth:${name}`);
    this.chainLists = corpus.chains.map((c) => {
      const body = Buffer.concat(c.certs.flatMap((id) => [u24(corpus.objects[id].length), corpus.objects[id]]));
      return Buffer.concat([u24(body.length), body]);
    });
    this.x509Extra = this.chainLists.map((b) => b.toString('base64'));
    this.roots = corpus.roots.map((id) => corpus.objects[id].toString('base64'));
    this.chainFingerprints = corpus.chains.map((c) => {
      const fps = c.certs.map((id) => {
        const fp = createHash('sha256').update(corpus.objects[id]).digest();
        this.issuers.set(fp.toString('hex'), corpus.objects[id]);
        return fp;
      });
      return Buffer.concat([Buffer.of((32 * fps.length) >> 8, (32 * fps.length) & 0xff), ...fps]);
    });
    this.spki = spkiOf(key);
    this.origin = `ctjp.test${this.prefix}`.replace(/\/$/, '');
    this.tiles = new TiledLogHandler(this, () => this.faults.tiles ?? {});
  }

  /** The API the log advertises: its leaves carry the leaf_index extension (static-ct-api) or none (rfc6962). Every log serves both read paths. */
  get api(): 'rfc6962' | 'static-ct-api' {
    return this.table.leafIndex ? 'static-ct-api' : 'rfc6962';
  }

  get prefix(): string {
    return `/${this.category}/${this.name}/`;
  }

  get size(): number {
    return this.tree.size;
  }

  setFaults(f: FaultOptions): void {
    validateFaults(f, `faults of ${this.name}`);
    this.faults = { ...f };
    this.bucket = f.rateLimit ? new TokenBucket(f.rateLimit) : null;
    if (this.growthTimer) clearInterval(this.growthTimer);
    this.growthTimer = null;
    const rate = f.growthPerSecond ?? 0;
    if (rate > 0) {
      const tickMs = 250;
      let owed = 0;
      this.growthTimer = setInterval(() => {
        owed += (rate * tickMs) / 1000;
        const n = Math.floor(owed);
        owed -= n;
        if (n > 0) this.append(n);
      }, tickMs);
      this.growthTimer.unref();
    }
  }

  stop(): void {
    if (this.growthTimer) clearInterval(this.growthTimer);
    this.growthTimer = null;
  }

  /** Append `count` filler entries now (timestamps from the clock), as a growing log does. */
  append(count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`append: count must be a non-negative integer, got ${count}`);
    const from = this.table.size;
    const to = from + count;
    if (to > this.capacity) this.grow(Math.max(to, Math.ceil(this.capacity * 1.5) + 1024));
    const t = this.table;
    const pool = this.corpus.pool;
    const recent = Math.max(1, Math.floor(pool.length / 10));
    let ts = Math.max(Date.now(), from > 0 ? t.ts[from - 1] + 1 : 0);
    for (let i = from; i < to; i++) {
      const item = pool[pool.length - 1 - this.growthRng.int(recent)];
      const precert = this.growthRng.chance(0.7);
      t.ts[i] = ts++;
      t.type[i] = precert ? ENTRY_PRECERT : 0;
      t.obj[i] = precert ? item.tbs : item.final;
      t.pre[i] = precert ? item.precert : NO_OBJECT;
      t.chain[i] = item.chain;
    }
    t.size = to;
    hashEntries(t, from, to, this.corpus.objects, this.corpus.chains);
    for (let i = from; i < to; i++) {
      const h = t.hashes.subarray(32 * i, 32 * i + 32);
      this.tree.appendLeafHash(h);
      this.hashIndex?.set(h.readUIntBE(0, 6), i);
    }
  }

  private grow(capacity: number): void {
    const t = this.table;
    const copy = <T extends Float64Array | Uint8Array | Uint32Array | Uint16Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a.subarray(0, t.size) as never);
      return b;
    };
    const hashes = Buffer.alloc(32 * capacity);
    t.hashes.copy(hashes, 0, 0, 32 * t.size);
    this.table = {
      name: t.name,
      size: t.size,
      ts: copy(t.ts, (n) => new Float64Array(n)),
      type: copy(t.type, (n) => new Uint8Array(n)),
      obj: copy(t.obj, (n) => new Uint32Array(n)),
      pre: copy(t.pre, (n) => new Uint32Array(n)),
      chain: copy(t.chain, (n) => new Uint16Array(n)),
      hashes,
      leafIndex: t.leafIndex,
    };
    this.capacity = capacity;
  }

  /** The latest signed tree head; re-signed when the tree has grown. */
  currentSth(): SignedTreeHead {
    if (!this.sth || this.sth.treeSize !== this.size) {
      const last = this.sth?.timestamp ?? 0;
      const newestLeaf = this.size > 0 ? this.table.ts[this.size - 1] : 0;
      const timestamp = Math.max(Date.now(), last + 1, newestLeaf + 1);
      if (this.sth) this.history.push(this.sth);
      this.sth = signTreeHead(this.key, timestamp, this.size, this.tree.root(this.size));
    }
    return this.sth;
  }

  /** The checkpoint's tree head: the same as get-sth's. */
  treeHead(): SignedTreeHead {
    return this.currentSth();
  }

  /** An older head for a smaller tree, as a lagging replica would serve. */
  staleSth(): SignedTreeHead {
    const current = this.currentSth();
    const older = this.history.filter((h) => h.treeSize < current.treeSize);
    if (older.length > 0) return older[older.length - 1];
    if (current.treeSize === 0) return current;
    const size = Math.max(0, current.treeSize - Math.max(1, Math.ceil(current.treeSize / 100)));
    const stale = signTreeHead(this.key, current.timestamp - 60_000, size, this.tree.root(size));
    this.history.push(stale);
    return stale;
  }

  leafInput(i: number): Buffer {
    const t = this.table;
    const body = this.corpus.objects[t.obj[i]];
    const buf = Buffer.allocUnsafe(12 + 32 + 3 + body.length + LEAF_SUFFIX_MAX);
    const p = writeLeafPrefix(buf, 0, t, i, body.length, this.corpus.chains);
    body.copy(buf, p);
    return buf.subarray(0, writeLeafSuffix(buf, p + body.length, t, i));
  }

  /** Entry i as a data tile holds it: the TimestampedEntry (leaf_input without its 2-byte header), the precertificate, the chain fingerprints. */
  tileLeaf(i: number): Buffer {
    const t = this.table;
    const body = this.corpus.objects[t.obj[i]];
    const pre = t.pre[i] === NO_OBJECT ? null : this.corpus.objects[t.pre[i]];
    const fps = this.chainFingerprints[t.chain[i]];
    const buf = Buffer.allocUnsafe(12 + 32 + 3 + body.length + LEAF_SUFFIX_MAX + (pre ? 3 + pre.length : 0) + fps.length);
    let p = writeLeafPrefix(buf, 0, t, i, body.length, this.corpus.chains);
    body.copy(buf, p);
    p = writeLeafSuffix(buf, p + body.length, t, i);
    if (pre) {
      buf.writeUIntBE(pre.length, p, 3);
      pre.copy(buf, p + 3);
      p += 3 + pre.length;
    }
    fps.copy(buf, p);
    return buf.subarray(2, p + fps.length);
  }

  issuer(hex: string): Buffer | undefined {
    return this.issuers.get(hex);
  }

  issuerNames(): string[] {
    return [...this.issuers.keys()];
  }

  extraData(i: number): string {
    const t = this.table;
    if (t.pre[i] === NO_OBJECT) return this.x509Extra[t.chain[i]];
    const pre = this.corpus.objects[t.pre[i]];
    return Buffer.concat([u24(pre.length), pre, this.chainLists[t.chain[i]]]).toString('base64');
  }

  indexOfHash(hash: Buffer): number {
    if (!this.hashIndex) {
      const m = new Map<number, number>();
      const h = this.table.hashes;
      for (let i = this.size - 1; i >= 0; i--) m.set(h.readUIntBE(32 * i, 6), i);
      this.hashIndex = m;
    }
    const i = this.hashIndex.get(hash.readUIntBE(0, 6));
    if (i === undefined || !this.table.hashes.subarray(32 * i, 32 * i + 32).equals(hash)) return -1;
    return i;
  }

  entryTimestamp(i: number): number {
    return this.table.ts[i];
  }

  /** Fault decisions for one request, drawn from the log's seeded stream. */
  drawFaults(): { drop: boolean; delayMs: number; retryAfter: number; error: number } {
    const f = this.faults;
    const lat = f.latencyMs;
    const [lo, hi] = lat === undefined ? [0, 0] : Array.isArray(lat) ? lat : [lat, lat];
    const delayMs = lo + (hi > lo ? this.rng.int(hi - lo + 1) : 0);
    const drop = (f.dropRate ?? 0) > 0 && this.rng.chance(f.dropRate!);
    const retryAfter = this.bucket ? this.bucket.take() : 0;
    const error = (f.errorRate ?? 0) > 0 && this.rng.chance(f.errorRate!) ? this.rng.pick([500, 502, 503, 504]) : 0;
    return { drop, delayMs, retryAfter, error };
  }

  /**
   * The operator-style limits checked before anything else: the concurrency cap and the
   * per-connection bucket. False: answer 429 (without Retry-After) at once.
   */
  admit(socket: Socket): boolean {
    const cap = this.faults.maxConcurrent;
    if (cap !== undefined && this.inProgress >= cap) return false;
    const per = this.faults.perConnection;
    if (per) {
      let bucket = this.connectionBuckets.get(socket);
      if (bucket === undefined) this.connectionBuckets.set(socket, (bucket = new TokenBucket(per)));
      if (bucket.take() > 0) return false;
    }
    this.inProgress++;
    return true;
  }

  release(): void {
    this.inProgress--;
  }

  sendsRetryAfter(): boolean {
    return this.faults.rateLimit?.retryAfter !== false;
  }

  wantsStaleSth(): boolean {
    return (this.faults.staleSthRate ?? 0) > 0 && this.rng.chance(this.faults.staleSthRate!);
  }
}

function intParam(q: URLSearchParams, name: string): number {
  const v = q.get(name);
  if (v === null) throw new HttpError(400, `missing parameter ${name}`);
  if (!/^\d{1,15}$/.test(v)) throw new HttpError(400, `parameter ${name} is not a non-negative integer: ${JSON.stringify(v.slice(0, 40))}`);
  return Number(v);
}

const b64 = (b: Buffer): string => b.toString('base64');

function handleEndpoint(log: LogState, endpoint: string, q: URLSearchParams): string {
  const size = log.size;
  switch (endpoint) {
    case 'get-sth':
      return JSON.stringify(sthToJson(log.wantsStaleSth() ? log.staleSth() : log.currentSth()));
    case 'get-entries': {
      const start = intParam(q, 'start');
      const end = intParam(q, 'end');
      if (start > end) throw new HttpError(400, `start ${start} is after end ${end}`);
      if (start >= size) throw new HttpError(400, `start ${start} is beyond the tree size ${size}`);
      const { pageSize, aligned } = log.quirks;
      let last = Math.min(end, size - 1, start + pageSize - 1);
      if (aligned) last = Math.min(last, start - (start % pageSize) + pageSize - 1);
      const parts: string[] = [];
      for (let i = start; i <= last; i++) parts.push(`{"leaf_input":"${b64(log.leafInput(i))}","extra_data":"${log.extraData(i)}"}`);
      return `{"entries":[${parts.join(',')}]}`;
    }
    case 'get-roots':
      return JSON.stringify({ certificates: log.roots });
    case 'get-proof-by-hash': {
      const raw = q.get('hash');
      if (raw === null) throw new HttpError(400, 'missing parameter hash');
      const hash = Buffer.from(raw.replace(/ /g, '+'), 'base64');
      if (hash.length !== 32 || hash.toString('base64') !== raw.replace(/ /g, '+')) throw new HttpError(400, 'parameter hash is not a base64 SHA-256 hash');
      const treeSize = intParam(q, 'tree_size');
      if (treeSize < 1 || treeSize > size) throw new HttpError(400, `tree_size ${treeSize} outside 1..${size}`);
      const index = log.indexOfHash(hash);
      if (index < 0 || index >= treeSize) throw new HttpError(404, `no leaf with this hash in the tree of size ${treeSize}`);
      return JSON.stringify({ leaf_index: index, audit_path: log.tree.inclusionProof(index, treeSize).map(b64) });
    }
    case 'get-sth-consistency': {
      const first = intParam(q, 'first');
      const second = intParam(q, 'second');
      if (first > second) throw new HttpError(400, `first ${first} is greater than second ${second}`);
      if (second > size) throw new HttpError(400, `second ${second} is beyond the tree size ${size}`);
      return JSON.stringify({ consistency: log.tree.consistencyProof(first, second).map(b64) });
    }
    case 'get-entry-and-proof': {
      const index = intParam(q, 'leaf_index');
      const treeSize = intParam(q, 'tree_size');
      if (treeSize > size) throw new HttpError(400, `tree_size ${treeSize} is beyond the tree size ${size}`);
      if (index >= treeSize) throw new HttpError(400, `leaf_index ${index} is not below tree_size ${treeSize}`);
      return JSON.stringify({ leaf_input: b64(log.leafInput(index)), extra_data: log.extraData(index), audit_path: log.tree.inclusionProof(index, treeSize).map(b64) });
    }
    default:
      throw new HttpError(404, `unknown endpoint ${endpoint}`);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendError(res: ServerResponse, status: number): void {
  // Gateways in front of real logs answer 502/504 with HTML pages.
  if (status === 502 || status === 504) {
    const body = `<html><head><title>${status}</title></head><body><h1>${status === 502 ? 'Bad Gateway' : 'Gateway Timeout'}</h1></body></html>`;
    res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  send(res, status, JSON.stringify({ error: status === 503 ? 'service unavailable' : 'internal error' }));
}

export class TestLogServer {
  private server: Server | null = null;
  private readonly byPrefix = new Map<string, LogState>();

  constructor(readonly logs: LogState[]) {
    for (const l of logs) this.byPrefix.set(l.prefix, l);
  }

  /** A shut-down log's mirrors and archives (elsewhere.ts). */
  private async elsewhere(req: IncomingMessage, res: ServerResponse, url: URL, e: RegExpExecArray): Promise<void> {
    const kind = e[1] as ElsewhereKind;
    const log = this.byPrefix.get(e[2]);
    const frozen = log?.shutDown;
    if (!log || !frozen) return send(res, 404, JSON.stringify({ error: `no shut-down log at ${url.pathname}` }));
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, JSON.stringify({ error: 'only GET and HEAD are served' }), { allow: 'GET, HEAD' });
    if (!MIRROR_KINDS.includes(kind)) return frozen.sendZip(req, res, kind, e[3]);
    const endpoint = /^ct\/v1\/([a-z-]+)$/.exec(e[3])?.[1];
    if (endpoint === undefined) return send(res, 404, JSON.stringify({ error: `a mirror serves only the RFC 6962 read API, not ${e[3]}` }));
    try {
      send(res, 200, endpoint === 'get-sth' ? frozen.getSth(kind) : handleEndpoint(log, endpoint, url.searchParams));
    } catch (err) {
      if (err instanceof HttpError) return send(res, err.status, JSON.stringify({ error: err.message }));
      throw err;
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const e = ELSEWHERE_PATH.exec(url.pathname);
    if (e) return this.elsewhere(req, res, url, e);
    const m = /^(\/[^/]+\/[^/]+\/)(?:ct\/v1\/([a-z-]+)|(.+))$/.exec(url.pathname);
    const log = m ? this.byPrefix.get(m[1]) : undefined;
    const tiled = m?.[3] !== undefined && isTiledPath(m[3]);
    if (!m || !log || (m[2] === undefined && !tiled)) return send(res, 404, JSON.stringify({ error: `no log endpoint at ${url.pathname}` }));
    if (log.shutDown) return send(res, 410, JSON.stringify({ error: `${log.name} is shut down` }));
    if (req.method !== 'GET') return send(res, 405, JSON.stringify({ error: 'only GET is served' }), { allow: 'GET' });
    if (!log.admit(req.socket)) return send(res, 429, JSON.stringify({ error: 'too many requests' }));
    try {
      await this.answer(req, res, log, url, m, tiled);
    } finally {
      log.release();
    }
  }

  private async answer(req: IncomingMessage, res: ServerResponse, log: LogState, url: URL, m: RegExpExecArray, tiled: boolean): Promise<void> {
    const f = log.drawFaults();
    if (f.delayMs > 0) await sleep(f.delayMs);
    if (f.drop) {
      req.socket.destroy();
      return;
    }
    if (f.retryAfter > 0) {
      return send(res, 429, JSON.stringify({ error: 'rate limited' }), log.sendsRetryAfter() ? { 'retry-after': String(f.retryAfter) } : {});
    }
    if (f.error) return sendError(res, f.error);
    if (tiled) return sendTileAnswer(res, log.tiles.answer(m[3])!);
    try {
      send(res, 200, handleEndpoint(log, m[2], url.searchParams));
    } catch (err) {
      if (err instanceof HttpError) return send(res, err.status, JSON.stringify({ error: err.message }));
      throw err;
    }
  }

  async listen(host: string, port: number): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, JSON.stringify({ error: String(err) }));
        else res.destroy();
      });
    });
    // Long keep-alive, as real log front ends have: a short one races clients that reuse an idle
    // connection just as the server closes it (ECONNRESET), most of all in-process after a busy stretch.
    server.keepAliveTimeout = 60_000;
    server.headersTimeout = 65_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const base = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
    for (const l of this.logs) l.origin = originOf(`${base}${l.prefix}`);
    return base;
  }

  async close(): Promise<void> {
    for (const l of this.logs) l.stop();
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
