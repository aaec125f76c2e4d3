/**
 * The worker's settings: command-line flags and CTJP_* environment variables
 * (flags win), validated in one place, with the --help text beside them.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseProxyUrl } from '../share/ct/index.js';
import { contactProblem } from '../share/contact.js';
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

export class ConfigError extends Error {
  override name = 'ConfigError';
}

interface Setting {
  flag: string;
  env: string;
  arg?: string;
  help: string;
  multiple?: boolean;
  boolean?: boolean;
}

const SETTINGS: Setting[] = [
  { flag: 'name', env: 'CTJP_NAME', arg: 'NAME', help: 'your name as shown on the dashboard (required; 1-64 characters)' },
  {
    flag: 'contact',
    env: 'CTJP_CONTACT',
    arg: 'EMAIL|URL',
    help: "an e-mail address or https:// URL for the CT log operators, sent in the User-Agent (default: the contact the\n" +
      "manager's operator set; logs throttle clients that give none)",
  },
  { flag: 'manager', env: 'CTJP_MANAGER_URL', arg: 'URL', help: "the manager's base URL (default http://127.0.0.1:8080)" },
  { flag: 'token', env: 'CTJP_TOKEN', arg: 'TOKEN', help: 'the credential the manager operator gave you' },
  {
    flag: 'proxy',
    env: 'CTJP_PROXIES',
    arg: 'URL',
    multiple: true,
    help: 'fetch the CT logs through this proxy; repeat the flag (or comma-separate the variable) for several.\n' +
      'http://[user:pass@]host:port or socks5://[user:pass@]host:port; requests are spread over them and\n' +
      'a failing proxy is set aside for 5 minutes. The manager itself is always reached directly',
  },
  { flag: 'spool-dir', env: 'CTJP_SPOOL_DIR', arg: 'DIR', help: 'where uploads that failed wait for a retry (default: <cache>/ctjp/spool/<name>)' },
  { flag: 'spool-max-mb', env: 'CTJP_SPOOL_MAX_MB', arg: 'MB', help: 'size cap of the spool; scanning waits when it is full (default 512)' },
  { flag: 'spool-retry-s', env: 'CTJP_SPOOL_RETRY_S', arg: 'S', help: 'seconds between two upload attempts of one spooled unit (default 600)' },
  { flag: 'interval-ms', env: 'CTJP_INTERVAL_MS', arg: 'MS', help: 'least time between two requests to one log, to go easy on your line (default 0: as fast as each log allows)' },
  { flag: 'in-flight', env: 'CTJP_IN_FLIGHT', arg: 'N', help: 'requests in flight per log (default: by operator, Google 12, DigiCert 4, TrustAsia 2, others 4)' },
  {
    flag: 'batch-size',
    env: 'CTJP_BATCH_SIZE',
    arg: 'N',
    help: 'most entries asked per request (default 256). The page size follows each log: every log answers at most\n' +
      'its own page (Google 32 - the "32" you may see is Google\'s - others 100, 256 or 1,024), which the worker\n' +
      'learns and asks in whole pages, up to this cap; tiled logs are read in 256-entry tiles',
  },
  { flag: 'exit-when-idle', env: 'CTJP_EXIT_WHEN_IDLE', boolean: true, help: 'exit (code 0) once the manager has no work left, instead of waiting for more' },
  { flag: 'status-interval-s', env: 'CTJP_STATUS_INTERVAL_S', arg: 'S', help: 'seconds between two progress lines (default 10)' },
];

export function helpText(version: string): string {
  const lines = [
    `ctjp-worker ${version}: scans Certificate Transparency logs for .jp certificates and uploads them to the ctjp manager.`,
    '',
    'Usage: ctjp-worker --name <your name> --manager <url> [options]',
    '',
    'Every option can also be set as an environment variable (the flag wins):',
    '',
  ];
  for (const s of SETTINGS) {
    const flag = `--${s.flag}${s.arg ? ` ${s.arg}` : ''}`;
    lines.push(`  ${flag.padEnd(26)} ${s.env}${s.boolean ? '=1' : ''}`);
    for (const h of s.help.split('\n')) lines.push(`      ${h}`);
  }
  lines.push('  --help, -h                 this text', '  --version                  print the version', '');
  lines.push('Stop it with Ctrl-C (or docker stop): it finishes its uploads and tells the manager within 10 seconds;');
  lines.push('a second Ctrl-C stops it at once. Nothing is written to disk except the spool.');
  return lines.join('\n');
}

function positiveInt(value: string, what: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value.trim())) throw new ConfigError(`${what} must be a whole number, got "${value}"`);
  const n = Number(value.trim());
  if (n < min || n > max) throw new ConfigError(`${what} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

/** Folder-safe form of a friend's name for the default spool folder. */
function folderName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 64) || 'worker';
}

export type ParsedCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; config: WorkerConfig };

export function parseWorkerConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedCommand {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean' },
  };
  for (const s of SETTINGS) options[s.flag] = s.multiple ? { type: 'string', multiple: true } : { type: s.boolean ? 'boolean' : 'string' };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message} (see --help)`);
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const str = (flag: string, envName: string): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    const e = env[envName];
    return e !== undefined && e.trim() !== '' ? e.trim() : undefined;
  };

  const name = str('name', 'CTJP_NAME');
  if (name === undefined) throw new ConfigError('a name is required: --name <your name> or CTJP_NAME (see --help)');
  // The manager accepts 1-64 characters without control characters.
  if (name.length > 64 || [...name].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new ConfigError(`the name "${name}" must be 1-64 characters without control characters`);

  const contact = str('contact', 'CTJP_CONTACT') ?? null;
  if (contact !== null) {
    const why = contactProblem(contact);
    if (why !== null) throw new ConfigError(`--contact / CTJP_CONTACT "${contact.slice(0, 80)}" ${why}`);
  }

  const managerText = str('manager', 'CTJP_MANAGER_URL') ?? 'http://127.0.0.1:8080';
  let manager: URL;
  try {
    manager = new URL(managerText);
  } catch {
    throw new ConfigError(`the manager URL "${managerText}" is not a URL`);
  }
  if (manager.protocol !== 'http:' && manager.protocol !== 'https:') throw new ConfigError(`the manager URL "${managerText}" must start with http:// or https://`);

  const flagProxies = values.proxy as string[] | undefined;
  const proxies = (flagProxies && flagProxies.length > 0 ? flagProxies : (env.CTJP_PROXIES ?? '').split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const p of proxies) {
    try {
      parseProxyUrl(p);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }

  const num = (flag: string, envName: string, dflt: number, min: number, max: number): number => {
    const v = str(flag, envName);
    return v === undefined ? dflt : positiveInt(v, `--${flag} / ${envName}`, min, max);
  };

  return {
    kind: 'run',
    config: {
      name,
      contact,
      managerUrl: manager.href.replace(/\/+$/, ''),
      token: str('token', 'CTJP_TOKEN') ?? null,
      proxies,
      spoolDir: str('spool-dir', 'CTJP_SPOOL_DIR') ?? join(defaultCacheDir(env), 'spool', folderName(name)),
      spoolMaxBytes: num('spool-max-mb', 'CTJP_SPOOL_MAX_MB', 512, 1, 1_000_000) * 2 ** 20,
      spoolRetryMs: num('spool-retry-s', 'CTJP_SPOOL_RETRY_S', 600, 1, 86_400) * 1000,
      minRequestIntervalMs: num('interval-ms', 'CTJP_INTERVAL_MS', 0, 0, 600_000),
      inFlight: str('in-flight', 'CTJP_IN_FLIGHT') === undefined ? null : num('in-flight', 'CTJP_IN_FLIGHT', 4, 1, 64),
      batchSize: num('batch-size', 'CTJP_BATCH_SIZE', 256, 1, 10_000),
      exitWhenIdle: values['exit-when-idle'] === true || isTrue(env.CTJP_EXIT_WHEN_IDLE),
      statusIntervalMs: num('status-interval-s', 'CTJP_STATUS_INTERVAL_S', 10, 1, 3600) * 1000,
    },
  };
}
