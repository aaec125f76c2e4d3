/**
 * `npm run testlog -- [flags]`: serve the test CT logs until interrupted.
 * Flags win over CTJP_TESTLOG_* variables. Fault flags take `VALUE` for
 * every log or `LOG=VALUE` for one log, and may be repeated.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { DEFAULT_LOGS, startTestLogs, type StartOptions, type TestLogSpec } from './index.js';
import type { FaultOptions } from './faults.js';

export const USAGE = `Usage: npm run testlog -- [flags]

Serves generated RFC 6962 test logs on one port and writes logs.json (log catalogue),
log_list.json (Chrome v3 log list) and expected.json (ground truth) into --out.

  --seed S            corpus seed (CTJP_TESTLOG_SEED, default ctjp)
  --size N            entries per log (CTJP_TESTLOG_SIZE, default 5000)
  --logs A,B          built-in logs to serve (CTJP_TESTLOG_LOGS, default all:
                      ${DEFAULT_LOGS.map((l) => `${l.category}/${l.name}`).join(', ')})
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
  --help              this text
`;

const FAULT_FLAGS = ['rate-limit', 'retry-after', 'error-rate', 'drop-rate', 'latency', 'grow', 'stale-rate'] as const;

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
      help: { type: 'boolean' },
      'rate-limit': { type: 'string', multiple: true },
      'retry-after': { type: 'string', multiple: true },
      'error-rate': { type: 'string', multiple: true },
      'drop-rate': { type: 'string', multiple: true },
      latency: { type: 'string', multiple: true },
      grow: { type: 'string', multiple: true },
      'stale-rate': { type: 'string', multiple: true },
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
  for (const n of logNames) if (!DEFAULT_LOGS.some((l) => l.name === n)) throw new RangeError(`--logs: unknown log ${JSON.stringify(n)} (known: ${DEFAULT_LOGS.map((l) => l.name).join(', ')})`);
  const global: FaultOptions = {};
  const perLog = new Map<string, FaultOptions>(logNames.map((n) => [n, {}]));
  const pageSize = new Map<string, number>();
  for (const v of values['page-size'] ?? []) {
    const [name, raw] = scoped(v, logNames, 'page-size');
    const n = intOf('page-size', raw, 1)!;
    for (const l of name ? [name] : logNames) pageSize.set(l, n);
  }
  for (const flag of FAULT_FLAGS) {
    for (const v of values[flag] ?? []) {
      const [name, raw] = scoped(v, logNames, flag);
      if (name) applyFault(perLog.get(name)!, flag, raw);
      else applyFault(global, flag, raw);
    }
  }
  const logs: TestLogSpec[] = logNames.map((n) => {
    const d = DEFAULT_LOGS.find((l) => l.name === n)!;
    const own = perLog.get(n)!;
    const rateLimit = own.rateLimit || global.rateLimit ? { ...global.rateLimit, ...own.rateLimit } : undefined;
    return { category: d.category, name: n, pageSize: pageSize.get(n) ?? d.pageSize, aligned: d.aligned, faults: { ...global, ...own, ...(rateLimit ? { rateLimit: rateLimit as FaultOptions['rateLimit'] } : {}) } };
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
  for (const l of tl.logs) out.write(`  ${l.category.padEnd(10)} ${l.name.padEnd(12)} ${String(tl.treeSize(l.name)).padStart(9)} entries  ${l.url}\n`);
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
