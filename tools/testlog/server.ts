/**
 * The RFC 6962 read API over a log's entries (a generated corpus's, or a
 * test's own list: leaf-list.ts), for several logs on one node:http server,
 * each under `/<category>/<name>/ct/v1/`, with its operator's get-entries
 * quirks and the faults switched on for it. The same prefix also serves each
 * log as static-ct-api (checkpoint, tiles, issuers: tiles.ts), over the same
 * leaves and tree. serveLog() answers for one log under any prefix, with other
 * get-entries quirks if asked: one tree behind several front ends.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createHash, type KeyObject } from 'node:crypto';
import { MerkleTree, signTreeHead, sthToJson, type SignedTreeHead } from '../../src/share/ct/index.js';
import { originOf } from '../../src/share/ct/checkpoint.js';
import { TokenBucket, validateFaults, type FaultOptions, type LogRequest, type RequestFault, type RequestScript } from './faults.js';
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

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** What a served log holds: its entries, as get-entries, the data tiles, the proofs and the archives read them. */
export interface LogEntries {
  readonly size: number;
  /** The leaves carry the leaf_index extension (a static-ct-api log). */
  readonly leafIndex: boolean;
  /** get-roots: base64 DER. */
  readonly roots: string[];
  leafHash(i: number): Buffer;
  leafInput(i: number): Buffer;
  /** get-entries' extra_data, base64. */
  extraData(i: number): string;
  /** Entry i as a data tile holds it: the TimestampedEntry (leaf_input without its 2-byte header), the precertificate, the chain fingerprints. */
  tileLeaf(i: number): Buffer;
  issuer(hex: string): Buffer | undefined;
  issuerNames(): string[];
  entryTimestamp(i: number): number;
  /** Append `count` entries now, as a growing log does; absent: the log cannot grow. */
  append?(count: number): void;
}

/** Options of a log made for one test rather than served from a corpus. */
export interface LogStateOptions {
  /** Faults decided per request by the test, in the order requests come. */
  script?: RequestScript;
  /** Keep every request in `requests`. */
  recordRequests?: boolean;
  /** get-entries answers wait for this, so a test can change the world while a scan is under way. */
  entriesGate?: Promise<void>;
  /**
   * Publish a tree head for this many entries over a made-up root, without a Merkle tree: a log
   * a manager only plans against. get-entries serves the entries up to it; proofs are refused.
   */
  claimedSize?: number;
  /** Bytes of compressed data tiles kept (default: tiles.ts's); a benchmark compresses every tile before its clock starts. */
  tileCacheBytes?: number;
}

/** One served log: its entries, Merkle tree, key, tree heads and faults. */
export class LogState implements TileSource {
  readonly tree = new MerkleTree();
  private sth: SignedTreeHead | null = null;
  private readonly history: SignedTreeHead[] = [];
  private hashIndex: Map<number, number> | null = null;
  private faults: FaultOptions = {};
  private bucket: TokenBucket | null = null;
  private inProgress = 0;
  private connectionBuckets = new WeakMap<Socket, TokenBucket>();
  private growthTimer: NodeJS.Timeout | null = null;
  private readonly rng: Rng;
  private published: number | null = null;
  private readonly claimedRoot: Buffer | null;
  readonly spki: Buffer;
  /** Checkpoint origin: the log's prefix URL without scheme and trailing slash (set once the server listens). */
  origin: string;
  /** The static-ct-api read path of this log. */
  readonly tiles: TiledLogHandler;
  /** A shut-down log: its own prefix answers 410 Gone; it is served only as mirrors and archives. */
  shutDown: ShutDownLog | null = null;
  /** Every request (with recordRequests). */
  readonly requests: LogRequest[] = [];
  private requestCount = 0;

  constructor(
    readonly category: string,
    readonly name: string,
    readonly quirks: Quirks,
    readonly key: KeyObject,
    readonly entries: LogEntries,
    seed: string,
    readonly options: LogStateOptions = {},
  ) {
    this.claimedRoot = options.claimedSize === undefined ? null : createHash('sha256').update(`claimed ${seed} ${name}`).digest();
    if (this.claimedRoot === null) for (let i = 0; i < entries.size; i++) this.tree.appendLeafHash(entries.leafHash(i));
    this.rng = new Rng(seed, `faults:${name}`);
    this.spki = spkiOf(key);
    this.origin = `ctjp.test${this.prefix}`.replace(/\/$/, '');
    this.tiles = new TiledLogHandler(this, () => this.faults.tiles ?? {}, { cacheBytes: options.tileCacheBytes });
  }

  /** The API the log advertises: its leaves carry the leaf_index extension (static-ct-api) or none (rfc6962). Every log serves both read paths. */
  get api(): 'rfc6962' | 'static-ct-api' {
    return this.entries.leafIndex ? 'static-ct-api' : 'rfc6962';
  }

  get prefix(): string {
    return `/${this.category}/${this.name}/`;
  }

  /** Entries served (get-entries, proofs and tiles reach this far). */
  get size(): number {
    return this.options.claimedSize ?? this.tree.size;
  }

  get roots(): string[] {
    return this.entries.roots;
  }

  /** Publish a tree head for fewer entries than are served (null: all of them), as a log whose front ends serve entries before its tree head covers them. */
  setPublishedSize(n: number | null): void {
    if (n !== null && !(Number.isSafeInteger(n) && n >= 0 && n <= this.size)) throw new RangeError(`published size ${n} outside 0..${this.size}`);
    this.published = n;
  }

  setFaults(f: FaultOptions): void {
    validateFaults(f, `faults of ${this.name}`);
    if ((f.growthPerSecond ?? 0) > 0 && this.entries.append === undefined) throw new RangeError(`${this.name} cannot grow`);
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

  /** Append `count` entries now (timestamps from the clock), as a growing log does. */
  append(count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`append: count must be a non-negative integer, got ${count}`);
    if (this.entries.append === undefined || this.claimedRoot !== null) throw new RangeError(`${this.name} cannot grow`);
    const from = this.entries.size;
    this.entries.append(count);
    for (let i = from; i < this.entries.size; i++) {
      const h = this.entries.leafHash(i);
      this.tree.appendLeafHash(h);
      this.hashIndex?.set(h.readUIntBE(0, 6), i);
    }
  }

  /** The latest signed tree head; re-signed when the published tree has changed. */
  currentSth(): SignedTreeHead {
    const size = this.published ?? this.size;
    if (!this.sth || this.sth.treeSize !== size) {
      const last = this.sth?.timestamp ?? 0;
      const newestLeaf = size > 0 && this.claimedRoot === null ? this.entries.entryTimestamp(size - 1) : 0;
      const timestamp = Math.max(Date.now(), last + 1, newestLeaf + 1);
      if (this.sth) this.history.push(this.sth);
      this.sth = signTreeHead(this.key, timestamp, size, this.claimedRoot ?? this.tree.root(size));
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
    if (current.treeSize === 0 || this.claimedRoot !== null) return current;
    const size = Math.max(0, current.treeSize - Math.max(1, Math.ceil(current.treeSize / 100)));
    const stale = signTreeHead(this.key, current.timestamp - 60_000, size, this.tree.root(size));
    this.history.push(stale);
    return stale;
  }

  /** A log that only claims its tree has no proofs to give. */
  get provable(): boolean {
    return this.claimedRoot === null;
  }

  leafInput(i: number): Buffer {
    return this.entries.leafInput(i);
  }

  tileLeaf(i: number): Buffer {
    return this.entries.tileLeaf(i);
  }

  issuer(hex: string): Buffer | undefined {
    return this.entries.issuer(hex);
  }

  issuerNames(): string[] {
    return this.entries.issuerNames();
  }

  extraData(i: number): string {
    return this.entries.extraData(i);
  }

  /** The first index of a leaf hash (a leaf logged twice is found at its first index), or -1. */
  indexOfHash(hash: Buffer): number {
    if (!this.hashIndex) {
      const m = new Map<number, number>();
      // The tree's own hashes: entries whose hash depends on their index (leaf_index) would be hashed again.
      for (let i = this.tree.size - 1; i >= 0; i--) m.set(this.tree.leafHashAt(i).readUIntBE(0, 6), i);
      this.hashIndex = m;
    }
    const i = this.hashIndex.get(hash.readUIntBE(0, 6));
    if (i === undefined || !this.tree.leafHashAt(i).equals(hash)) return -1;
    return i;
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

  /** The request (`path` relative to the prefix it came under) as the test's script and record see it; null when the test asked for neither. */
  scripted(path: string, q: URLSearchParams): { request: LogRequest; fault: RequestFault | null } | null {
    const { script, recordRequests } = this.options;
    if (!script && !recordRequests) return null;
    const num = (k: string): number | null => (q.has(k) ? Number(q.get(k)) : null);
    const request: LogRequest = { path: `/${path}`, start: num('start'), end: num('end'), served: 0, fault: null };
    const fault = script?.(this.requestCount++, { path: request.path, start: request.start, end: request.end }) ?? null;
    request.fault = fault?.kind ?? null;
    if (recordRequests) this.requests.push(request);
    return { request, fault };
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

function handleEndpoint(log: LogState, quirks: Quirks, endpoint: string, q: URLSearchParams, scripted: { request: LogRequest; fault: RequestFault | null } | null = null): string {
  const size = log.size;
  if (!log.provable && endpoint !== 'get-sth' && endpoint !== 'get-entries' && endpoint !== 'get-roots') throw new HttpError(400, `${log.name} only claims its tree: no proofs`);
  switch (endpoint) {
    case 'get-sth':
      return JSON.stringify(sthToJson(log.wantsStaleSth() ? log.staleSth() : log.currentSth()));
    case 'get-entries': {
      const start = intParam(q, 'start');
      const end = intParam(q, 'end');
      if (start > end) throw new HttpError(400, `start ${start} is after end ${end}`);
      if (start >= size) throw new HttpError(400, `start ${start} is beyond the tree size ${size}`);
      const { pageSize, aligned } = quirks;
      let last = Math.min(end, size - 1, start + pageSize - 1);
      if (aligned) last = Math.min(last, start - (start % pageSize) + pageSize - 1);
      const fault = scripted?.fault?.kind;
      if (fault === 'more-than-asked') last = Math.min(size - 1, end + 1);
      if (fault === 'empty') last = start - 1;
      const parts: string[] = [];
      for (let i = start; i <= last; i++) parts.push(`{"leaf_input":"${b64(log.leafInput(i))}","extra_data":"${log.extraData(i)}"}`);
      if (parts.length > 0 && fault === 'garbage-leaf') parts[0] = `{"leaf_input":"${b64(Buffer.from('not a leaf'))}","extra_data":""}`;
      if (parts.length > 0 && fault === 'swapped-leaf') parts[0] = swappedEntry(log, start);
      if (scripted) scripted.request.served = parts.length;
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

/** A real, well-formed entry of the log that is not entry `at`. */
function swappedEntry(log: LogState, at: number): string {
  const own = log.leafInput(at);
  for (let j = 0; j < log.size; j++) {
    const other = log.leafInput(j);
    if (!other.equals(own)) return `{"leaf_input":"${b64(other)}","extra_data":"${log.extraData(j)}"}`;
  }
  throw new Error(`no other entry to put in place of entry ${at}`);
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

/**
 * Answer a request for `path` (relative to the prefix `log` is served under): the RFC 6962 read
 * API with these get-entries quirks, or a static-ct-api path, with the log's faults. Several
 * prefixes may serve one log with different quirks, over its one tree and tree head. Never
 * rejects: a failure answers 500, or drops the connection once the answer has begun.
 */
export async function serveLog(req: IncomingMessage, res: ServerResponse, url: URL, log: LogState, path: string, quirks: Quirks = log.quirks): Promise<void> {
  const endpoint = /^ct\/v1\/([a-z-]+)$/.exec(path)?.[1];
  if (endpoint === undefined && !isTiledPath(path)) return send(res, 404, JSON.stringify({ error: `no log endpoint at ${url.pathname}` }));
  if (log.shutDown) return send(res, 410, JSON.stringify({ error: `${log.name} is shut down` }));
  if (req.method !== 'GET') return send(res, 405, JSON.stringify({ error: 'only GET is served' }), { allow: 'GET' });
  if (!log.admit(req.socket)) return send(res, 429, JSON.stringify({ error: 'too many requests' }));
  try {
    await answer(req, res, url, log, path, endpoint, quirks);
  } catch (err) {
    if (!res.headersSent) send(res, 500, JSON.stringify({ error: String(err) }));
    else res.destroy();
  } finally {
    log.release();
  }
}

/** `endpoint`: the RFC 6962 one asked for; undefined: the static-ct-api `path`. */
async function answer(req: IncomingMessage, res: ServerResponse, url: URL, log: LogState, path: string, endpoint: string | undefined, quirks: Quirks): Promise<void> {
  const scripted = log.scripted(path, url.searchParams);
  if (scripted?.fault?.kind === 'drop') {
    req.socket.destroy();
    return;
  }
  if (scripted?.fault?.kind === 'status') {
    const { status, retryAfter } = scripted.fault;
    return send(res, status, JSON.stringify({ error: `fault ${status}` }), retryAfter === undefined ? {} : { 'retry-after': retryAfter });
  }
  if (endpoint === 'get-entries' && log.options.entriesGate) await log.options.entriesGate;
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
  if (endpoint === undefined) return sendTileAnswer(res, log.tiles.answer(path)!);
  try {
    send(res, 200, handleEndpoint(log, quirks, endpoint, url.searchParams, scripted));
  } catch (err) {
    if (err instanceof HttpError) return send(res, err.status, JSON.stringify({ error: err.message }));
    throw err;
  }
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
      send(res, 200, endpoint === 'get-sth' ? frozen.getSth(kind) : handleEndpoint(log, log.quirks, endpoint, url.searchParams));
    } catch (err) {
      if (err instanceof HttpError) return send(res, err.status, JSON.stringify({ error: err.message }));
      throw err;
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const e = ELSEWHERE_PATH.exec(url.pathname);
    if (e) return this.elsewhere(req, res, url, e);
    const m = /^(\/[^/]+\/[^/]+\/)(.*)$/.exec(url.pathname);
    const log = m ? this.byPrefix.get(m[1]) : undefined;
    if (!m || !log) return send(res, 404, JSON.stringify({ error: `no log endpoint at ${url.pathname}` }));
    return serveLog(req, res, url, log, m[2]);
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
