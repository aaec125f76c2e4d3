/**
 * The one HTTP path to a CT log, for both read APIs and for manager and
 * worker alike: requests go out through a route (direct or a proxy), spaced
 * by a pacer, with a timeout, a body size cap and gzip decoding with its own
 * cap; every failure is retried with jittered backoff, and a 429 waits for
 * Retry-After when the log gives one (else backs off and spaces all requests
 * to the log further apart). Nothing but a usable answer, a give-up or an
 * abort leaves `withRetries`.
 */
import { gunzipSync } from 'node:zlib';
import { request, type Dispatcher } from 'undici';
import { DEFAULT_BACKOFF, Pacer, backoffDelay, parseRetryAfter, sleep, type BackoffPolicy } from './backoff.js';
import { CtDecodeError } from './errors.js';
import { RoutePool, type Route } from './routes.js';

export type HttpEvent =
  | { type: 'rate-limited'; waitMs: number; retryAfter: boolean; route: string }
  | { type: 'retry'; reason: string; waitMs: number; route: string };

export interface LogHttpOptions {
  /** Proxies to spread the requests over; or a shared RoutePool. Direct when empty. */
  proxies?: readonly string[];
  routes?: RoutePool;
  userAgent?: string;
  /** Per attempt: time for the headers, and between body chunks. */
  requestTimeoutMs?: number;
  /** Least time between two request starts to this log. */
  minRequestIntervalMs?: number;
  /** false: a new connection per request (DigiCert limits per connection). */
  persistentConnections?: boolean;
  backoff?: BackoffPolicy;
  /** Attempts per request before its last error is thrown (default: no limit, only giveUpAfterMs). */
  maxTries?: number;
  /** Give up (throw CtLogUnavailableError) after failing without a single success for this long. */
  giveUpAfterMs?: number;
  signal?: AbortSignal;
  onEvent?: (event: HttpEvent) => void;
}

export interface HttpStats {
  requests: number;
  /** Bytes received on the wire (before gzip decoding). */
  bytes: number;
  rateLimited: number;
  retries: number;
}

/** The log kept failing for longer than giveUpAfterMs. */
export class CtLogUnavailableError extends Error {
  constructor(
    readonly logUrl: string,
    readonly lastReason: string,
  ) {
    super(`${logUrl} has not answered usefully for too long (last: ${lastReason})`);
    this.name = 'CtLogUnavailableError';
  }
}

/** An answer the reader refuses; the request is retried. */
export class BadResponse extends Error {}

/** An answer whose content contradicts what the log committed to: no retry changes that. */
export class ContradictoryAnswer extends Error {}

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterMs: number | null,
  ) {
    super(`HTTP ${status}`);
  }
}

export interface GetOptions {
  accept: string;
  /** Largest body accepted on the wire, and after gzip decoding. */
  maxBytes: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_PAUSE_MS = 10 * 60_000;

export class LogHttp {
  readonly stats: HttpStats = { requests: 0, bytes: 0, rateLimited: 0, retries: 0 };
  readonly base: string;
  private readonly routes: RoutePool;
  private readonly ownsRoutes: boolean;
  private readonly pacer: Pacer;
  private readonly backoff: BackoffPolicy;
  private lastSuccess = Date.now();

  constructor(
    baseUrl: string,
    private readonly options: LogHttpOptions = {},
  ) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`log URL ${baseUrl} is not http(s)`);
    this.base = url.href.endsWith('/') ? url.href : `${url.href}/`;
    this.ownsRoutes = options.routes === undefined;
    this.routes = options.routes ?? new RoutePool(options.proxies ?? []);
    this.pacer = new Pacer(options.minRequestIntervalMs ?? 0);
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  /** The manager asked for slower scanning: space request starts at least this far apart. */
  setMinRequestInterval(ms: number): void {
    this.pacer.setMinInterval(ms);
  }

  /**
   * One GET of `path` (relative to the base, or an absolute URL) through
   * `route`; the body, gzip-decoded when the log sent it so. Throws
   * HttpStatusError for any status but 200, BadResponse for a body over the cap.
   */
  async get(path: string, route: Route, o: GetOptions): Promise<Buffer> {
    const res = await this.send(path, route, { accept: o.accept, 'accept-encoding': 'gzip, identity' });
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new HttpStatusError(res.statusCode, parseRetryAfter(res.headers['retry-after']));
    }
    const body = await this.readBody(res, o.maxBytes);
    const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
    if (encoding === 'gzip' || encoding === 'x-gzip') return this.gunzip(body, o.maxBytes);
    if (encoding !== '' && encoding !== 'identity') throw new BadResponse(`unsupported Content-Encoding ${encoding.slice(0, 40)}`);
    return body;
  }

  /**
   * One Range GET of `path` (relative to the base, or an absolute URL): bytes
   * start..end (inclusive), or the last `suffix` bytes (the whole file when it
   * is shorter). Only a 206 whose Content-Range is exactly the range asked
   * for is an answer: a server that ignores Range would send a whole zip of
   * many GB, so its 200 is refused before the body is read. Throws
   * HttpStatusError for any other status (416 included), BadResponse for a
   * Content-Range missing, garbled or other than asked, or a body longer than
   * asked or than `maxBytes`.
   */
  async getRange(path: string, route: Route, range: { start: number; end: number } | { suffix: number }, maxBytes: number): Promise<{ body: Buffer; start: number; total: number }> {
    const header = rangeHeader(range);
    const res = await this.send(path, route, { accept: '*/*', 'accept-encoding': 'identity', range: header });
    if (res.statusCode === 200) {
      abandon(res);
      throw new BadResponse(`server ignores Range requests (200 to ${header})`);
    }
    if (res.statusCode !== 206) {
      await res.body.dump();
      throw new HttpStatusError(res.statusCode, parseRetryAfter(res.headers['retry-after']));
    }
    const encoding = String(res.headers['content-encoding'] ?? 'identity').toLowerCase();
    const cr = parseContentRange(res.headers['content-range']);
    const fail = async (why: string): Promise<never> => {
      abandon(res);
      throw new BadResponse(`${why} (asked ${header})`);
    };
    if (encoding !== 'identity') return fail(`Content-Encoding ${encoding.slice(0, 40)} on a byte range`);
    if (cr === null) return fail(`206 without a valid Content-Range (got ${JSON.stringify(String(res.headers['content-range'] ?? '')).slice(0, 80)})`);
    const expected = 'suffix' in range ? { start: Math.max(0, cr.total - range.suffix), end: cr.total - 1 } : { start: range.start, end: Math.min(range.end, cr.total - 1) };
    // A server may shorten a range that runs past the end (RFC 9110 §14.1.1); the caller sees `total` and the length.
    if (cr.start !== expected.start || cr.end !== expected.end) return fail(`Content-Range bytes ${cr.start}-${cr.end}/${cr.total} is not the range asked for`);
    const length = cr.end - cr.start + 1;
    if (length > maxBytes) return fail(`range of ${length} bytes is larger than ${maxBytes}`);
    const body = await this.readBody(res, length);
    if (body.length !== length) throw new BadResponse(`range body is ${body.length} bytes, Content-Range bytes ${cr.start}-${cr.end}/${cr.total} says ${length} (asked ${header})`);
    return { body, start: cr.start, total: cr.total };
  }

  /** Send one GET, counted in the stats; `path` is relative to the base unless it is an absolute URL. */
  private send(path: string, route: Route, headers: Record<string, string>): Promise<Dispatcher.ResponseData> {
    this.stats.requests++;
    const timeout = this.options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const signals = [AbortSignal.timeout(timeout * 4)];
    if (this.options.signal) signals.push(this.options.signal);
    return request(new URL(path, this.base), {
      dispatcher: route.dispatcher,
      headers: { 'user-agent': this.options.userAgent ?? 'ctjp', ...headers },
      headersTimeout: timeout,
      bodyTimeout: timeout,
      reset: this.options.persistentConnections === false,
      signal: AbortSignal.any(signals),
    });
  }

  /** The body as sent on the wire, refused (BadResponse) as soon as it is longer than `maxBytes`. */
  private async readBody(res: Dispatcher.ResponseData, maxBytes: number): Promise<Buffer> {
    const declared = Number(res.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      await res.body.dump();
      throw new BadResponse(`body of ${declared} bytes is larger than ${maxBytes}`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      this.stats.bytes += (chunk as Buffer).length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new BadResponse(`body is larger than ${maxBytes} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks, size);
  }

  /** In one call: a tile inflates in about a millisecond, far less than the thread pool's round trips per 16 KiB chunk. */
  private gunzip(body: Buffer, maxBytes: number): Buffer {
    try {
      return gunzipSync(body, { maxOutputLength: maxBytes, chunkSize: Math.min(maxBytes, 1024 * 1024) });
    } catch (err) {
      const e = err as Error & { code?: string };
      if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) throw new BadResponse(`gzip body inflates to more than ${maxBytes} bytes`);
      throw new BadResponse(`gzip body does not decode: ${e.message}`);
    }
  }

  /** GET JSON (RFC 6962 read API). */
  async getJson(path: string, route: Route, maxBytes = 64 * 1024 * 1024): Promise<unknown> {
    const body = await this.get(path, route, { accept: 'application/json', maxBytes });
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw new BadResponse('body is not JSON');
    }
  }

  /** One request with every retry it takes; only a usable answer, give-up or abort leaves here. */
  async withRetries<T>(what: string, attempt: (route: Route) => Promise<T>, maxTries = this.options.maxTries ?? Infinity): Promise<T> {
    const signal = this.options.signal;
    for (let tries = 1; ; tries++) {
      signal?.throwIfAborted();
      await this.pacer.take(signal);
      const route = this.routes.pick();
      let reason: string;
      try {
        const value = await attempt(route);
        this.routes.succeeded(route);
        this.pacer.succeeded();
        this.lastSuccess = Date.now();
        return value;
      } catch (err) {
        if (signal?.aborted || err instanceof ContradictoryAnswer) throw err;
        if (err instanceof HttpStatusError && err.status === 429) {
          this.stats.rateLimited++;
          this.routes.succeeded(route);
          this.pacer.slowDown();
          // Without Retry-After, the first refusal of a request holds the log for two new spacings: a
          // token bucket refills one token for the request sent again and one for the next; refusals
          // of the same request again back off exponentially.
          const waitMs = err.retryAfterMs !== null ? Math.min(err.retryAfterMs, MAX_PAUSE_MS) : tries === 1 ? 2 * this.pacer.intervalMs : backoffDelay(tries - 1, this.backoff);
          this.pacer.pause(waitMs);
          this.emit({ type: 'rate-limited', waitMs, retryAfter: err.retryAfterMs !== null, route: route.label });
          reason = `${what}: 429 Too Many Requests`;
          if (tries >= maxTries) throw new Error(reason);
          this.checkGaveUp(reason);
          continue;
        }
        if (err instanceof HttpStatusError) {
          this.routes.succeeded(route);
          reason = `${what}: HTTP ${err.status}`;
          if (err.retryAfterMs !== null) this.pacer.pause(Math.min(err.retryAfterMs, MAX_PAUSE_MS));
        } else if (err instanceof BadResponse || err instanceof CtDecodeError) {
          this.routes.succeeded(route);
          reason = `${what}: ${err.message}`;
        } else {
          const e = err as Error & { code?: string };
          reason = `${what}: ${e.code ?? e.name}${e.message ? ` ${e.message}` : ''}`;
          this.routes.failed(route, reason);
        }
        if (tries >= maxTries) throw Object.assign(new Error(reason), { cause: err });
      }
      this.stats.retries++;
      const waitMs = backoffDelay(tries, this.backoff);
      this.emit({ type: 'retry', reason, waitMs, route: route.label });
      this.checkGaveUp(reason);
      await sleep(waitMs, signal);
    }
  }

  private emit(event: HttpEvent): void {
    this.options.onEvent?.(event);
  }

  private checkGaveUp(reason: string): void {
    if (Date.now() - this.lastSuccess > (this.options.giveUpAfterMs ?? 30 * 60_000)) throw new CtLogUnavailableError(this.base, reason);
  }

  async close(): Promise<void> {
    if (this.ownsRoutes) await this.routes.close();
  }
}

/** Drop an answer without reading its body (a whole zip may follow): undici reports the abort as an error nobody else awaits. */
function abandon(res: Dispatcher.ResponseData): void {
  res.body.on('error', () => {});
  res.body.destroy();
}

/** `bytes=a-b` or `bytes=-n`; a range that is not a pair of non-negative integers in order is a caller's bug. */
function rangeHeader(range: { start: number; end: number } | { suffix: number }): string {
  if ('suffix' in range) {
    if (!Number.isSafeInteger(range.suffix) || range.suffix < 1) throw new RangeError(`suffix range of ${range.suffix} bytes`);
    return `bytes=-${range.suffix}`;
  }
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end < range.start) throw new RangeError(`byte range ${range.start}-${range.end}`);
  return `bytes=${range.start}-${range.end}`;
}

/** `bytes a-b/total` (RFC 9110 §14.4) with a ≤ b < total; null for anything else, an unknown total (`*`) included. */
function parseContentRange(value: string | string[] | undefined): { start: number; end: number; total: number } | null {
  const v = Array.isArray(value) ? value[0] : value;
  const m = v === undefined ? null : /^\s*bytes\s+(\d{1,16})-(\d{1,16})\/(\d{1,16})\s*$/i.exec(v);
  if (m === null) return null;
  const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!Number.isSafeInteger(total) || start > end || end >= total) return null;
  return { start, end, total };
}
