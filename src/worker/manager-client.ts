/**
 * The worker's side of the manager API (shapes in src/share/api). One
 * attempt per call with a timeout; the callers decide about retries, because
 * an upload that fails goes to the spool while a ping is simply sent again
 * at the next beat.
 */
import { Agent, request } from 'undici';
import { API_PATHS } from '../share/api/paths.js';
import type {
  CompleteRequest,
  CompleteResponse,
  InstructionsRequest,
  InstructionsResponse,
  PingRequest,
  PingResponse,
  RegisterRequest,
  RegisterResponse,
  StatusResponse,
  TerminateRequest,
  TerminateResponse,
  UploadItem,
  UploadResponse,
} from '../share/api/index.js';

export class ManagerError extends Error {
  constructor(
    message: string,
    /** HTTP status, or null when the manager could not be reached. */
    readonly status: number | null,
    readonly body: unknown = null,
  ) {
    super(message);
    this.name = 'ManagerError';
  }

  /** Worth trying again later: unreachable, overloaded, or failing on its side. */
  get retriable(): boolean {
    return this.status === null || this.status === 408 || this.status === 429 || this.status >= 500;
  }

  /** The leases the manager says are no longer this worker's (ping answered 409). */
  get staleLeases(): number[] {
    const s = (this.body as { stale_leases?: unknown } | null)?.stale_leases;
    return Array.isArray(s) ? s.filter((x): x is number => typeof x === 'number') : [];
  }
}

export interface ManagerClientOptions {
  baseUrl: string;
  token: string | null;
  userAgent: string;
  timeoutMs?: number;
}

export class ManagerClient {
  private readonly dispatcher = new Agent({ connections: 8, keepAliveTimeout: 10_000, connectTimeout: 10_000 });

  constructor(private readonly options: ManagerClientOptions) {}

  private post<T>(path: string, body: unknown, timeoutMs = this.options.timeoutMs ?? 30_000): Promise<T> {
    return this.send<T>('POST', path, body, timeoutMs, true);
  }

  /** One JSON request to the manager; anything but a 2xx JSON object is a ManagerError naming the path. */
  private async send<T>(method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number, withToken: boolean): Promise<T> {
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (withToken && this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let res;
    try {
      res = await request(`${this.options.baseUrl}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        dispatcher: this.dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { code?: string };
      throw new ManagerError(`manager unreachable (${e.code ?? e.name}: ${e.message})`, null);
    }
    const text = await res.body.text().catch(() => '');
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const message = (parsed as { message?: unknown } | null)?.message;
      throw new ManagerError(`manager answered ${res.statusCode} to ${path}: ${typeof message === 'string' ? message : text.slice(0, 200)}`, res.statusCode, parsed);
    }
    if (parsed === null || typeof parsed !== 'object') throw new ManagerError(`manager answered ${path} with something that is not JSON`, res.statusCode);
    return parsed as T;
  }

  register(req: RegisterRequest): Promise<RegisterResponse> {
    return this.post(API_PATHS.register, req);
  }

  instructions(req: InstructionsRequest): Promise<InstructionsResponse> {
    return this.post(API_PATHS.instructions, req);
  }

  upload(items: UploadItem[]): Promise<UploadResponse> {
    return this.post(API_PATHS.certificates, items);
  }

  ping(req: PingRequest): Promise<PingResponse> {
    return this.post(API_PATHS.ping, req);
  }

  complete(req: CompleteRequest): Promise<CompleteResponse> {
    return this.post(API_PATHS.complete, req);
  }

  terminate(req: TerminateRequest, timeoutMs: number): Promise<TerminateResponse> {
    return this.post(API_PATHS.terminate, req, timeoutMs);
  }

  /**
   * The public status (no token needed): the worker reads only its logs' targets from it
   * (share-status.ts). One day of daily counts keeps the answer small, and keeps the worker's
   * reads apart from the dashboard's in the manager's short status cache.
   */
  async status(timeoutMs = 15_000): Promise<Pick<StatusResponse, 'logs'>> {
    // Public: no token is sent.
    const parsed = await this.send<unknown>('GET', `${API_PATHS.status}?days=1`, undefined, timeoutMs, false);
    const logs = (parsed as { logs?: unknown } | null)?.logs;
    if (!Array.isArray(logs)) throw new ManagerError(`manager answered ${API_PATHS.status} without a list of logs`, 200);
    return { logs: logs as StatusResponse['logs'] };
  }

  async close(): Promise<void> {
    await this.dispatcher.close().catch(() => {});
  }
}
