/**
 * The summary object: definitions, aggregates and one result per lineage.
 */
import { Aggregator, type LineageResult, type PerNameCounts, type SummaryAggregates } from './aggregate.js';
import { SC081, THRESHOLDS } from './classify.js';
import { GAP_TOLERANCE_MS, REISSUE_WINDOW_MS, buildLineage, groupByName, groupBySanSet } from './lineage.js';
import { type AnalysisCertificate, checkCertificate } from './model.js';
import { ASSUMED_COMPLETE, END_MARGIN_MS, type Observation } from './observed.js';

/** 2: coverage (observed periods, censored counts beside every figure that depends on them). */
export const SUMMARY_VERSION = 2;

export interface Summary extends SummaryAggregates {
  version: number;
  generated_at: string;
  definitions: ReturnType<typeof definitions>;
  lineages: LineageResult[];
}

export function definitions() {
  return {
    lineage: 'exact SAN set (per-name variant in lineage_definitions.per_name)',
    reissue_window_minutes: REISSUE_WINDOW_MS / 60_000,
    gap_tolerance_seconds: GAP_TOLERANCE_MS / 1000,
    end_margin_days: END_MARGIN_MS / 86_400_000,
    censoring: 'a renewal (interval, gap) counts only when the time from the earlier issuance to the later one lies inside one observed period; an end only when the time from the last issuance to end_margin_days after its expiry does; the rest are censored',
    thresholds: THRESHOLDS,
    sc081: SC081,
    time_zone: 'Asia/Tokyo (UTC+9)',
    business_hours: 'Mon–Fri 09:00–18:00 JST, not a national holiday, not 29 Dec–3 Jan',
  };
}

export interface LineageGroup {
  names: readonly string[];
  certs: readonly AnalysisCertificate[];
}

export interface RunOptions {
  /** The end of the data (latest CT timestamp): with coverage assumed complete, the observed time ends there. */
  observationEnd: number;
  /** The coverage applied (default: assumed complete, see observed.ts). */
  observation?: Observation;
  /** Called with each lineage result; the in-memory summary collects them. */
  onLineage?: (r: LineageResult) => void | Promise<void>;
  /** Per-name counts made elsewhere (per-name-thread.ts), in place of per-name groups. */
  perNameCounts?: Promise<PerNameCounts>;
}

/** Runs the analysis over streamed exact-SAN-set groups (of checked certificates) and (optionally) per-name groups. */
export async function runAnalysis(
  exact: AsyncIterable<LineageGroup> | Iterable<LineageGroup>,
  perName: AsyncIterable<LineageGroup> | Iterable<LineageGroup> | null,
  opts: RunOptions,
): Promise<SummaryAggregates> {
  const agg = new Aggregator(opts.observationEnd, opts.observation ?? ASSUMED_COMPLETE);
  for await (const g of exact) {
    const r = agg.add(buildLineage(g.names.join(','), g.names, g.certs, agg.periods), g.certs.length);
    if (opts.onLineage) await opts.onLineage(r);
  }
  if (perName) for await (const g of perName) agg.addPerName(buildLineage(g.names[0], g.names, g.certs, agg.periods));
  if (opts.perNameCounts) agg.addPerNameCounts(await opts.perNameCounts);
  return agg.finish();
}

/**
 * The whole summary for certificates held in memory (tests, the manager UI for small sets). Without
 * an observation the coverage is assumed complete up to observationEnd (default: the latest CT timestamp).
 */
export async function summarize(certs: readonly AnalysisCertificate[], opts: { observationEnd?: number; observation?: Observation } = {}): Promise<Summary> {
  for (const c of certs) checkCertificate(c);
  const end = opts.observationEnd ?? certs.reduce((m, c) => Math.max(m, c.ctTimestamp ?? c.notBefore), 0);
  const lineages: LineageResult[] = [];
  const exact = [...groupBySanSet(certs).values()].map((g) => ({ names: g[0].names, certs: g }));
  const perName = [...groupByName(certs).entries()].map(([n, g]) => ({ names: [n], certs: g }));
  const agg = await runAnalysis(exact, perName, { observationEnd: end, observation: opts.observation, onLineage: (r) => void lineages.push(r) });
  return { version: SUMMARY_VERSION, generated_at: new Date().toISOString(), definitions: definitions(), ...agg, lineages };
}
