/**
 * Settings of the analysis and export commands: flags, then CTJP_* variables, then defaults.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_DB_URL, parseDbUrl } from '../db/read-connection.js';
import { DEFAULT_BATCH } from './reader.js';

export interface AnalyzeConfig {
  db: string;
  out: string;
  perName: boolean;
  batchSize: number;
  tmpDir: string | undefined;
  /** A coverage file (CoverageResponse JSON) to apply instead of the database's coverage ledger. */
  coverage: string | undefined;
}

export interface ExportConfig {
  db: string;
  out: string;
  schema: string;
  batchSize: number;
}

function positiveInt(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new Error(`${what} must be an integer from 1 to 1000000 (got ${JSON.stringify(v)})`);
  return n;
}

export function analyzeConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): AnalyzeConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' }, db: { type: 'string' }, 'per-name': { type: 'boolean' }, 'no-per-name': { type: 'boolean' },
      batch: { type: 'string' }, tmp: { type: 'string' }, coverage: { type: 'string' },
    },
    strict: true,
  });
  const out = values.out ?? env.CTJP_ANALYSIS_OUT;
  if (!out) throw new Error('--out DIR is required (the report directory)');
  const db = values.db ?? env.CTJP_DB_URL ?? DEFAULT_DB_URL;
  parseDbUrl(db);
  const perNameEnv = env.CTJP_ANALYSIS_PER_NAME;
  return {
    db,
    out,
    perName: values['no-per-name'] ? false : values['per-name'] ? true : perNameEnv !== undefined ? perNameEnv !== '0' : true,
    batchSize: positiveInt(values.batch ?? env.CTJP_ANALYSIS_BATCH ?? String(DEFAULT_BATCH), '--batch / CTJP_ANALYSIS_BATCH'),
    tmpDir: values.tmp ?? env.CTJP_ANALYSIS_TMP,
    coverage: values.coverage ?? (env.CTJP_ANALYSIS_COVERAGE || undefined),
  };
}

export function exportConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ExportConfig {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' }, db: { type: 'string' }, schema: { type: 'string' }, batch: { type: 'string' } }, strict: true });
  const out = values.out ?? env.CTJP_EXPORT_OUT;
  if (!out) throw new Error('--out FILE is required (the NDJSON file)');
  const db = values.db ?? env.CTJP_DB_URL ?? DEFAULT_DB_URL;
  parseDbUrl(db);
  return {
    db,
    out,
    schema: values.schema ?? `${out}.schema.json`,
    batchSize: positiveInt(values.batch ?? env.CTJP_ANALYSIS_BATCH ?? String(DEFAULT_BATCH), '--batch / CTJP_ANALYSIS_BATCH'),
  };
}

/**
 * An error message with a hint when the database does not exist: after `npm run demo` the data is in
 * `ctjp_demo`, not in the default `ct`, and "Unknown database 'ct'" alone does not say so.
 */
export function explainDbError(message: string, db: string): string {
  if (!/Unknown database/i.test(message)) return message;
  return `${message} (reading ${db}; the demo writes to ctjp_demo: add --db mysql://root@127.0.0.1:3306/ctjp_demo, or set CTJP_DB_URL)`;
}
