/**
 * The analysis over the manager's database: read in batches, partition to disk by lineage key,
 * analyse partition by partition, write the report.
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Compilable } from 'kysely';
import type { Connection } from 'mysql2/promise';
import { readQueries, readRows } from '../db/read-connection.js';
import type { LineageResult, SummaryAggregates } from './aggregate.js';
import { type CompletenessReport, completenessFromDatabase } from './completeness.js';
import { coverageFromConnection } from './coverage.js';
import { checkCertificate } from './model.js';
import { type Observation, judgingPeriods } from './observed.js';
import { type PerNameRun, countPerNameInThread } from './per-name-thread.js';
import { ReportWriter } from './output.js';
import { Partitioner } from './partition.js';
import { type ReadOptions, readCertificates } from './reader.js';
import { SUMMARY_VERSION, type Summary, definitions, runAnalysis } from './summary.js';

export interface AnalyzeOptions extends ReadOptions {
  /** Also compute the per-name lineage variant (a second partitioning pass over the same read). */
  perName?: boolean;
  /** Where partition files go (default: the OS temp dir). */
  tmpDir?: string;
  /** The coverage to apply (a --coverage file, or given); default: the database's coverage ledger. */
  observation?: Observation;
}

export interface InputStats {
  rows: number;
  skipped_no_dns_name: number;
  invalid: number;
  invalid_examples: string[];
  /** Wall-clock seconds of the two passes: reading and partitioning, then grouping and analysing. */
  read_seconds: number;
  analysis_seconds: number;
}

async function scalar(conn: Connection, query: Compilable<{ v: number | string | bigint | null }>): Promise<number | null> {
  const [row] = await readRows(conn, query);
  const v = row?.v;
  return v === null || v === undefined ? null : Number(v);
}

const certificateCount = readQueries.selectFrom('certificates').select((eb) => eb.fn.countAll<number>().as('v'));
const lastTimestamp = (table: 'sightings' | 'certificates') =>
  readQueries.selectFrom(table).select((eb) => eb.fn.max('leaf_timestamp').as('v')).where('quarantined', '=', 0);

/**
 * Runs the whole analysis; onLineage receives each lineage result as it is produced.
 * Returns the aggregates and what was read.
 */
export async function analyzeDatabase(
  conn: Connection,
  onLineage: (r: LineageResult) => void | Promise<void>,
  opts: AnalyzeOptions = {},
): Promise<{ aggregates: SummaryAggregates; input: InputStats; completeness: CompletenessReport | null }> {
  const total = (await scalar(conn, certificateCount)) ?? 0;
  const lastSighting = (await scalar(conn, lastTimestamp('sightings'))) ?? (await scalar(conn, lastTimestamp('certificates'))) ?? Date.now();
  const observation = opts.observation ?? (await coverageFromConnection(conn));
  const dir = join(opts.tmpDir ?? tmpdir(), `ctjp-partitions-${process.pid}-${Date.now()}`);
  const exact = await Partitioner.create(join(dir, 'exact'), total, 'exact');
  const perName = opts.perName ? await Partitioner.create(join(dir, 'per-name'), total, 'per-name') : null;
  const stats = { rows: 0, skipped: 0 };
  const input: InputStats = { rows: 0, skipped_no_dns_name: 0, invalid: 0, invalid_examples: [], read_seconds: 0, analysis_seconds: 0 };
  const t0 = Date.now();
  let perNameRun: PerNameRun | null = null;
  try {
    for await (const batch of readCertificates(conn, opts, stats)) {
      for (const c of batch) {
        try {
          checkCertificate(c);
        } catch (e) {
          input.invalid++;
          if (input.invalid_examples.length < 20) input.invalid_examples.push((e as Error).message);
          continue;
        }
        const a = exact.add(c);
        if (a) await a;
        const b = perName?.add(c);
        if (b) await b;
      }
    }
    await exact.close();
    await perName?.close();
    input.rows = stats.rows;
    input.skipped_no_dns_name = stats.skipped;
    const t1 = Date.now();
    input.read_seconds = (t1 - t0) / 1000;
    // The per-name variant is counted on a second thread meanwhile (per-name-thread.ts).
    perNameRun = perName ? countPerNameInThread(perName.files(), judgingPeriods(observation, lastSighting)) : null;
    perNameRun?.counts.catch(() => {});
    const aggregates = await runAnalysis(exact.groups(), null, { observationEnd: lastSighting, observation, onLineage, perNameCounts: perNameRun?.counts });
    // How complete the data is, measured on the SCTs of final certificates: needs each log's covered time.
    const completeness = observation.report ? await completenessFromDatabase(conn, observation.report, { batchSize: opts.batchSize }) : null;
    input.analysis_seconds = (Date.now() - t1) / 1000;
    return { aggregates, input, completeness };
  } finally {
    await perNameRun?.stop();
    await exact.dispose();
    await perName?.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Writes the report for the database into outDir (summary.json, CSVs, report.html). */
export async function writeReport(conn: Connection, outDir: string, opts: AnalyzeOptions = {}): Promise<{ aggregates: SummaryAggregates; input: InputStats; completeness: CompletenessReport | null }> {
  const w = await ReportWriter.create(outDir);
  try {
    const res = await analyzeDatabase(conn, (r) => w.lineage(r), opts);
    await w.finish(res.aggregates, res.input, res.completeness);
    return res;
  } catch (e) {
    await w.abort();
    throw e;
  }
}

/** The summary object in memory, for callers such as the manager UI (lineages included: mind the size). */
export async function summaryFromDatabase(conn: Connection, opts: AnalyzeOptions = {}): Promise<Summary & { input: InputStats; completeness: CompletenessReport | null }> {
  const lineages: LineageResult[] = [];
  const { aggregates, input, completeness } = await analyzeDatabase(conn, (r) => void lineages.push(r), opts);
  return { version: SUMMARY_VERSION, generated_at: new Date().toISOString(), definitions: definitions(), ...aggregates, input, completeness, lineages };
}
