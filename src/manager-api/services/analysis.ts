/**
 * The analysis inside the manager: certificates covering a domain (through the certificate_names
 * index), and the renewal-analysis summary kept in memory. The summary reads the whole certificates
 * table, so it is computed in the background, at most one computation at a time, and served from the
 * cache until it is older than the configured age (stale-while-revalidate: an old summary is still
 * answered while the new one is computed).
 */
import { createPool, type Pool } from 'mysql2/promise';
import { getPublicSuffix } from 'tldts';
import { analyzeDatabase, certificatesForDomain, checkDomainName, wildcardParentOf } from '../../analysis/index.js';
import { connectionOptions } from '../../db/read-connection.js';
import { definitions, SUMMARY_VERSION } from '../../analysis/summary.js';
import { SUMMARY_LINEAGES_LIMIT_MAX, type AnalysisSummaryResponse, type DomainCertificatesResponse, type SummaryLineage } from '../../share/api/index.js';

/** A summary as cached: everything but the cache block, with at most SUMMARY_LINEAGES_LIMIT_MAX lineages. */
export type CachedSummary = Omit<AnalysisSummaryResponse, 'cache' | 'lineages' | 'lineages_total'> & { lineages: SummaryLineage[]; lineages_total: number };

export class InvalidDomainName extends Error {}
export class SummaryPending extends Error {}

/** The analysis reads with mysql2's promise API; a small pool of its own keeps it off the manager's work pool. */
export function analysisPool(dbUrl: string, connectionLimit = 4): Pool {
  const pool = createPool({ ...connectionOptions(dbUrl), connectionLimit });
  // UTC on every connection, as in the analysis CLI: DATE_FORMAT and TIMESTAMPDIFF read DATETIME as UTC.
  pool.pool.on('connection', (conn) => {
    conn.query("SET time_zone = '+00:00'");
  });
  return pool;
}

/**
 * The name normalised and the wildcard name that would cover it; throws InvalidDomainName. Names
 * under a public suffix (`co.jp`, `jp`, or a private one such as `sakura.ne.jp`) belong to unrelated
 * registrants and number in the millions, so include_subdomains needs a registrable domain or a
 * name below one.
 */
export function domainQuery(raw: string, includeSubdomains = false): { name: string; wildcardParent: string | null } {
  let name: string;
  try {
    name = checkDomainName(raw);
  } catch (e) {
    throw new InvalidDomainName((e as Error).message);
  }
  if (includeSubdomains) {
    if (name.startsWith('*.')) throw new InvalidDomainName(`include_subdomains=1 does not apply to the wildcard name ${JSON.stringify(name)}: ask for ${JSON.stringify(name.slice(2))}`);
    if (getPublicSuffix(name, { allowPrivateDomains: true }) === name) {
      throw new InvalidDomainName(`include_subdomains=1 needs a registrable domain or a name under one; ${JSON.stringify(name)} is a public suffix`);
    }
  }
  return { name, wildcardParent: wildcardParentOf(name) };
}

export async function domainCertificates(pool: Pool, raw: string, limit: number, includeSubdomains = false): Promise<DomainCertificatesResponse> {
  const { name, wildcardParent } = domainQuery(raw, includeSubdomains);
  const conn = await pool.getConnection();
  try {
    const certificates = await certificatesForDomain(conn, name, { wildcard: true, includeSubdomains, limit });
    return { name, wildcard_parent: wildcardParent, include_subdomains: includeSubdomains, count: certificates.length, certificates };
  } finally {
    conn.release();
  }
}

/**
 * One full analysis over the database, keeping the aggregates and the first lineages only. The
 * coverage comes from the same database's ledger (analyzeDatabase's default), as for `npm run analyze`.
 */
export async function computeSummary(pool: Pool): Promise<CachedSummary> {
  const conn = await pool.getConnection();
  try {
    const lineages: SummaryLineage[] = [];
    let total = 0;
    const { aggregates, input, completeness } = await analyzeDatabase(conn, (r) => {
      total++;
      if (lineages.length < SUMMARY_LINEAGES_LIMIT_MAX) lineages.push(r);
    });
    // Every gap length is in summary.json; the API keeps the counts only, so the cache stays small.
    const { lengths_days: _lengths, ...gaps } = aggregates.expiry_gaps;
    void _lengths;
    return {
      version: SUMMARY_VERSION,
      generated_at: new Date().toISOString(),
      definitions: definitions() as unknown as Record<string, unknown>,
      ...aggregates,
      expiry_gaps: gaps,
      input,
      completeness,
      lineages,
      lineages_total: total,
    };
  } finally {
    conn.release();
  }
}

export interface SummaryEntry {
  summary: CachedSummary;
  computedAt: number;
  durationMs: number;
}

export class SummaryCache {
  private entry: SummaryEntry | null = null;
  private running: Promise<void> | null = null;
  private lastError: string | null = null;
  private closed = false;

  constructor(
    private readonly compute: () => Promise<CachedSummary>,
    readonly maxAgeMs: number,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  get refreshing(): boolean {
    return this.running !== null;
  }

  /** Starts a computation unless one is running; resolves when it ends (never rejects). */
  refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) return this.running;
    const started = this.now();
    this.running = this.compute()
      .then(
        (summary) => {
          this.entry = { summary, computedAt: this.now(), durationMs: this.now() - started };
          this.lastError = null;
        },
        (err: unknown) => {
          this.lastError = err instanceof Error ? err.message : String(err);
          if (!this.closed) this.onError(err);
        },
      )
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /**
   * The cached summary; a missing or stale one starts a background computation. With nothing cached,
   * waits up to waitMs for the first computation, then throws SummaryPending.
   */
  async get(waitMs: number): Promise<SummaryEntry> {
    if (!this.entry || this.now() - this.entry.computedAt >= this.maxAgeMs) void this.refresh();
    if (!this.entry && this.running) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
    }
    if (this.entry) return this.entry;
    throw new SummaryPending(this.lastError ? `the analysis failed: ${this.lastError}; it is retried on the next request` : 'the analysis is still being computed; ask again shortly');
  }

  /** Stops starting computations; resolves when a running one has ended (end its pool to cut it short). */
  close(): Promise<void> {
    this.closed = true;
    return this.running ?? Promise.resolve();
  }
}
