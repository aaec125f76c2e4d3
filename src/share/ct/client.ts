/**
 * A small RFC 6962 HTTP client: get-sth and get-entries with timeouts,
 * retries with jittered exponential backoff (honouring Retry-After), response
 * size limits and validation of every answer. Shared by manager and worker.
 */
import { fetch, type Dispatcher } from 'undici';
import { decodeBase64 } from './bytes.js';
import { CtDecodeError } from './errors.js';
import { parseSth, type SignedTreeHead } from './sth.js';

export interface CtClientOptions {
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Extra attempts after the first, for network errors, timeouts, 429 and 5xx. */
  retries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Largest response body accepted. */
  maxBodyBytes?: number;
  userAgent?: string;
  /** An undici dispatcher, e.g. a ProxyAgent. */
  dispatcher?: Dispatcher;
  /** Aborts every call in progress. */
  signal?: AbortSignal;
}

export interface RawEntry {
  leafInput: Buffer;
  extraData: Buffer;
  /** The base64 text exactly as served. */
  leafInputBase64: string;
}

/** An HTTP answer other than 200, or a network failure (status 0). */
export class CtHttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly url: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'CtHttpError';
  }

  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

const DEFAULTS = { timeoutMs: 15_000, retries: 3, baseDelayMs: 500, maxDelayMs: 30_000, maxBodyBytes: 32 * 1024 * 1024, userAgent: 'ctjp/0.1 (+https://github.com/ctjp)' };

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** Full jitter: uniform in [0, min(max, base * 2^attempt)]. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class CtLogClient {
  readonly baseUrl: string;
  private readonly opts: Required<Omit<CtClientOptions, 'dispatcher' | 'signal'>> & Pick<CtClientOptions, 'dispatcher' | 'signal'>;

  constructor(baseUrl: string, options: CtClientOptions = {}) {
    this.baseUrl = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
    this.opts = { ...DEFAULTS, ...options };
  }

  /** One GET returning parsed JSON, with retries. */
  async getJson(path: string): Promise<unknown> {
    const url = `${this.baseUrl}ct/v1/${path}`;
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      try {
        return await this.getOnce(url);
      } catch (err) {
        lastError = err;
        const retryable = err instanceof CtHttpError ? err.retryable : false;
        if (!retryable || attempt === this.opts.retries || this.opts.signal?.aborted) throw err;
        const hinted = err instanceof CtHttpError ? err.retryAfterMs : null;
        const delay = hinted !== null ? Math.min(hinted, this.opts.maxDelayMs) : backoffDelay(attempt, this.opts.baseDelayMs, this.opts.maxDelayMs);
        await sleep(delay, this.opts.signal);
      }
    }
    throw lastError;
  }

  private async getOnce(url: string): Promise<unknown> {
    const signals = [AbortSignal.timeout(this.opts.timeoutMs)];
    if (this.opts.signal) signals.push(this.opts.signal);
    let res;
    try {
      res = await fetch(url, {
        signal: AbortSignal.any(signals),
        headers: { accept: 'application/json', 'user-agent': this.opts.userAgent },
        dispatcher: this.opts.dispatcher,
      });
    } catch (err) {
      const e = err as Error;
      const what = e.name === 'TimeoutError' ? `timed out after ${this.opts.timeoutMs} ms` : `${e.message}${e.cause ? ` (${(e.cause as Error).message ?? String(e.cause)})` : ''}`;
      throw new CtHttpError(`GET ${url}: ${what}`, 0, url);
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > this.opts.maxBodyBytes) {
      await res.body?.cancel();
      throw new CtHttpError(`GET ${url}: body of ${declared} bytes exceeds ${this.opts.maxBodyBytes}`, res.status, url);
    }
    if (res.status !== 200) {
      const text = (await res.text().catch(() => '')).slice(0, 200);
      throw new CtHttpError(`GET ${url}: HTTP ${res.status}${text ? `: ${text}` : ''}`, res.status, url, parseRetryAfter(res.headers.get('retry-after')));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    if (res.body) {
      for await (const chunk of res.body) {
        size += (chunk as Uint8Array).length;
        if (size > this.opts.maxBodyBytes) throw new CtHttpError(`GET ${url}: body exceeds ${this.opts.maxBodyBytes} bytes`, res.status, url);
        chunks.push(Buffer.from(chunk as Uint8Array));
      }
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new CtDecodeError(`GET ${url}: body is not JSON`);
    }
  }

  async getSth(): Promise<SignedTreeHead> {
    return parseSth(await this.getJson('get-sth'));
  }

  /**
   * Entries start..end inclusive. Logs may return fewer than asked (never
   * more: that is refused); callers continue from start + returned.
   */
  async getEntries(start: number, end: number): Promise<RawEntry[]> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) throw new RangeError(`get-entries: bad range ${start}..${end}`);
    const body = await this.getJson(`get-entries?start=${start}&end=${end}`);
    if (typeof body !== 'object' || body === null || !Array.isArray((body as { entries?: unknown }).entries)) {
      throw new CtDecodeError(`get-entries ${start}..${end}: no "entries" array`);
    }
    const entries = (body as { entries: unknown[] }).entries;
    if (entries.length > end - start + 1) throw new CtDecodeError(`get-entries ${start}..${end}: ${entries.length} entries, more than asked`);
    return entries.map((e, i) => {
      const at = `get-entries ${start}..${end}: entries[${i}]`;
      if (typeof e !== 'object' || e === null) throw new CtDecodeError(`${at} is not an object`);
      const { leaf_input, extra_data } = e as { leaf_input?: unknown; extra_data?: unknown };
      if (typeof leaf_input !== 'string' || leaf_input.length === 0) throw new CtDecodeError(`${at}.leaf_input is missing`);
      return {
        leafInputBase64: leaf_input,
        leafInput: decodeBase64(leaf_input, `${at}.leaf_input`),
        extraData: typeof extra_data === 'string' ? decodeBase64(extra_data, `${at}.extra_data`) : Buffer.alloc(0),
      };
    });
  }
}
