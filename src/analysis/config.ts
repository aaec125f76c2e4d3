/**
 * Settings of the analysis and export commands: flags, then CTJP_* variables, then defaults.
 */
import { DEFAULT_DB_URL, parseDatabaseUrl } from '../db/url.js';
import { boolean, checkedBy, integer, missing, readSettings, settingsHelp, text, type Command, type SettingTable } from '../share/config.js';
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

/** The settings both commands read the database with. */
const DATABASE_SETTINGS = {
  db: { flag: 'db', env: 'CTJP_DB_URL', arg: 'URL', help: "the manager's MySQL/MariaDB database (only read)", default: DEFAULT_DB_URL, parse: checkedBy(parseDatabaseUrl) },
  batchSize: { flag: 'batch', env: 'CTJP_ANALYSIS_BATCH', arg: 'N', help: 'rows per database batch', default: String(DEFAULT_BATCH), parse: integer(1, 1_000_000) },
} as const satisfies SettingTable;

export const ANALYZE_SETTINGS = {
  out: { flag: 'out', env: 'CTJP_ANALYSIS_OUT', arg: 'DIR', help: 'the report directory', required: true, parse: text },
  ...DATABASE_SETTINGS,
  coverage: {
    flag: 'coverage',
    env: 'CTJP_ANALYSIS_COVERAGE',
    arg: 'FILE',
    help: "a coverage file (the JSON of GET /api/v1/coverage, or the export's .coverage.json) whose\nobserved periods are applied instead of the database's coverage ledger",
    parse: text,
  },
  perName: { flag: 'per-name', env: 'CTJP_ANALYSIS_PER_NAME', help: 'also compute the per-name lineage variant', default: '1', shownDefault: 'on; --no-per-name or CTJP_ANALYSIS_PER_NAME=0: off', parse: boolean },
  tmpDir: { flag: 'tmp', env: 'CTJP_ANALYSIS_TMP', arg: 'DIR', help: 'where partition files go', shownDefault: 'the OS temp dir', parse: text },
} as const satisfies SettingTable;

export const EXPORT_SETTINGS = {
  out: { flag: 'out', env: 'CTJP_EXPORT_OUT', arg: 'FILE', help: 'the NDJSON file (FILE.coverage.json is written beside it)', required: true, parse: text },
  schema: { flag: 'schema', arg: 'FILE', help: 'BigQuery schema file of the export', shownDefault: 'FILE.schema.json', parse: text },
  ...DATABASE_SETTINGS,
} as const satisfies SettingTable;

const HEADER = 'Flags win over CTJP_* variables, which win over defaults.';

export const ANALYZE_USAGE = `Usage: npm run analyze -- --out DIR [options]\n\n${HEADER}\n${settingsHelp(ANALYZE_SETTINGS)}\n`;

export const EXPORT_USAGE = `Usage: npm run export -- --out FILE [options]\n\n${HEADER}\n${settingsHelp(EXPORT_SETTINGS)}\n`;

export function analyzeConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Command<AnalyzeConfig> {
  const read = readSettings(ANALYZE_SETTINGS, argv, env);
  if (read.help) return { kind: 'help' };
  const { out, ...rest } = read.values;
  if (out === undefined) throw missing(ANALYZE_SETTINGS.out);
  return { kind: 'run', config: { out, ...rest } };
}

export function exportConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Command<ExportConfig> {
  const read = readSettings(EXPORT_SETTINGS, argv, env);
  if (read.help) return { kind: 'help' };
  const { out, schema, ...rest } = read.values;
  if (out === undefined) throw missing(EXPORT_SETTINGS.out);
  return { kind: 'run', config: { out, schema: schema ?? `${out}.schema.json`, ...rest } };
}

/**
 * An error message with a hint when the database does not exist: after `npm run demo` the data is in
 * `ctjp_demo`, not in the default `ct`, and "Unknown database 'ct'" alone does not say so.
 */
export function explainDbError(message: string, db: string): string {
  if (!/Unknown database/i.test(message)) return message;
  return `${message} (reading ${db}; the demo writes to ctjp_demo: add --db mysql://root@127.0.0.1:3306/ctjp_demo, or set CTJP_DB_URL)`;
}
