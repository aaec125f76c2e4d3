/**
 * npm run demo — everything on this machine: seven test CT logs (with a few
 * 429s and 5xx): five RFC 6962 logs and two static-ct-api (tiled) logs, which
 * the manager reads from their Chrome-v3 log list as it reads a browser's, the manager with its dashboard over MariaDB, and two
 * workers. Prints the dashboard URL; Ctrl-C stops the workers (they hand
 * their leases back), then the manager, then the logs.
 *
 * The test logs keep growing (entries stamped now), as real logs do, so the
 * collection never simply ends: the manager plans by a date window that ends
 * next year, and a window target whose tree ends inside the window grows with
 * the tree (a fraction target is fixed once planned). The demo polls the
 * status API and says when a log's target is scanned and when the logs grow.
 * Workers are declared dead after 15 s instead of 120 s, so that a killed
 * worker's range comes back while someone is watching.
 *
 * One demo per database: a MariaDB named lock (`ctjp_demo:<database>`) is held
 * for the demo's life on its own connection; a second demo on the same
 * database refuses to start before it empties anything.
 *
 * Settings: --port / CTJP_PORT (8080), --db / CTJP_DB_URL (a `ctjp_demo`
 * database on mysql://root@127.0.0.1:3306, emptied at start),
 * --size / CTJP_DEMO_SIZE (entries per test log, 20000),
 * --growth / CTJP_DEMO_GROWTH (new entries per second per test log, 1; 0: none).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { StatusResponse } from '../src/share/api/types.js';
import { startTestLogs } from './testlog/index.js';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { port: { type: 'string' }, db: { type: 'string' }, size: { type: 'string' }, growth: { type: 'string' } } });
const port = Number(values.port ?? process.env.CTJP_PORT ?? 8080);
const dbUrl = values.db ?? process.env.CTJP_DB_URL ?? 'mysql://root@127.0.0.1:3306/ctjp_demo';
const size = Number(values.size ?? process.env.CTJP_DEMO_SIZE ?? 20_000);
const growth = Number(values.growth ?? process.env.CTJP_DEMO_GROWTH ?? 1);
/** Startup mistakes end the demo with one line, not a stack trace. */
function fail(message: string): never {
  console.error(`demo: ${message}`);
  process.exit(1);
}
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port must be 1-65535, got ${values.port ?? process.env.CTJP_PORT}`);
if (!Number.isInteger(size) || size < 100) fail(`--size must be a whole number >= 100, got ${values.size ?? process.env.CTJP_DEMO_SIZE}`);
if (!Number.isFinite(growth) || growth < 0 || growth > 1000) fail(`--growth must be 0-1000 entries per second, got ${values.growth ?? process.env.CTJP_DEMO_GROWTH}`);
const dbName = decodeURIComponent(new URL(dbUrl).pathname.replace(/^\//, ''));
if (!/^[A-Za-z0-9_]+$/.test(dbName)) fail(`database name "${dbName}" must be letters, digits and _`);
// Per database, so that two demos on two databases do not delete each other's spools.
const demoDir = join(ROOT, 'tmp', 'demo', dbName);
/** The window the manager plans by: from before the test corpus to the end of next year, so that new entries (stamped now) fall inside it. */
const demoWindow = `2024-01-01/${new Date().getUTCFullYear() + 1}-12-31`;

/** What to run on the demo's data: printed at start and at stop, with the demo's --db. */
function nextCommands(): string {
  return [
    `  📊 renewal report: npm run analyze -- --db ${dbUrl} --out tmp/demo-report`,
    `  📦 NDJSON export:  npm run export -- --db ${dbUrl} --out tmp/demo-export/certificates.ndjson`,
  ].join('\n');
}

/**
 * Holds the named lock `ctjp_demo:<database>` on a connection of its own for the demo's life
 * (MariaDB frees it when the connection ends, also when the demo is killed), or says who holds it.
 */
async function lockDemoDatabase(url: string, name: string): Promise<Connection> {
  const u = new URL(url);
  u.pathname = '/';
  const conn = await createConnection(u.href).catch((e: unknown) => fail(`cannot connect to MariaDB at ${u.host}: ${(e as Error).message}`));
  const lock = `ctjp_demo:${name}`;
  const [rows] = await conn.query<RowDataPacket[]>('SELECT GET_LOCK(?, 0) AS got, IS_USED_LOCK(?) AS holder', [lock, lock]);
  if (rows[0]?.got !== 1) {
    await conn.end();
    const other = new URL(url);
    other.pathname = `/${name}_2`;
    fail(
      `another demo is running on database ${name} (MariaDB connection ${rows[0]?.holder ?? '?'} holds the lock ${lock}); ` +
        `nothing was changed. Stop it first, or give this one its own database and port: --db ${other.href} --port ${port + 1}`,
    );
  }
  return conn;
}

function prefixed(name: string, child: ChildProcess): void {
  const print = (d: Buffer): void => {
    for (const line of d.toString().split('\n')) if (line.trim() !== '') console.log(`[${name}] ${line}`);
  };
  child.stdout?.on('data', print);
  child.stderr?.on('data', print);
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stopProcess(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited(child), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** A fresh, empty demo database (the manager creates its tables), on the locked connection. */
async function resetDatabase(conn: Connection, name: string): Promise<void> {
  await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
}

const targetOf = (l: StatusResponse['logs'][number]): number => (l.target_end === null ? 0 : l.target_end - l.target_start + 1);

/**
 * Says in the demo's output what the dashboard shows: each log's target scanned (once per log), then
 * at most once a minute how much the logs grew and whether the workers caught up again.
 */
function progressReporter(): (s: StatusResponse) => void {
  const done = new Set<string>();
  let allDoneSaid = false;
  let lastTarget = -1;
  let lastSummary = Date.now();
  return (s) => {
    for (const l of s.logs) {
      const target = targetOf(l);
      if (done.has(l.name) || target === 0 || l.scanned < target) continue;
      done.add(l.name);
      console.log(`  ✅ ${l.name}: all ${target.toLocaleString('en-US')} target entries scanned${growth > 0 ? '; the log keeps growing and the workers follow it' : ''}`);
    }
    const planned = s.logs.filter((l) => l.target_end !== null);
    if (!allDoneSaid && planned.length > 0 && planned.every((l) => done.has(l.name))) {
      allDoneSaid = true;
      lastTarget = s.totals.target_entries;
      lastSummary = Date.now();
      console.log(
        `\n  🎉 every log's target is scanned: ${s.totals.scanned_entries.toLocaleString('en-US')} entries, ${s.totals.certificates.toLocaleString('en-US')} .jp certificates.` +
          (growth > 0 ? ` New entries keep arriving (${growth}/s per log); try another worker: npm run worker -- --name you --manager ${base}` : '') +
          `\n${nextCommands()}\n`,
      );
      return;
    }
    if (!allDoneSaid || Date.now() - lastSummary < 60_000) return;
    lastSummary = Date.now();
    const grew = s.totals.target_entries - lastTarget;
    lastTarget = s.totals.target_entries;
    if (grew <= 0) return;
    const left = s.totals.remaining_entries;
    console.log(
      `  📈 the logs grew by ${grew.toLocaleString('en-US')} entries in the last minute (target ${s.totals.target_entries.toLocaleString('en-US')}); ` +
        (left === 0 ? 'all scanned again' : `${left.toLocaleString('en-US')} still to scan`),
    );
  };
}

// Before anything is started or emptied: a second demo on this database stops here.
const lockConn = await lockDemoDatabase(dbUrl, dbName);
console.log(`starting 7 test CT logs (2 tiled) of ${size.toLocaleString('en-US')} entries (the first run generates and caches the certificates)…`);
const tl = await startTestLogs({
  seed: 'demo',
  size,
  faults: { errorRate: 0.01, latencyMs: [5, 30], growthPerSecond: growth },
  logs: [
    'argon-test',
    'xenon-test',
    'nimbus-test',
    { category: 'digicert', name: 'wyvern-test', pageSize: 256, aligned: false, faults: { errorRate: 0.02, rateLimit: { perSecond: 4, burst: 2, retryAfter: false }, growthPerSecond: growth } },
    'hetu-test',
    'parcelyard-test',
    'sycamore-test',
  ],
});
await resetDatabase(lockConn, dbName);
rmSync(demoDir, { recursive: true, force: true });
mkdirSync(demoDir, { recursive: true });

const children: ChildProcess[] = [];
const manager = spawn(
  process.execPath,
  [
    '--import', 'tsx', join(ROOT, 'src', 'manager-api', 'main.ts'),
    '--log-list', tl.logListPath, '--db', dbUrl, '--port', String(port), '--open',
    // A window target follows a growing tree; the planner looks at the logs every 5 s (refresh 10 s).
    '--window', demoWindow, '--log-retry', '5', '--log-refresh', '10',
    // Short liveness for the demo only (defaults: 120 s dead-after, 30 s pings); pings stay well inside dead-after.
    '--dead-after', '15', '--reaper-interval', '3', '--ping-interval', '5',
    '--assignment-size', '2000', '--data-dir', join(demoDir, 'data'), '--log-level', 'warn',
  ],
  // Own process group: Ctrl-C reaches only this script, which stops the others in order.
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
);
children.push(manager);
prefixed('manager', manager);
const base = `http://127.0.0.1:${port}`;
async function startFailed(message: string): Promise<never> {
  await stopProcess(manager, 5_000);
  await tl.close();
  return fail(message);
}
for (let i = 0; ; i++) {
  if (manager.exitCode !== null) await startFailed(`the manager exited with ${manager.exitCode} (is port ${port} free? use --port)`);
  const ok = await fetch(`${base}/api/v1/status`).then(
    (r) => r.ok,
    () => false,
  );
  if (ok) break;
  if (i > 600) await startFailed('the manager did not answer within 60 s');
  await new Promise((r) => setTimeout(r, 100));
}

const workers = ['alice', 'bob'].map((name) => {
  const w = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src', 'worker', 'main.ts'), '--name', `demo-${name}`, '--manager', base, '--spool-dir', join(demoDir, `spool-${name}`), '--interval-ms', '100'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  prefixed(name, w);
  children.push(w);
  return w;
});

console.log(`\n  🌐 dashboard: ${base}/   API docs: ${base}/docs   (Ctrl-C stops everything)`);
console.log(`  ⏱  demo settings: window ${demoWindow}, logs growing by ${growth}/s each, workers dead after 15 s of silence`);
console.log(`${nextCommands()}\n`);

const report = progressReporter();
const poller = setInterval(() => {
  fetch(`${base}/api/v1/status`, { signal: AbortSignal.timeout(5_000) })
    .then(async (r) => (r.ok ? report((await r.json()) as StatusResponse) : undefined))
    // A missed poll is retried in 3 s; the manager's own output tells of real trouble.
    .catch(() => {});
}, 3_000);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    process.exit(130);
  }
  stopping = true;
  clearInterval(poller);
  console.log('\nstopping the workers (they hand their leases back), then the manager and the logs…');
  await Promise.all(workers.map((w) => stopProcess(w, 12_000)));
  await stopProcess(manager, 10_000);
  await tl.close();
  await lockConn.end().catch(() => {});
  console.log(`demo stopped. The collected certificates stay in ${dbName} until the next demo:\n${nextCommands()}`);
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// A worker or the manager ending on its own ends the demo too.
void Promise.race(children.map(exited)).then(() => {
  if (!stopping) {
    console.log('a demo process ended; stopping the rest');
    void stop();
  }
});
