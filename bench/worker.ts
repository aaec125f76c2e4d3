/**
 * npm run bench:worker — how fast one CtLogCollector scans a log with no
 * rate limits, by read path, on the same real leaves in the same run: RFC 6962
 * get-entries at 32 and at 256 entries per answer, and static-ct-api tiles;
 * then certspotter (Debian package) scanning the 256-per-page log with a `.jp`
 * watchlist. The log runs in its own process (bench/worker-log-server.ts) so
 * that serving is not counted against any scanner.
 *
 * Prints for each: entries per second, CPU seconds per million entries,
 * requests and bytes received per 100,000 entries; then the ratios of the
 * tiled path against get-entries. Also the 256 path without its range proof,
 * to show what the proof costs. Size: BENCH_ENTRIES (default 200000).
 *
 * Then the same leaves read out of the log's zip archive (a shut-down log's
 * archive in the geomys/ct-archive layout: data tiles deflated, hash tiles
 * stored, one level-2 subtree of 256³ entries per zip, so 200,000 entries
 * are one zip) through HTTP Range requests: the zip's central directory once,
 * then one request per tile member, every entry proven against the archived
 * checkpoint. The log server builds the zip at start-up from the very handler
 * that serves the tiles (same leaves, tree and key) and serves it with Range
 * support; the build time is printed but is not part of the scan. Printed as
 * the other paths, with the same requests in flight, then the ratio to reading
 * the tiles directly (speed, requests, bytes, CPU per entry); it must find
 * the same number of `.jp` entries as the tiles path.
 *
 * Then politeness: one log per operator behaving as that operator's logs do
 * (bench/operator-logs.ts: page sizes, latency, concurrency caps, rate limits
 * per client and per connection, 429 without Retry-After), all scanned at
 * once with the worker's own per-operator settings; printed are the entries/s
 * achieved as a share of what each log's limits allow, and the share of
 * requests answered 429, per operator and overall.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CtLogCollector } from '../src/worker/collector.js';
import { politenessFor } from '../src/worker/politeness.js';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 200_000);
const IN_FLIGHT = 4;
const BATCH = 256;

interface LogInfo {
  size: number;
  jp: number;
  key: string;
  origin: string;
  urls: { p32: string; p256: string; tiles: string; archive: string[] };
  archive: { zips: number; bytes: number; buildSeconds: number };
}

async function startLogServer(): Promise<{ info: LogInfo; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'worker-log-server.ts'), String(ENTRIES)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`log server exited with ${code}`)));
  });
  return { info: JSON.parse(line) as LogInfo, child };
}

interface Result {
  seconds: number;
  cpuSeconds: number;
  found: number;
  requests?: number;
  bytes?: number;
  verification?: string;
}

type Path = 'p32' | 'p256' | 'tiles' | 'archive';

/**
 * The archive's zips under another URL, same bytes: the reader keeps each zip's central directory per URL for the
 * life of the process, so the warm-up must read other URLs, or the measured pass would not read the directory.
 */
const warmUpArchive = (urls: readonly string[]): string[] => urls.map((u) => u.replace(/\/archive\//, '/archive/warm-up/'));

async function benchCollector(info: LogInfo, path: Path, verifyRange = true, end = info.size - 1, archives = info.urls.archive): Promise<Result> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const collector = new CtLogCollector({
    logUrl: path === 'archive' ? archives[0] : info.urls[path],
    api: path === 'tiles' || path === 'archive' ? 'static-ct-api' : 'rfc6962',
    archives: path === 'archive' ? archives : null,
    origin: info.origin,
    start: 0,
    end,
    batchSize: BATCH,
    maxInFlight: IN_FLIGHT,
    logKey: Buffer.from(info.key, 'base64'),
    userAgent: 'ctjp-bench',
    verifyRange,
  });
  let found = 0;
  await collector.run((c) => {
    found += c.found.length;
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const { requests, bytes } = collector.stats;
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, found, requests, bytes, verification: collector.verification.state };
}

/** utime + stime of a process, in seconds, from /proc. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return ticks / hz;
}

async function benchCertspotter(info: LogInfo): Promise<Result | string> {
  if (spawnSync('certspotter', ['-version']).error) return 'certspotter is not installed (apt-get install -y certspotter)';
  const dir = mkdtempSync(join(tmpdir(), 'ctjp-bench-certspotter-'));
  try {
    const key = Buffer.from(info.key, 'base64');
    const logId = createHash('sha256').update(key).digest('base64');
    const url = info.urls.p256;
    const list = {
      version: '3.0',
      log_list_timestamp: new Date().toISOString(),
      operators: [
        {
          name: 'bench',
          email: [],
          logs: [
            {
              description: 'ctjp benchmark log',
              log_id: logId,
              key: info.key,
              url,
              mmd: 86400,
              state: { usable: { timestamp: '2025-01-01T00:00:00Z' } },
              certspotter_download_size: BATCH,
              certspotter_download_jobs: IN_FLIGHT,
            },
          ],
        },
      ],
    };
    writeFileSync(join(dir, 'logs.json'), JSON.stringify(list));
    writeFileSync(join(dir, 'watchlist'), '.jp\n');
    const state = join(dir, 'state');
    const t0 = performance.now();
    const child = spawn('certspotter', ['-state_dir', state, '-logs', join(dir, 'logs.json'), '-watchlist', join(dir, 'watchlist'), '-stdout', '-no_save', '-batch_size', String(BATCH)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let matches = 0;
    const rl = createInterface({ input: child.stdout! });
    // certspotter prints one block per matching certificate, each starting with its SHA-256 and a colon.
    rl.on('line', (l) => {
      if (/^[0-9a-f]{64}:$/.test(l)) matches++;
    });
    child.stderr!.resume();
    const stateFile = (): string | null => {
      const logs = join(state, 'logs');
      if (!existsSync(logs)) return null;
      const d = readdirSync(logs)[0];
      return d ? join(logs, d, 'state.json') : null;
    };
    let cpu = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 50));
      const f = stateFile();
      if (f && existsSync(f)) {
        const s = JSON.parse(readFileSync(f, 'utf8')) as { verified_position?: { size?: number } };
        if (s.verified_position?.size === info.size) {
          cpu = processCpuSeconds(child.pid!);
          break;
        }
      }
      if (child.exitCode !== null) return `certspotter exited early with ${child.exitCode}`;
      if (performance.now() - t0 > 600_000) return 'certspotter did not finish in 10 minutes';
    }
    const seconds = (performance.now() - t0) / 1000;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    return { seconds, cpuSeconds: cpu, found: matches };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function line(name: string, r: Result, size: number): string {
  const rate = size / r.seconds;
  const cpuPerM = (r.cpuSeconds / size) * 1e6;
  const perLakh = (n: number): number => (n / size) * 100_000;
  const traffic = r.requests === undefined ? '' : `   ${Math.round(perLakh(r.requests)).toLocaleString('en-US').padStart(5)} requests and ${(perLakh(r.bytes!) / 1e6).toFixed(1).padStart(5)} MB per 100,000 entries`;
  return `${name.padEnd(34)} ${Math.round(rate).toLocaleString('en-US').padStart(9)} entries/s   ${cpuPerM.toFixed(1).padStart(6)} CPU s per million entries${traffic}   (${r.seconds.toFixed(2)} s wall, ${r.cpuSeconds.toFixed(2)} s CPU, ${r.found} .jp found${r.verification ? `, range ${r.verification}` : ''})`;
}

interface OperatorLog {
  category: string;
  name: string;
  url: string;
  key: string;
  size: number;
  pageSize: number;
  allowedPerSecond: number;
  limits: string;
}

async function benchOperators(): Promise<void> {
  const server = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'operator-logs.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server.stdout! }).once('line', resolve);
      server.once('exit', (code) => reject(new Error(`operator logs exited with ${code}`)));
    });
    const { logs } = JSON.parse(line) as { logs: OperatorLog[] };
    console.log('\npoliteness: one log per operator, all scanned at once with the worker\'s per-operator settings');
    const results = await Promise.all(
      logs.map(async (l) => {
        const polite = politenessFor(l.category, l.url, { minRequestIntervalMs: 0, inFlight: null });
        const collector = new CtLogCollector({
          logUrl: l.url,
          start: 0,
          end: l.size - 1,
          pageSize: l.pageSize,
          maxInFlight: polite.maxInFlight,
          persistentConnections: polite.persistentConnections,
          logKey: Buffer.from(l.key, 'base64'),
          userAgent: 'ctjp-bench',
        });
        const t0 = performance.now();
        await collector.run(() => {});
        const seconds = (performance.now() - t0) / 1000;
        return { l, seconds, rate: l.size / seconds, requests: collector.stats.requests, limited: collector.stats.rateLimited, inFlight: polite.maxInFlight };
      }),
    );
    for (const r of results) {
      console.log(
        `${r.l.category.padEnd(10)} ${Math.round(r.rate).toLocaleString('en-US').padStart(6)} of ${r.l.allowedPerSecond.toLocaleString('en-US').padStart(5)} entries/s allowed = ${((100 * r.rate) / r.l.allowedPerSecond).toFixed(1).padStart(5)} %, ` +
          `429 on ${r.limited} of ${r.requests} requests = ${((100 * r.limited) / r.requests).toFixed(2)} %   (${r.l.size.toLocaleString('en-US')} entries in ${r.seconds.toFixed(1)} s, ${r.inFlight} in flight; log: ${r.l.limits})`,
      );
    }
    const achieved = results.reduce((s, r) => s + r.rate, 0);
    const allowed = results.reduce((s, r) => s + r.l.allowedPerSecond, 0);
    const limited = results.reduce((s, r) => s + r.limited, 0);
    const requests = results.reduce((s, r) => s + r.requests, 0);
    console.log(`overall    ${Math.round(achieved).toLocaleString('en-US')} of ${allowed.toLocaleString('en-US')} entries/s allowed = ${((100 * achieved) / allowed).toFixed(1)} %, 429 on ${limited} of ${requests} requests = ${((100 * limited) / requests).toFixed(2)} %`);
  } finally {
    server.kill('SIGTERM');
  }
}

if (process.env.BENCH_PART === 'politeness') {
  await benchOperators();
  process.exit(0);
}

const { info, child } = await startLogServer();
try {
  console.log(`log: ${info.size.toLocaleString('en-US')} real leaves (${info.jp} cover .jp) with leaf_index extensions, ${IN_FLIGHT} requests in flight, no rate limits; one tree served three ways, and as a zip archive`);
  // Warm-up, not measured: every path once over its first 10,240 entries, so that no path pays for the JIT of code they share.
  for (const path of ['p32', 'p256', 'tiles', 'archive'] as const) await benchCollector(info, path, true, Math.min(info.size, 10_240) - 1, warmUpArchive(info.urls.archive));
  const p32 = await benchCollector(info, 'p32');
  console.log(line('get-entries, 32 per answer', p32, info.size));
  const p256 = await benchCollector(info, 'p256');
  console.log(line('get-entries, 256 per answer', p256, info.size));
  const unproven = await benchCollector(info, 'p256', false);
  console.log(line('get-entries, 256 per answer, no proof', unproven, info.size));
  const tiles = await benchCollector(info, 'tiles');
  console.log(line('static-ct-api tiles (all proven)', tiles, info.size));
  const ratio = (a: number, b: number): string => (a / b).toFixed(2);
  console.log(`range proof cost (256 per answer): CPU per entry ${ratio(p256.cpuSeconds, unproven.cpuSeconds)}× of the scan without it`);
  console.log(
    `tiles vs 32 per answer: ${ratio(p32.requests!, tiles.requests!)}× fewer requests, ${ratio(p32.bytes!, tiles.bytes!)}× fewer bytes, CPU per entry ${ratio(tiles.cpuSeconds, p32.cpuSeconds)}×, speed ${ratio(p32.seconds, tiles.seconds)}×`,
  );
  console.log(
    `tiles vs 256 per answer: ${ratio(p256.requests!, tiles.requests!)}× fewer requests, ${ratio(p256.bytes!, tiles.bytes!)}× fewer bytes, CPU per entry ${ratio(tiles.cpuSeconds, p256.cpuSeconds)}×, speed ${ratio(p256.seconds, tiles.seconds)}×`,
  );
  const mb = (n: number): string => (n / 1e6).toFixed(1);
  console.log(
    `archive: ${info.archive.zips} zip(s), ${mb(info.archive.bytes)} MB, built by the log server in ${info.archive.buildSeconds.toFixed(2)} s (not part of the scan); read with HTTP Range requests`,
  );
  const archive = await benchCollector(info, 'archive');
  console.log(line('archive zip via Range (all proven)', archive, info.size));
  if (archive.found !== tiles.found) throw new Error(`the archive path found ${archive.found} .jp entries, the tiles path ${tiles.found}: they read the same leaves`);
  console.log(
    `archive zip vs tiles (archive / tiles): speed ${ratio(tiles.seconds, archive.seconds)}×, requests ${ratio(archive.requests!, tiles.requests!)}×, bytes ${ratio(archive.bytes!, tiles.bytes!)}×, CPU per entry ${ratio(archive.cpuSeconds, tiles.cpuSeconds)}×`,
  );
  const theirs = await benchCertspotter(info);
  if (typeof theirs === 'string') {
    console.log(`certspotter: skipped (${theirs})`);
  } else {
    console.log(line('certspotter 0.16, 256 per answer', theirs, info.size));
    console.log(`ratio (ctjp get-entries 256 / certspotter): speed ${ratio(theirs.seconds, p256.seconds)}×, CPU per entry ${ratio(p256.cpuSeconds, theirs.cpuSeconds)}×`);
    console.log('note: both prove every entry is in the signed tree; certspotter also parses every certificate, ctjp only the leaves its .jp prefilter lets through.');
  }
} finally {
  child.kill('SIGTERM');
}
await benchOperators();
