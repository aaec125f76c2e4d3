/**
 * The summary object: definitions, aggregates and one result per lineage.
 */
import { Aggregator, type LineageResult, type SummaryAggregates } from './aggregate.js';
import { SC081, THRESHOLDS } from './classify.js';
import { GAP_TOLERANCE_MS, REISSUE_WINDOW_MS, buildLineage, groupByName, groupBySanSet } from './lineage.js';
import { type AnalysisCertificate, checkCertificate } from './model.js';

export const SUMMARY_VERSION = 1;

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
  /** The end of the observed data; lineages whose last certificate expired before it count as ended. */
  observationEnd: number;
  /** Called with each lineage result; the in-memory summary collects them. */
  onLineage?: (r: LineageResult) => void | Promise<void>;
}

/** Runs the analysis over streamed exact-SAN-set groups (of checked certificates) and (optionally) per-name groups. */
export async function runAnalysis(
  exact: AsyncIterable<LineageGroup> | Iterable<LineageGroup>,
  perName: AsyncIterable<LineageGroup> | Iterable<LineageGroup> | null,
  opts: RunOptions,
): Promise<SummaryAggregates> {
  const agg = new Aggregator(opts.observationEnd);
  for await (const g of exact) {
    const r = agg.add(buildLineage(g.names.join(','), g.names, g.certs), g.certs.length);
    if (opts.onLineage) await opts.onLineage(r);
  }
  if (perName) for await (const g of perName) agg.addPerName(buildLineage(g.names[0], g.names, g.certs));
  return agg.finish();
}

/** The whole summary for certificates held in memory (tests, the manager UI for small sets). */
export async function summarize(certs: readonly AnalysisCertificate[], observationEnd?: number): Promise<Summary> {
  for (const c of certs) checkCertificate(c);
  const end = observationEnd ?? certs.reduce((m, c) => Math.max(m, c.ctTimestamp ?? c.notBefore), 0);
  const lineages: LineageResult[] = [];
  const exact = [...groupBySanSet(certs).values()].map((g) => ({ names: g[0].names, certs: g }));
  const perName = [...groupByName(certs).entries()].map(([n, g]) => ({ names: [n], certs: g }));
  const agg = await runAnalysis(exact, perName, { observationEnd: end, onLineage: (r) => void lineages.push(r) });
  return { version: SUMMARY_VERSION, generated_at: new Date().toISOString(), definitions: definitions(), ...agg, lineages };
}
