/**
 * What each CT log operator tolerates (ct-protocol.md §3): DigiCert allows
 * well under one request per second per address, sends no Retry-After and
 * asks for no persistent connections; the others only need the general
 * backoff. The settings here are floors under the friend's own options.
 */
export interface LogPoliteness {
  minRequestIntervalMs: number;
  maxInFlight: number;
  persistentConnections: boolean;
}

/** One request per 6 s per address keeps under DigiCert's observed 0.15–0.18 requests/s. */
const DIGICERT_INTERVAL_PER_ADDRESS_MS = 6_000;

export function politenessFor(logUrl: string, own: { minRequestIntervalMs: number; inFlight: number; routes: number }): LogPoliteness {
  const host = new URL(logUrl).hostname.toLowerCase();
  if (host === 'digicert.com' || host.endsWith('.digicert.com')) {
    // Each proxy is its own address, so the spacing per log shrinks with the number of routes.
    const perLog = Math.ceil(DIGICERT_INTERVAL_PER_ADDRESS_MS / Math.max(1, own.routes));
    return { minRequestIntervalMs: Math.max(own.minRequestIntervalMs, perLog), maxInFlight: 1, persistentConnections: false };
  }
  return { minRequestIntervalMs: own.minRequestIntervalMs, maxInFlight: own.inFlight, persistentConnections: true };
}
