/**
 * `npm run testlog -- [flags]`: serve the test CT logs until interrupted.
 * Flags win over CTJP_TESTLOG_* variables. Fault flags take `VALUE` for
 * every log or `LOG=VALUE` for one log, and may be repeated.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { BUILTIN_LOGS, DEFAULT_LOGS, startTestLogs, TEST_LOG_APIS, type StartOptions, type TestLogApi, type TestLogSpec } from './index.js';
import type { FaultOptions, TileFaults } from './faults.js';

/** Names joined by ", " after `lead`, wrapped at about 90 columns, every line indented like the flag texts. */
function wrapList(names: string[], lead = ''): string {
  const indent = ' '.repeat(22);
  const words = names.map((n, i) => `${n}${i < names.length - 1 ? ',' : ''}`);
  const lines: string[] = [];
  let line = lead;
  for (const w of words) {
    if (line !== '' && indent.length + line.length + 1 + w.length > 90) {
      lines.push(line);
      line = w;
    } else line = line === '' ? w : `${line} ${w}`;
  }
  lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

const logList = (logs: readonly { category: string; name: string }[]): string[] => logs.map((l) => `${l.category}/${l.name}`);

export const USAGE = `Usage: npm run testlog -- [flags]

Serves generated test CT logs on one port, each with the RFC 6962 read API and the
static-ct-api one (checkpoint, tiles, issuers), and writes logs.json (log catalogue),
log_list.json (Chrome v3 log list) and expected.json (ground truth) into --out.

  --seed S            corpus seed (CTJP_TESTLOG_SEED, default ctjp)
  --size N            entries per log (CTJP_TESTLOG_SIZE, default 5000)
  --logs A,B          built-in logs to serve (CTJP_TESTLOG_LOGS), default:
${wrapList(logList(DEFAULT_LOGS))}
${wrapList(logList(BUILTIN_LOGS.filter((l) => !DEFAULT_LOGS.includes(l))), 'others (static-ct-api):')}
  --api [LOG=]API     advertised API, rfc6962 or static-ct-api (a static-ct-api log's
                      leaves carry the leaf_index extension); default per log
  --host H            listen address (CTJP_TESTLOG_HOST, default 127.0.0.1)
  --port P            listen port, 0 = any free port (CTJP_TESTLOG_PORT, default 0)
  --out DIR           output folder (CTJP_TESTLOG_OUT, default tmp/testlog)
  --cache DIR         corpus cache (CTJP_TESTLOG_CACHE, default tmp/testlog-cache)
  --jp-share X        share of .jp entries (default 0.01)
  --page-size [LOG=]N most entries per get-entries answer

Faults ([LOG=]VALUE, repeatable):
  --rate-limit R[/B]  token bucket: R requests per second, burst B; 429 when empty
  --retry-after on|off  send Retry-After with 429 (off: DigiCert style)
  --error-rate X      share of requests answered 500/502/503/504
  --drop-rate X       share of requests whose connection is dropped
  --latency MS|A-B    added delay per request
  --grow N            entries appended per second
  --stale-rate X      share of get-sth answers with an older, smaller tree head

Faults of the static-ct-api read path ([LOG=]VALUE, repeatable; N = data tile number):
  --bad-checkpoint-sig on|off    the checkpoint's log signature signs another root
  --mismatched-data-tile N       data tile N holds another entry in place of its middle one
  --wrong-leaf-index-tile N      data tile N's middle entry has leaf_index one too high
  --gzip-bomb-tile N             data tile N inflates to 64 MiB of zeros
  --partial-tiles-gone on|off    every partial tile (.p/W) answers 404

  --help              this text
`;

const FAULT_FLAGS = [
  'rate-limit',
  'retry-after',
  'error-rate',
  'drop-rate',
  'latency',
  'grow',
  'stale-rate',
  'bad-checkpoint-sig',
  'mismatched-data-tile',
  'wrong-leaf-index-tile',
  'gzip-bomb-tile',
  'partial-tiles-gone',
] as const;

function onOff(flag: string, v: string): boolean {
  if (v !== 'on' && v !== 'off') throw new RangeError(`--${flag}: expected on or off, got ${JSON.stringify(v)}`);
  return v === 'on';
}

function tileNumber(flag: string, v: string): number {
  if (!/^\d{1,15}$/.test(v)) throw new RangeError(`--${flag}: expected a data tile number (an integer >= 0), got ${JSON.stringify(v)}`);
  return Number(v);
}

function setTile<K extends keyof TileFaults>(f: FaultOptions, k: K, v: TileFaults[K]): void {
  f.tiles = { ...f.tiles, [k]: v };
}

function num(flag: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new RangeError(`--${flag}: not a number: ${JSON.stringify(v)}`);
  return n;
}

function applyFault(f: FaultOptions, flag: (typeof FAULT_FLAGS)[number], v: string): void {
  switch (flag) {
    case 'rate-limit': {
      const m = /^([0-9.]+)(?:\/([0-9.]+))?$/.exec(v);
      if (!m) throw new RangeError(`--rate-limit: expected R or R/B, got ${JSON.stringify(v)}`);
      f.rateLimit = { ...f.rateLimit, perSecond: num(flag, m[1]), ...(m[2] ? { burst: num(flag, m[2]) } : {}) };
      break;
    }
    case 'retry-after':
      if (v !== 'on' && v !== 'off') throw new RangeError(`--retry-after: expected on or off, got ${JSON.stringify(v)}`);
      f.rateLimit = { perSecond: f.rateLimit?.perSecond ?? 1, ...f.rateLimit, retryAfter: v === 'on' };
      break;
    case 'error-rate':
      f.errorRate = num(flag, v);
      break;
    case 'drop-rate':
      f.dropRate = num(flag, v);
      break;
    case 'latency': {
      const m = /^(\d+)(?:-(\d+))?$/.exec(v);
      if (!m) throw new RangeError(`--latency: expected MS or MIN-MAX, got ${JSON.stringify(v)}`);
      f.latencyMs = m[2] ? [Number(m[1]), Number(m[2])] : Number(m[1]);
      break;
    }
    case 'grow':
      f.growthPerSecond = num(flag, v);
      break;
    case 'stale-rate':
      f.staleSthRate = num(flag, v);
      break;
    case 'bad-checkpoint-sig':
      setTile(f, 'badCheckpointSignature', onOff(flag, v));
      break;
    case 'mismatched-data-tile':
      setTile(f, 'mismatchedDataTile', tileNumber(flag, v));
      break;
    case 'wrong-leaf-index-tile':
      setTile(f, 'wrongLeafIndexTile', tileNumber(flag, v));
      break;
    case 'gzip-bomb-tile':
      setTile(f, 'gzipBombTile', tileNumber(flag, v));
      break;
    case 'partial-tiles-gone':
      setTile(f, 'partialTilesGone', onOff(flag, v));
      break;
  }
}

/** Split `LOG=VALUE`; a value without `=` applies to every log. */
function scoped(v: string, logNames: string[], flag: string): [string | null, string] {
  const eq = v.indexOf('=');
  if (eq < 0) return [null, v];
  const name = v.slice(0, eq);
  if (!logNames.includes(name)) throw new RangeError(`--${flag}: no served log named ${JSON.stringify(name)} (served: ${logNames.join(', ')})`);
  return [name, v.slice(eq + 1)];
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv): (StartOptions & { outDir: string }) | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      seed: { type: 'string' },
      size: { type: 'string' },
      logs: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      out: { type: 'string' },
      cache: { type: 'string' },
      'jp-share': { type: 'string' },
      'page-size': { type: 'string', multiple: true },
      api: { type: 'string', multiple: true },
      help: { type: 'boolean' },
      'rate-limit': { type: 'string', multiple: true },
      'retry-after': { type: 'string', multiple: true },
      'error-rate': { type: 'string', multiple: true },
      'drop-rate': { type: 'string', multiple: true },
      latency: { type: 'string', multiple: true },
      grow: { type: 'string', multiple: true },
      'stale-rate': { type: 'string', multiple: true },
      'bad-checkpoint-sig': { type: 'string', multiple: true },
      'mismatched-data-tile': { type: 'string', multiple: true },
      'wrong-leaf-index-tile': { type: 'string', multiple: true },
      'gzip-bomb-tile': { type: 'string', multiple: true },
      'partial-tiles-gone': { type: 'string', multiple: true },
    },
  });
  if (values.help) return 'help';
  const str = (flag: keyof typeof values, envName: string): string | undefined => (values[flag] as string | undefined) ?? env[envName];
  const intOf = (flag: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min) throw new RangeError(`--${flag}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const logNames = (str('logs', 'CTJP_TESTLOG_LOGS') ?? DEFAULT_LOGS.map((l) => l.name).join(','))
    .split(',')
    .map((s) => s.trim().replace(/^[^/]*\//, ''))
    .filter(Boolean);
  for (const n of logNames) if (!BUILTIN_LOGS.some((l) => l.name === n)) throw new RangeError(`--logs: unknown log ${JSON.stringify(n)} (known: ${BUILTIN_LOGS.map((l) => l.name).join(', ')})`);
  const global: FaultOptions = {};
  const perLog = new Map<string, FaultOptions>(logNames.map((n) => [n, {}]));
  const pageSize = new Map<string, number>();
  for (const v of values['page-size'] ?? []) {
    const [name, raw] = scoped(v, logNames, 'page-size');
    const n = intOf('page-size', raw, 1)!;
    for (const l of name ? [name] : logNames) pageSize.set(l, n);
  }
  const api = new Map<string, TestLogApi>();
  for (const v of values.api ?? []) {
    const [name, raw] = scoped(v, logNames, 'api');
    if (!(TEST_LOG_APIS as readonly string[]).includes(raw)) throw new RangeError(`--api: expected ${TEST_LOG_APIS.join(' or ')}, got ${JSON.stringify(raw)}`);
    for (const l of name ? [name] : logNames) api.set(l, raw as TestLogApi);
  }
  for (const flag of FAULT_FLAGS) {
    for (const v of values[flag] ?? []) {
      const [name, raw] = scoped(v, logNames, flag);
      if (name) applyFault(perLog.get(name)!, flag, raw);
      else applyFault(global, flag, raw);
    }
  }
  const logs: TestLogSpec[] = logNames.map((n) => {
    const d = BUILTIN_LOGS.find((l) => l.name === n)!;
    const own = perLog.get(n)!;
    const rateLimit = own.rateLimit || global.rateLimit ? { ...global.rateLimit, ...own.rateLimit } : undefined;
    const tiles = own.tiles || global.tiles ? { ...global.tiles, ...own.tiles } : undefined;
    const faults = { ...global, ...own, ...(rateLimit ? { rateLimit: rateLimit as FaultOptions['rateLimit'] } : {}), ...(tiles ? { tiles } : {}) };
    return { category: d.category, name: n, pageSize: pageSize.get(n) ?? d.pageSize, aligned: d.aligned, api: api.get(n) ?? d.api ?? 'rfc6962', faults };
  });
  const jpShare = str('jp-share', 'CTJP_TESTLOG_JP_SHARE');
  return {
    seed: str('seed', 'CTJP_TESTLOG_SEED'),
    size: intOf('size', str('size', 'CTJP_TESTLOG_SIZE'), 1),
    logs,
    host: str('host', 'CTJP_TESTLOG_HOST'),
    port: intOf('port', str('port', 'CTJP_TESTLOG_PORT'), 0),
    outDir: resolve(str('out', 'CTJP_TESTLOG_OUT') ?? 'tmp/testlog'),
    cacheDir: str('cache', 'CTJP_TESTLOG_CACHE'),
    jpShare: jpShare === undefined ? undefined : num('jp-share', jpShare),
  };
}

async function main(): Promise<void> {
  let opts: ReturnType<typeof parseCli>;
  try {
    opts = parseCli(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`testlog: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (opts === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const started = Date.now();
  const tl = await startTestLogs({ ...opts, log: (m) => process.stderr.write(`testlog: ${m}\n`) });
  const out = process.stdout;
  out.write(`test logs ready in ${Date.now() - started} ms at ${tl.baseUrl}\n`);
  for (const l of tl.logs) out.write(`  ${l.category.padEnd(12)} ${l.name.padEnd(15)} ${l.api.padEnd(13)} ${String(tl.treeSize(l.name)).padStart(9)} entries  ${l.url}\n`);
  out.write(`catalogue: ${tl.cataloguePath}\nlog list:  ${tl.logListPath}\nexpected:  ${tl.expectedPath} (${tl.expected.jp_entries.length} .jp entries, ${tl.expected.certificates.length} certificates, ${tl.expected.lineages.length} lineages)\n`);
  const stop = (): void => {
    tl.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((err: unknown) => {
    process.stderr.write(`testlog: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
