/**
 * The manager's settings: flags win over CTJP_* environment variables, which
 * win over defaults (docs/design.md, "Configuration"). Everything is parsed and
 * checked here, once; the rest of the manager receives a ManagerConfig.
 */
import { parseArgs } from 'node:util';
import { contactProblem } from '../share/contact.js';
import { DEFAULT_LOG_LIST_STATES, LOG_LIST_STATES, type LogListState } from '../share/logs/log-list.js';

export interface Fraction {
  numerator: number;
  denominator: number;
  text: string;
}

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
  dbUrl: 'mysql://root@127.0.0.1:3306/ct',
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

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseFraction(text: string, what = 'target fraction'): Fraction {
  const t = text.trim();
  let numerator: number;
  let denominator: number;
  const m = /^(\d+)\s*\/\s*(\d+)$/.exec(t);
  if (m) {
    numerator = Number(m[1]);
    denominator = Number(m[2]);
  } else if (/^(0|1)?\.\d{1,9}$|^1$/.test(t)) {
    const [, decimals = ''] = t.split('.');
    denominator = 10 ** decimals.length;
    numerator = Math.round(Number(t) * denominator);
  } else {
    throw new ConfigError(`${what} must be like 1/31 or 0.05 (got "${text}")`);
  }
  if (!(denominator > 0) || !(numerator > 0) || numerator > denominator) throw new ConfigError(`${what} must lie in (0, 1] (got "${text}")`);
  return { numerator, denominator, text: t };
}

function parseDay(s: string, what: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) throw new ConfigError(`${what} must be YYYY-MM-DD (got "${s}")`);
  const d = new Date(`${s}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s) throw new ConfigError(`${what} is not a calendar date (got "${s}")`);
  return d;
}

/** `YYYY-MM-DD/YYYY-MM-DD`, both days inclusive, UTC. */
export function parseWindow(text: string): DateWindow {
  const parts = text.trim().split('/');
  if (parts.length !== 2) throw new ConfigError(`window must be YYYY-MM-DD/YYYY-MM-DD (got "${text}")`);
  const from = parseDay(parts[0], 'window start');
  const last = parseDay(parts[1], 'window end');
  if (last < from) throw new ConfigError(`window end ${parts[1]} is before its start ${parts[0]}`);
  return { from, until: new Date(last.getTime() + 86_400_000), text: text.trim() };
}

/**
 * A share in [0, 1]: `0.02`, `2%` or `1/50`; 0 is allowed (no share at all). Fractions and decimals go
 * through parseFraction.
 */
export function parseShare(text: string, what: string): number {
  const t = text.trim();
  const percent = /^(\d{1,3}(?:\.\d{1,7})?)\s*%$/.exec(t);
  if (percent) {
    const n = Number(percent[1]);
    if (n > 100) throw new ConfigError(`${what} must lie in [0%, 100%] (got "${text}")`);
    return n / 100;
  }
  if (/^0(\.0*)?$|^0\s*\/\s*\d+$/.test(t) && !/\/\s*0+$/.test(t)) return 0;
  try {
    const f = parseFraction(t, what);
    return f.numerator / f.denominator;
  } catch {
    throw new ConfigError(`${what} must be a share in [0, 1] like 0.02, 2% or 1/50 (got "${text}")`);
  }
}

function parseInteger(text: string, what: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`${what} must be a whole number (got "${text}")`);
  const n = Number(text);
  if (n < min || n > max) throw new ConfigError(`${what} must lie in [${min}, ${max}] (got ${n})`);
  return n;
}

function parseBool(text: string, what: string): boolean {
  if (/^(1|true|yes|on)$/i.test(text)) return true;
  if (/^(0|false|no|off|)$/i.test(text)) return false;
  throw new ConfigError(`${what} must be 1 or 0 (got "${text}")`);
}

/** `pending,rejected`: states of a log list to read besides the default ones. */
export function parseLogStates(text: string): LogListState[] {
  const states = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const s of states) {
    if (!(LOG_LIST_STATES as readonly string[]).includes(s)) throw new ConfigError(`log-states: unknown state "${s}" (states: ${LOG_LIST_STATES.join(', ')})`);
  }
  return [...new Set(states)].filter((s) => !DEFAULT_LOG_LIST_STATES.includes(s as LogListState)) as LogListState[];
}

const OPTIONS = {
  db: { type: 'string' },
  logs: { type: 'string' },
  'log-list': { type: 'string' },
  'log-list-sig': { type: 'string' },
  'log-list-key': { type: 'string' },
  'log-states': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  'target-fraction': { type: 'string' },
  window: { type: 'string' },
  'assignment-size': { type: 'string' },
  'dead-after': { type: 'string' },
  open: { type: 'boolean' },
  'log-retry': { type: 'string' },
  'log-refresh': { type: 'string' },
  'sth-timeout-ms': { type: 'string' },
  'ping-interval': { type: 'string' },
  'reaper-interval': { type: 'string' },
  'db-connections': { type: 'string' },
  'ingest-threads': { type: 'string' },
  'log-level': { type: 'string' },
  'analysis-cache': { type: 'string' },
  contact: { type: 'string' },
  'audit-share': { type: 'string' },
} as const;

/** flag name -> environment variable. */
const ENV: Record<keyof typeof OPTIONS, string> = {
  db: 'CTJP_DB_URL',
  logs: 'CTJP_LOGS',
  'log-list': 'CTJP_LOG_LIST',
  'log-list-sig': 'CTJP_LOG_LIST_SIG',
  'log-list-key': 'CTJP_LOG_LIST_KEY',
  'log-states': 'CTJP_LOG_STATES',
  host: 'CTJP_HOST',
  port: 'CTJP_PORT',
  'data-dir': 'CTJP_DATA_DIR',
  'target-fraction': 'CTJP_TARGET_FRACTION',
  window: 'CTJP_WINDOW',
  'assignment-size': 'CTJP_ASSIGNMENT_SIZE',
  'dead-after': 'CTJP_DEAD_AFTER_S',
  open: 'CTJP_OPEN',
  'log-retry': 'CTJP_LOG_RETRY_S',
  'log-refresh': 'CTJP_LOG_REFRESH_S',
  'sth-timeout-ms': 'CTJP_STH_TIMEOUT_MS',
  'ping-interval': 'CTJP_PING_INTERVAL_S',
  'reaper-interval': 'CTJP_REAPER_INTERVAL_S',
  'db-connections': 'CTJP_DB_CONNECTIONS',
  'ingest-threads': 'CTJP_INGEST_THREADS',
  'log-level': 'CTJP_LOG_LEVEL',
  'analysis-cache': 'CTJP_ANALYSIS_CACHE_S',
  contact: 'CTJP_CONTACT',
  'audit-share': 'CTJP_AUDIT_SHARE',
};

export const USAGE = `Usage: npm run manager -- [options]
       npm run manager -- token issue --name <friend> [--admin]
       npm run manager -- token list | token revoke --name <friend>

Options (flag / environment variable, flags win):
  --db URL                 CTJP_DB_URL            MySQL URL (${DEFAULTS.dbUrl})
  --logs FILE              CTJP_LOGS              log catalogue (built-in: src/share/logs/default-logs.json)
  --log-list FILE|URL      CTJP_LOG_LIST          build the catalogue from a browser log list instead (Chrome v3, Apple)
  --log-list-sig FILE|URL  CTJP_LOG_LIST_SIG      the list's signature, checked before it is read (needs --log-list-key)
  --log-list-key FILE      CTJP_LOG_LIST_KEY      PEM public key the signature is checked with
  --log-states S1,S2       CTJP_LOG_STATES        log list states to read besides ${DEFAULT_LOG_LIST_STATES.join(', ')} (pending, rejected)
  --host HOST              CTJP_HOST              listen address (${DEFAULTS.host})
  --port N                 CTJP_PORT              listen port (${DEFAULTS.port})
  --data-dir DIR           CTJP_DATA_DIR          raw leaf files (${DEFAULTS.dataDir})
  --target-fraction F      CTJP_TARGET_FRACTION   share of each log from index 0 (${DEFAULTS.targetFraction})
  --window D1/D2           CTJP_WINDOW            date window YYYY-MM-DD/YYYY-MM-DD (inclusive, UTC) instead of the fraction;
                                                  only the shards whose temporal interval can hold its certificates
  --assignment-size N      CTJP_ASSIGNMENT_SIZE   entries per assignment (${DEFAULTS.assignmentSize})
  --dead-after S           CTJP_DEAD_AFTER_S      silence after which a worker is dead, at least ${LIVENESS_RATIO} ping intervals (${DEFAULTS.deadAfterS})
  --open                   CTJP_OPEN=1            accept unauthenticated workers (local use only)
  --log-retry S            CTJP_LOG_RETRY_S       longest wait before asking an unavailable log again; the wait starts
                                                  at ${LOG_RETRY_FIRST_S} s and doubles after each failure (${DEFAULTS.logRetryS})
  --log-refresh S          CTJP_LOG_REFRESH_S     refresh available logs' tree heads every (${DEFAULTS.logRefreshS})
  --sth-timeout-ms MS      CTJP_STH_TIMEOUT_MS    timeout of one get-sth call (${DEFAULTS.sthTimeoutMs})
  --ping-interval S        CTJP_PING_INTERVAL_S   ping interval told to workers, at most dead-after / ${LIVENESS_RATIO}
                                                  (default: dead-after / 4, at most ${DEFAULTS.pingIntervalS})
  --reaper-interval S      CTJP_REAPER_INTERVAL_S reaper period (default: dead-after / 4)
  --db-connections N       CTJP_DB_CONNECTIONS    database pool size (${DEFAULTS.dbConnections})
  --ingest-threads N       CTJP_INGEST_THREADS    threads that ingest uploads, 4 connections each (${DEFAULTS.ingestThreads})
  --log-level LEVEL        CTJP_LOG_LEVEL         fatal..trace (${DEFAULTS.logLevel})
  --analysis-cache S       CTJP_ANALYSIS_CACHE_S  recompute the analysis summary when older than (${DEFAULTS.analysisCacheS})
  --contact EMAIL|URL      CTJP_CONTACT           your e-mail or https URL, which workers send to the CT logs in their
                                                  User-Agent (logs throttle clients that give none)
  --audit-share F          CTJP_AUDIT_SHARE       share of completed ranges re-scanned by another friend to check them,
                                                  0..1: 0.02, 2% or 1/50 (${DEFAULTS.auditShare})
`;

export interface ParsedCommandLine {
  config: ManagerConfig;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

/** Parse argv (without node and script) and the environment into a checked config. */
export function parseManagerArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...OPTIONS, name: { type: 'string' }, admin: { type: 'boolean' }, help: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const get = (flag: keyof typeof OPTIONS): string | undefined => {
    const f = v[flag];
    if (typeof f === 'string') return f;
    if (f === true) return '1';
    const e = env[ENV[flag]];
    return e === undefined || e === '' ? undefined : e;
  };
  const deadAfterS = parseInteger(get('dead-after') ?? String(DEFAULTS.deadAfterS), 'dead-after', LIVENESS_RATIO, 86_400 * 30);
  const windowText = get('window');
  /** How a setting was given, for messages: `--flag` or the variable's name. */
  const given = (flag: keyof typeof OPTIONS): string => (typeof v[flag] === 'string' ? `--${flag}` : ENV[flag]);
  const logList = get('log-list') ?? null;
  const logListSig = get('log-list-sig') ?? null;
  const logListKey = get('log-list-key') ?? null;
  const logStates = get('log-states');
  if (logList !== null && get('logs') !== undefined) throw new ConfigError(`${given('logs')} and ${given('log-list')} are both set: a log list replaces the catalogue file, give one of them`);
  if (logList === null) {
    for (const flag of ['log-list-sig', 'log-list-key', 'log-states'] as const) {
      if (get(flag) !== undefined) throw new ConfigError(`${given(flag)} is set but no log list is (--log-list / CTJP_LOG_LIST)`);
    }
  }
  if (logListSig !== null && logListKey === null) throw new ConfigError(`${given('log-list-sig')} needs the public key to check the signature with (--log-list-key / CTJP_LOG_LIST_KEY)`);
  if (logListKey !== null && logListSig === null) throw new ConfigError(`${given('log-list-key')} needs the signature to check (--log-list-sig / CTJP_LOG_LIST_SIG)`);
  if (logListKey !== null && /^https?:\/\//i.test(logListKey)) throw new ConfigError(`${given('log-list-key')} must be a file: a key fetched from the same place as the list would prove nothing`);
  const config: ManagerConfig = {
    dbUrl: get('db') ?? DEFAULTS.dbUrl,
    logsFile: get('logs') ?? null,
    logList,
    logListSig,
    logListKey,
    logListStates: logStates === undefined ? [] : parseLogStates(logStates),
    host: get('host') ?? DEFAULTS.host,
    port: parseInteger(get('port') ?? String(DEFAULTS.port), 'port', 0, 65535),
    dataDir: get('data-dir') ?? DEFAULTS.dataDir,
    targetFraction: parseFraction(get('target-fraction') ?? DEFAULTS.targetFraction),
    window: windowText ? parseWindow(windowText) : null,
    assignmentSize: parseInteger(get('assignment-size') ?? String(DEFAULTS.assignmentSize), 'assignment-size', 1, 100_000_000),
    deadAfterS,
    open: parseBool(get('open') ?? '0', 'open'),
    logRetryS: parseInteger(get('log-retry') ?? String(DEFAULTS.logRetryS), 'log-retry', 1, 86_400),
    logRefreshS: parseInteger(get('log-refresh') ?? String(DEFAULTS.logRefreshS), 'log-refresh', 1, 86_400 * 7),
    sthTimeoutMs: parseInteger(get('sth-timeout-ms') ?? String(DEFAULTS.sthTimeoutMs), 'sth-timeout-ms', 100, 600_000),
    pingIntervalS: parseInteger(get('ping-interval') ?? String(derivedPingIntervalS(deadAfterS)), 'ping-interval', 1, 3600),
    reaperIntervalS: parseInteger(get('reaper-interval') ?? String(derivedReaperIntervalS(deadAfterS)), 'reaper-interval', 1, 3600),
    dbConnections: parseInteger(get('db-connections') ?? String(DEFAULTS.dbConnections), 'db-connections', 1, 1000),
    ingestThreads: parseInteger(get('ingest-threads') ?? String(DEFAULTS.ingestThreads), 'ingest-threads', 1, 64),
    logLevel: get('log-level') ?? DEFAULTS.logLevel,
    analysisCacheS: parseInteger(get('analysis-cache') ?? String(DEFAULTS.analysisCacheS), 'analysis-cache', 1, 86_400 * 7),
    contact: get('contact') ?? null,
    auditShare: parseShare(get('audit-share') ?? DEFAULTS.auditShare, given('audit-share')),
  };
  // Only a ping interval that was given can fail this: the derived one always fits.
  const livenessWhy = livenessProblem(config);
  if (livenessWhy !== null) throw new ConfigError(`${given('dead-after')} ${config.deadAfterS} and ${given('ping-interval')} ${config.pingIntervalS} ${livenessWhy}`);
  const contactWhy = config.contact === null ? null : contactProblem(config.contact);
  if (contactWhy !== null) throw new ConfigError(`${given('contact')} "${config.contact!.slice(0, 80)}" ${contactWhy}`);
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) throw new ConfigError(`log-level must be one of fatal, error, warn, info, debug, trace, silent (got "${config.logLevel}")`);
  return { config, positionals: parsed.positionals, values: v };
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
