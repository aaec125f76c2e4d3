/**
 * The ways out to the CT logs: straight from this PC, or through one or more
 * HTTP or SOCKS5 proxies. Requests are spread over the proxies in turn; a
 * proxy whose connections keep failing is set aside for a while so that the
 * others carry the load, and comes back by itself afterwards.
 */
import { Agent, ProxyAgent, buildConnector, type Dispatcher } from 'undici';
import { SocksClient } from 'socks';

const CONNECT_TIMEOUT_MS = 15_000;

export interface Route {
  /** What the route is, for messages: "direct" or the proxy URL without its password. */
  readonly label: string;
  readonly dispatcher: Dispatcher;
}

interface RouteState extends Route {
  consecutiveFailures: number;
  asideUntil: number;
}

export interface RoutePoolOptions {
  /** How long a failing proxy is left out. */
  asideMs?: number;
  /** Connection failures in a row before a proxy is set aside. */
  failuresBeforeAside?: number;
  /** Most connections per log host and route. */
  connectionsPerHost?: number;
  onWarning?: (message: string) => void;
}

const PROXY_PROTOCOLS = new Set(['http:', 'https:', 'socks:', 'socks5:', 'socks5h:']);

/** Validate one proxy URL (http://, https://, socks5://, socks5h://; user:password@ allowed). */
export function parseProxyUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new Error(`proxy "${text}" is not a URL (expected e.g. http://host:3128 or socks5://host:1080)`);
  }
  if (!PROXY_PROTOCOLS.has(url.protocol)) {
    throw new Error(`proxy "${redact(url)}" has protocol ${url.protocol}; use http, https, socks5 or socks5h`);
  }
  if (!url.hostname) throw new Error(`proxy "${text}" has no host`);
  return url;
}

/** The proxy URL as shown in messages: never with its password. */
export function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href.replace(/\/$/, '');
}

function isSocks(url: URL): boolean {
  return url.protocol.startsWith('socks');
}

/**
 * An undici connector that opens the TCP connection through a SOCKS5 proxy
 * (the proxy resolves the log's host name) and adds TLS on top for https.
 */
function socksConnector(proxy: URL): buildConnector.connector {
  const tlsOver = buildConnector({ timeout: CONNECT_TIMEOUT_MS });
  return (opts, callback) => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    SocksClient.createConnection({
      proxy: {
        host: proxy.hostname,
        port: Number(proxy.port) || 1080,
        type: 5,
        userId: proxy.username ? decodeURIComponent(proxy.username) : undefined,
        password: proxy.password ? decodeURIComponent(proxy.password) : undefined,
      },
      command: 'connect',
      destination: { host: opts.hostname, port },
      timeout: CONNECT_TIMEOUT_MS,
    }).then(
      ({ socket }) => {
        if (opts.protocol !== 'https:') {
          callback(null, socket);
          return;
        }
        tlsOver({ ...opts, httpSocket: socket }, callback);
      },
      (err: Error) => callback(err, null),
    );
  };
}

function dispatcherFor(proxy: URL | null, connectionsPerHost: number): Dispatcher {
  const common = { connections: connectionsPerHost, keepAliveTimeout: 10_000, connectTimeout: CONNECT_TIMEOUT_MS };
  if (proxy === null) return new Agent(common);
  if (isSocks(proxy)) return new Agent({ ...common, connect: socksConnector(proxy) });
  return new ProxyAgent({ ...common, uri: proxy.href });
}

export class RoutePool {
  private readonly routes: RouteState[];
  private cursor = 0;
  private readonly asideMs: number;
  private readonly failuresBeforeAside: number;
  private readonly onWarning: (message: string) => void;

  constructor(proxies: readonly string[], options: RoutePoolOptions = {}) {
    this.asideMs = options.asideMs ?? 5 * 60_000;
    this.failuresBeforeAside = options.failuresBeforeAside ?? 3;
    this.onWarning = options.onWarning ?? (() => {});
    const perHost = options.connectionsPerHost ?? 32;
    const urls = proxies.map(parseProxyUrl);
    this.routes =
      urls.length === 0
        ? [{ label: 'direct', dispatcher: dispatcherFor(null, perHost), consecutiveFailures: 0, asideUntil: 0 }]
        : urls.map((u) => ({ label: redact(u), dispatcher: dispatcherFor(u, perHost), consecutiveFailures: 0, asideUntil: 0 }));
  }

  get size(): number {
    return this.routes.length;
  }

  /** The next route in turn among those not set aside; when all are aside, the one back soonest. */
  pick(): Route {
    const now = Date.now();
    for (let i = 0; i < this.routes.length; i++) {
      const r = this.routes[(this.cursor + i) % this.routes.length];
      if (r.asideUntil <= now) {
        this.cursor = (this.cursor + i + 1) % this.routes.length;
        return r;
      }
    }
    return this.routes.reduce((a, b) => (b.asideUntil < a.asideUntil ? b : a));
  }

  succeeded(route: Route): void {
    const r = route as RouteState;
    r.consecutiveFailures = 0;
    r.asideUntil = 0;
  }

  /** A connection-level failure (refused, reset, proxy error, timeout) through this route. */
  failed(route: Route, reason: string): void {
    const r = route as RouteState;
    r.consecutiveFailures++;
    if (this.routes.length > 1 && r.consecutiveFailures >= this.failuresBeforeAside && r.asideUntil <= Date.now()) {
      r.asideUntil = Date.now() + this.asideMs;
      this.onWarning(`proxy ${r.label} set aside for ${Math.round(this.asideMs / 60_000)} min after ${r.consecutiveFailures} failures (${reason})`);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.routes.map((r) => r.dispatcher.close().catch(() => {})));
  }
}
