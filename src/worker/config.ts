/**
 * The worker's settings: command-line flags and CTJP_* environment variables
 * (flags win), validated in one place, with the --help text beside them.
 */
import { join } from 'node:path';
import { parseProxyUrl } from '../share/ct/index.js';
import { ConfigError, boolean, checkedBy, contact, httpUrl, integer, missing, readSettings, secondsAsMs, settingsHelp, text, type Command, type Parser, type SettingTable } from '../share/config.js';
import { defaultCacheDir } from './spool.js';

export interface WorkerConfig {
  name: string;
  /** E-mail address or https URL that CT log operators can reach the collection's operator at (in the User-Agent). */
  contact: string | null;
  managerUrl: string;
  token: string | null;
  proxies: string[];
  spoolDir: string;
  spoolMaxBytes: number;
  spoolRetryMs: number;
  /** Least time between two requests to one log (on top of each operator's own limits). */
  minRequestIntervalMs: number;
  /** Requests in flight per log; null: each operator's default (src/worker/politeness.ts). */
  inFlight: number | null;
  /** Most entries asked per get-entries request. */
  batchSize: number;
  exitWhenIdle: boolean;
  statusIntervalMs: number;
}

export { ConfigError };

/** 1-64 characters without control characters, as the manager accepts. */
const friendName: Parser<string> = (t, name) => {
  if (t.length > 64 || [...t].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new ConfigError(`${name} "${t}" must be 1-64 characters without control characters`);
  return t;
};

/** The worker's settings, keyed by their WorkerConfig field. */
export const WORKER_SETTINGS = {
  name: { flag: 'name', env: 'CTJP_NAME', arg: 'NAME', help: 'your name as shown on the dashboard (1-64 characters)', required: true, parse: friendName },
  contact: {
    flag: 'contact',
    env: 'CTJP_CONTACT',
    arg: 'EMAIL|URL',
    help: 'an e-mail address or https:// URL for the CT log operators, sent in the User-Agent',
    shownDefault: "the contact the\nmanager's operator set; logs throttle clients that give none",
    parse: contact,
  },
  managerUrl: { flag: 'manager', env: 'CTJP_MANAGER_URL', arg: 'URL', help: "the manager's base URL", default: 'http://127.0.0.1:8080', parse: httpUrl },
  token: { flag: 'token', env: 'CTJP_TOKEN', arg: 'TOKEN', help: 'the credential the manager operator gave you', parse: text },
  proxies: {
    flag: 'proxy',
    env: 'CTJP_PROXIES',
    arg: 'URL',
    multiple: true,
    help:
      'fetch the CT logs through this proxy; repeat the flag (or comma-separate the variable) for several.\n' +
      'http://[user:pass@]host:port or socks5://[user:pass@]host:port; requests are spread over them and\n' +
      'a failing proxy is set aside for 5 minutes. The manager itself is always reached directly',
    parse: checkedBy(parseProxyUrl),
  },
  spoolDir: { flag: 'spool-dir', env: 'CTJP_SPOOL_DIR', arg: 'DIR', help: 'where uploads that failed wait for a retry', shownDefault: '<cache>/ctjp/spool/<name>', parse: text },
  spoolMaxBytes: { flag: 'spool-max-mb', env: 'CTJP_SPOOL_MAX_MB', arg: 'MB', help: 'size cap of the spool; scanning waits when it is full', default: '512', parse: integer(1, 1_000_000, 2 ** 20) },
  spoolRetryMs: { flag: 'spool-retry-s', env: 'CTJP_SPOOL_RETRY_S', arg: 'S', help: 'seconds between two upload attempts of one spooled unit', default: '600', parse: secondsAsMs(1, 86_400) },
  minRequestIntervalMs: {
    flag: 'interval-ms',
    env: 'CTJP_INTERVAL_MS',
    arg: 'MS',
    help: 'least time between two requests to one log, to go easy on your line',
    default: '0',
    shownDefault: '0: as fast as each log allows',
    parse: integer(0, 600_000),
  },
  inFlight: {
    flag: 'in-flight',
    env: 'CTJP_IN_FLIGHT',
    arg: 'N',
    help: 'requests in flight per log',
    shownDefault: 'by operator, Google 12, DigiCert 4, TrustAsia 2, others 4',
    parse: integer(1, 64),
  },
  batchSize: {
    flag: 'batch-size',
    env: 'CTJP_BATCH_SIZE',
    arg: 'N',
    help:
      'most entries asked per request. The page size follows each log: every log answers at most\n' +
      'its own page (Google 32 - the "32" you may see is Google\'s - others 100, 256 or 1,024), which the worker\n' +
      'learns and asks in whole pages, up to this cap; tiled logs are read in 256-entry tiles',
    default: '256',
    parse: integer(1, 10_000),
  },
  exitWhenIdle: { flag: 'exit-when-idle', env: 'CTJP_EXIT_WHEN_IDLE', help: 'exit (code 0) once the manager has no work left, instead of waiting for more', default: '0', shownDefault: 'off', parse: boolean },
  statusIntervalMs: { flag: 'status-interval-s', env: 'CTJP_STATUS_INTERVAL_S', arg: 'S', help: 'seconds between two progress lines', default: '10', parse: secondsAsMs(1, 3600) },
} as const satisfies SettingTable;

export function helpText(version: string): string {
  return [
    `ctjp-worker ${version}: scans Certificate Transparency logs for .jp certificates and uploads them to the ctjp manager.`,
    '',
    'Usage: ctjp-worker --name <your name> --manager <url> [options]',
    '',
    'Every option can also be set as an environment variable (the flag wins):',
    '',
    settingsHelp(WORKER_SETTINGS),
    `  ${'--version'.padEnd(32)} print the version`,
    '',
    'Stop it with Ctrl-C (or docker stop): it finishes its uploads and tells the manager within 10 seconds;',
    'a second Ctrl-C stops it at once. Nothing is written to disk except the spool.',
  ].join('\n');
}

/** Folder-safe form of a friend's name for the default spool folder. */
function folderName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64) || 'worker';
}

export type ParsedCommand = Command<WorkerConfig> | { kind: 'version' };

export function parseWorkerConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCommand {
  const read = readSettings(WORKER_SETTINGS, argv, env, { extraOptions: { version: { type: 'boolean' } } });
  if (read.help) return { kind: 'help' };
  if (read.extra.version) return { kind: 'version' };
  const v = read.values;
  if (v.name === undefined) throw missing(WORKER_SETTINGS.name);
  return {
    kind: 'run',
    config: {
      ...v,
      name: v.name,
      contact: v.contact ?? null,
      token: v.token ?? null,
      spoolDir: v.spoolDir ?? join(defaultCacheDir(env), 'spool', folderName(v.name)),
      inFlight: v.inFlight ?? null,
    },
  };
}
