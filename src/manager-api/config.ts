/**
 * The manager's settings: flags win over CTJP_* environment variables, which
 * win over defaults (docs/design.md, "Configuration"). Everything is parsed and
 * checked here, once; the rest of the manager receives a ManagerConfig.
 */
import { DEFAULT_DB_URL, parseDatabaseUrl } from '../db/url.js';
import { ConfigError, boolean, checkedBy, contact, integer, oneOf, parseFraction, parseShare, readSettings, settingsHelp, text, type Fraction, type SettingTable } from '../share/config.js';
import { DEFAULT_LOG_LIST_STATES, LOG_LIST_STATES, type LogListState } from '../share/logs/log-list.js';

// Re-exported for the code and tests that read the target fraction and catch refusals from here.
export { ConfigError, parseFraction, type Fraction };

export interface DateWindow {
  /** First instant of the first day (UTC). */
  from: Date;
  /** First instant after the last day (UTC): both dates are inclusive. */
  until: Date;
  text: string;
}

export interface ManagerConfig {
  dbUrl: string;
  /** Catalogue file; null = the built-in catalogue (or the log list, when one is given). */
  logsFile: string | null;
  /** A browser log list (FILE or http(s) URL) the catalogue is built from instead; null = none. */
  logList: string | null;
  /** Detached signature (FILE or URL) over the log list's exact bytes; null = not checked. */
  logListSig: string | null;
  /** PEM public key FILE the signature is checked with. */
  logListKey: string | null;
  /** Log list states read besides the default ones (qualified, usable, readonly, retired). */
  logListStates: LogListState[];
  host: string;
  port: number;
  dataDir: string;
  targetFraction: Fraction;
  window: DateWindow | null;
  assignmentSize: number;
  /** Silence after which a worker is dead; at least LIVENESS_RATIO ping intervals. */
  deadAfterS: number;
  open: boolean;
  /** Longest wait before asking an unavailable log again (the wait starts at seconds and doubles up to it). */
  logRetryS: number;
  /** How often an available log's tree head is refreshed. */
  logRefreshS: number;
  sthTimeoutMs: number;
  /** Ping interval told to workers: dead-after / 4 (at most 30 s) unless given. */
  pingIntervalS: number;
  /** How often the reaper looks for silent workers. */
  reaperIntervalS: number;
  dbConnections: number;
  /** Worker threads that ingest uploads (each with its own small connection pool). */
  ingestThreads: number;
  logLevel: string;
  /** Age after which the cached analysis summary is recomputed in the background. */
  analysisCacheS: number;
  /** E-mail or https URL of the collection's operator, sent to workers for their User-Agent; null = none. */
  contact: string | null;
  /** Share of completed leases re-scanned by another friend's worker to check it, in [0, 1]. */
  auditShare: number;
}

export const DEFAULTS = {
  dbUrl: DEFAULT_DB_URL,
  host: '127.0.0.1',
  port: 8080,
  dataDir: './data',
  targetFraction: '1/31',
  assignmentSize: 100_000,
  deadAfterS: 120,
  logRetryS: 300,
  logRefreshS: 3600,
  sthTimeoutMs: 10_000,
  pingIntervalS: 30,
  dbConnections: 20,
  ingestThreads: 1,
  logLevel: 'info',
  analysisCacheS: 300,
  auditShare: '0.02',
} as const;

/**
 * A worker is declared dead after dead-after seconds of silence, and pings every ping interval: dead-after
 * must span at least this many intervals, so that a live worker is never declared dead between two pings
 * and one late ping is not fatal either.
 */
export const LIVENESS_RATIO = 2;

/** The first wait before asking a log that failed its tree head again; it doubles up to --log-retry. */
export const LOG_RETRY_FIRST_S = 5;

/** The ping interval told to workers when none is given: four pings per dead-after, at most the default 30 s. */
export function derivedPingIntervalS(deadAfterS: number): number {
  return Math.min(DEFAULTS.pingIntervalS, Math.max(1, Math.floor(deadAfterS / 4)));
}

/** The reaper's period when none is given: four passes per dead-after. */
export function derivedReaperIntervalS(deadAfterS: number): number {
  return Math.max(1, Math.floor(deadAfterS / 4));
}

function parseDay(s: string, name: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) throw new ConfigError(`${name} must be YYYY-MM-DD (got "${s}")`);
  const d = new Date(`${s}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s) throw new ConfigError(`${name} is not a calendar date (got "${s}")`);
  return d;
}

/** `YYYY-MM-DD/YYYY-MM-DD`, both days inclusive, UTC. */
export function parseWindow(text: string, name = 'window'): DateWindow {
  const parts = text.trim().split('/');
  if (parts.length !== 2) throw new ConfigError(`${name} must be YYYY-MM-DD/YYYY-MM-DD (got "${text}")`);
  const from = parseDay(parts[0], `${name} start`);
  const last = parseDay(parts[1], `${name} end`);
  if (last < from) throw new ConfigError(`${name} end ${parts[1]} is before its start ${parts[0]}`);
  return { from, until: new Date(last.getTime() + 86_400_000), text: text.trim() };
}

/** `pending,rejected`: states of a log list to read besides the default ones. */
export function parseLogStates(text: string, name = 'log-states'): LogListState[] {
  const states = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const s of states) {
    if (!(LOG_LIST_STATES as readonly string[]).includes(s)) throw new ConfigError(`${name}: unknown state "${s}" (states: ${LOG_LIST_STATES.join(', ')})`);
  }
  return [...new Set(states)].filter((s) => !DEFAULT_LOG_LIST_STATES.includes(s as LogListState)) as LogListState[];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The manager's settings, keyed by their ManagerConfig field. */
export const MANAGER_SETTINGS = {
  dbUrl: { flag: 'db', env: 'CTJP_DB_URL', arg: 'URL', help: 'MySQL URL of the database, created and migrated at start-up', default: DEFAULTS.dbUrl, parse: checkedBy(parseDatabaseUrl) },
  logsFile: { flag: 'logs', env: 'CTJP_LOGS', arg: 'FILE', help: 'log catalogue', shownDefault: 'the built-in src/share/logs/default-logs.json', parse: text },
  logList: { flag: 'log-list', env: 'CTJP_LOG_LIST', arg: 'FILE|URL', help: 'build the catalogue from a browser log list instead (Chrome v3, Apple)', parse: text },
  logListSig: { flag: 'log-list-sig', env: 'CTJP_LOG_LIST_SIG', arg: 'FILE|URL', help: "the list's detached signature, checked before it is read (needs --log-list-key)", parse: text },
  logListKey: { flag: 'log-list-key', env: 'CTJP_LOG_LIST_KEY', arg: 'FILE', help: 'PEM public key the signature is checked with', parse: text },
  logListStates: {
    flag: 'log-states',
    env: 'CTJP_LOG_STATES',
    arg: 'S1,S2',
    help: `log list states to read besides ${DEFAULT_LOG_LIST_STATES.join(', ')} (pending, rejected)`,
    parse: parseLogStates,
  },
  host: { flag: 'host', env: 'CTJP_HOST', arg: 'HOST', help: 'listen address', default: DEFAULTS.host, parse: text },
  port: { flag: 'port', env: 'CTJP_PORT', arg: 'N', help: 'listen port', default: String(DEFAULTS.port), parse: integer(0, 65535) },
  dataDir: { flag: 'data-dir', env: 'CTJP_DATA_DIR', arg: 'DIR', help: 'raw leaf files', default: DEFAULTS.dataDir, parse: text },
  targetFraction: { flag: 'target-fraction', env: 'CTJP_TARGET_FRACTION', arg: 'F', help: 'share of each log from index 0 (1/31 or 0.05)', default: DEFAULTS.targetFraction, parse: parseFraction },
  window: {
    flag: 'window',
    env: 'CTJP_WINDOW',
    arg: 'D1/D2',
    help: 'date window YYYY-MM-DD/YYYY-MM-DD (inclusive, UTC) instead of the fraction;\nonly the shards whose temporal interval can hold its certificates',
    parse: parseWindow,
  },
  assignmentSize: { flag: 'assignment-size', env: 'CTJP_ASSIGNMENT_SIZE', arg: 'N', help: 'entries per assignment', default: String(DEFAULTS.assignmentSize), parse: integer(1, 100_000_000) },
  deadAfterS: {
    flag: 'dead-after',
    env: 'CTJP_DEAD_AFTER_S',
    arg: 'S',
    help: `silence after which a worker is dead, at least ${LIVENESS_RATIO} ping intervals`,
    default: String(DEFAULTS.deadAfterS),
    parse: integer(LIVENESS_RATIO, 86_400 * 30),
  },
  open: { flag: 'open', env: 'CTJP_OPEN', help: 'accept unauthenticated workers (local use only)', default: '0', shownDefault: 'off', parse: boolean },
  logRetryS: {
    flag: 'log-retry',
    env: 'CTJP_LOG_RETRY_S',
    arg: 'S',
    help: `longest wait before asking an unavailable log again; the wait starts\nat ${LOG_RETRY_FIRST_S} s and doubles after each failure`,
    default: String(DEFAULTS.logRetryS),
    parse: integer(1, 86_400),
  },
  logRefreshS: { flag: 'log-refresh', env: 'CTJP_LOG_REFRESH_S', arg: 'S', help: "refresh available logs' tree heads every", default: String(DEFAULTS.logRefreshS), parse: integer(1, 86_400 * 7) },
  sthTimeoutMs: { flag: 'sth-timeout-ms', env: 'CTJP_STH_TIMEOUT_MS', arg: 'MS', help: 'timeout of one get-sth call', default: String(DEFAULTS.sthTimeoutMs), parse: integer(100, 600_000) },
  pingIntervalS: {
    flag: 'ping-interval',
    env: 'CTJP_PING_INTERVAL_S',
    arg: 'S',
    help: `ping interval told to workers, at most dead-after / ${LIVENESS_RATIO}`,
    shownDefault: `dead-after / 4, at most ${DEFAULTS.pingIntervalS}`,
    parse: integer(1, 3600),
  },
  reaperIntervalS: { flag: 'reaper-interval', env: 'CTJP_REAPER_INTERVAL_S', arg: 'S', help: 'reaper period', shownDefault: 'dead-after / 4', parse: integer(1, 3600) },
  dbConnections: { flag: 'db-connections', env: 'CTJP_DB_CONNECTIONS', arg: 'N', help: 'database pool size', default: String(DEFAULTS.dbConnections), parse: integer(1, 1000) },
  ingestThreads: { flag: 'ingest-threads', env: 'CTJP_INGEST_THREADS', arg: 'N', help: 'threads that ingest uploads, 4 connections each', default: String(DEFAULTS.ingestThreads), parse: integer(1, 64) },
  logLevel: { flag: 'log-level', env: 'CTJP_LOG_LEVEL', arg: 'LEVEL', help: 'fatal..trace, silent', default: DEFAULTS.logLevel, parse: oneOf(LOG_LEVELS) },
  analysisCacheS: {
    flag: 'analysis-cache',
    env: 'CTJP_ANALYSIS_CACHE_S',
    arg: 'S',
    help: 'recompute the analysis summary when older than',
    default: String(DEFAULTS.analysisCacheS),
    parse: integer(1, 86_400 * 7),
  },
  contact: {
    flag: 'contact',
    env: 'CTJP_CONTACT',
    arg: 'EMAIL|URL',
    help: 'your e-mail or https URL, which workers send to the CT logs in their\nUser-Agent (logs throttle clients that give none)',
    parse: contact,
  },
  auditShare: {
    flag: 'audit-share',
    env: 'CTJP_AUDIT_SHARE',
    arg: 'F',
    help: 'share of completed ranges re-scanned by another friend to check them,\n0..1: 0.02, 2% or 1/50',
    default: DEFAULTS.auditShare,
    parse: parseShare,
  },
} as const satisfies SettingTable;

export const USAGE = `Usage: npm run manager -- [options]
       npm run manager -- token issue --name <friend> [--admin]
       npm run manager -- token list | token revoke --name <friend>

Options (flag / environment variable, flags win):
${settingsHelp(MANAGER_SETTINGS)}
`;

export interface ParsedCommandLine {
  config: ManagerConfig;
  positionals: string[];
  /** The token command's --name and --admin, and --help. */
  values: Record<string, string | boolean | undefined>;
}

/** Parse argv (without node and script) and the environment into a checked config. */
export function parseManagerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCommandLine {
  const read = readSettings(MANAGER_SETTINGS, argv, env, { extraOptions: { name: { type: 'string' }, admin: { type: 'boolean' } }, positionals: true });
  const values = { ...read.extra, help: read.help };
  if (read.help) return { config: managerConfig(), positionals: read.positionals, values };
  const v = read.values;
  const given = read.source;
  if (v.logList !== undefined && v.logsFile !== undefined) throw new ConfigError(`${given('logsFile')} and ${given('logList')} are both set: a log list replaces the catalogue file, give one of them`);
  if (v.logList === undefined) {
    for (const key of ['logListSig', 'logListKey', 'logListStates'] as const) {
      if (v[key] !== undefined) throw new ConfigError(`${given(key)} is set but no log list is (--log-list / CTJP_LOG_LIST)`);
    }
  }
  if (v.logListSig !== undefined && v.logListKey === undefined) throw new ConfigError(`${given('logListSig')} needs the public key to check the signature with (--log-list-key / CTJP_LOG_LIST_KEY)`);
  if (v.logListKey !== undefined && v.logListSig === undefined) throw new ConfigError(`${given('logListKey')} needs the signature to check (--log-list-sig / CTJP_LOG_LIST_SIG)`);
  if (v.logListKey !== undefined && /^https?:\/\//i.test(v.logListKey)) throw new ConfigError(`${given('logListKey')} must be a file: a key fetched from the same place as the list would prove nothing`);
  const config: ManagerConfig = {
    ...v,
    logsFile: v.logsFile ?? null,
    logList: v.logList ?? null,
    logListSig: v.logListSig ?? null,
    logListKey: v.logListKey ?? null,
    logListStates: v.logListStates ?? [],
    window: v.window ?? null,
    pingIntervalS: v.pingIntervalS ?? derivedPingIntervalS(v.deadAfterS),
    reaperIntervalS: v.reaperIntervalS ?? derivedReaperIntervalS(v.deadAfterS),
    contact: v.contact ?? null,
  };
  // Only a ping interval that was given can fail this: the derived one always fits.
  const livenessWhy = livenessProblem(config);
  if (livenessWhy !== null) throw new ConfigError(`${given('deadAfterS')} ${config.deadAfterS} and ${given('pingIntervalS')} ${config.pingIntervalS} ${livenessWhy}`);
  return { config, positionals: read.positionals, values };
}

/** Why a dead-after and a ping interval do not fit together (null when they do). */
export function livenessProblem(config: Pick<ManagerConfig, 'deadAfterS' | 'pingIntervalS'>): string | null {
  if (config.deadAfterS >= LIVENESS_RATIO * config.pingIntervalS) return null;
  return `do not fit: dead-after must be at least ${LIVENESS_RATIO} ping intervals (${LIVENESS_RATIO * config.pingIntervalS} s), or live workers are declared dead between their pings`;
}

/**
 * Defaults plus overrides: for tests and benchmarks that build the app directly. As on the command line,
 * the ping and reaper intervals follow an overridden dead-after unless they are overridden too, and a
 * pair that does not fit is refused.
 */
export function managerConfig(overrides: Partial<ManagerConfig> = {}): ManagerConfig {
  const defaults = parseManagerArgs([], {}).config;
  const deadAfterS = overrides.deadAfterS ?? defaults.deadAfterS;
  const config = { ...defaults, pingIntervalS: derivedPingIntervalS(deadAfterS), reaperIntervalS: derivedReaperIntervalS(deadAfterS), ...overrides };
  const why = livenessProblem(config);
  if (why !== null) throw new ConfigError(`deadAfterS ${config.deadAfterS} and pingIntervalS ${config.pingIntervalS} ${why}`);
  if (!(config.auditShare >= 0 && config.auditShare <= 1)) throw new ConfigError(`auditShare must lie in [0, 1] (got ${config.auditShare})`);
  return config;
}
