/**
 * How to read each CT log operator's logs: requests in flight and whether to
 * reuse connections, as defaults the friend's own --in-flight and
 * --interval-ms override. The rate itself is not written down here: the
 * pacer (src/share/ct/backoff.ts) learns it from each log's 429s, and
 * Retry-After is always honoured. Page sizes come with the assignment (the
 * catalogue's per-operator page size) or are learnt from the first answers.
 *
 * What the operators showed in 2026: Google answers about one request per
 * second per connection with 32 entries, so a dozen requests in flight keep
 * up with a busy shard; DigiCert limits per TCP connection and sends no
 * Retry-After, so several short HTTP/1.1 connections serve it better than one
 * kept alive; TrustAsia refuses streams of small requests with 429.
 */
export interface LogPoliteness {
  minRequestIntervalMs: number;
  maxInFlight: number;
  persistentConnections: boolean;
}

interface OperatorDefaults {
  inFlight: number;
  persistentConnections: boolean;
}

const OPERATORS: Record<string, OperatorDefaults> = {
  google: { inFlight: 12, persistentConnections: true },
  digicert: { inFlight: 4, persistentConnections: false },
  trustasia: { inFlight: 2, persistentConnections: true },
};
const OTHERS: OperatorDefaults = { inFlight: 4, persistentConnections: true };

/** The operator of a log: its category when it names one we know, else from the log's host. */
export function operatorOf(category: string, logUrl: string): string {
  if (category in OPERATORS) return category;
  const host = new URL(logUrl).hostname.toLowerCase();
  const is = (domain: string): boolean => host === domain || host.endsWith(`.${domain}`);
  if (is('digicert.com')) return 'digicert';
  if (is('googleapis.com') || is('transparency.goog')) return 'google';
  if (is('trustasia.com')) return 'trustasia';
  return category;
}

/** `own.inFlight` null: the friend did not set --in-flight, so the operator's default applies. */
export function politenessFor(category: string, logUrl: string, own: { minRequestIntervalMs: number; inFlight: number | null }): LogPoliteness {
  const d = OPERATORS[operatorOf(category, logUrl)] ?? OTHERS;
  return { minRequestIntervalMs: own.minRequestIntervalMs, maxInFlight: own.inFlight ?? d.inFlight, persistentConnections: d.persistentConnections };
}
