/**
 * npm run demo — everything on this machine: seven test CT logs (with a few
 * 429s and 5xx): five RFC 6962 logs and two static-ct-api (tiled) logs, which
 * the manager reads from their Chrome-v3 log list as it reads a browser's, the manager with its dashboard over MariaDB, and two
 * workers. Prints the dashboard URL; Ctrl-C stops the workers (they hand
 * their leases back), then the manager, then the logs.
 *
 * Settings: --port / CTJP_PORT (8080), --db / CTJP_DB_URL (a `ctjp_demo`
 * database on mysql://root@127.0.0.1:3306, emptied at start),
 * --size / CTJP_DEMO_SIZE (entries per test log, 20000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { startTestLogs } from './testlog/index.js';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { port: { type: 'string' }, db: { type: 'string' }, size: { type: 'string' } } });
const port = Number(values.port ?? process.env.CTJP_PORT ?? 8080);
const dbUrl = values.db ?? process.env.CTJP_DB_URL ?? 'mysql://root@127.0.0.1:3306/ctjp_demo';
const size = Number(values.size ?? process.env.CTJP_DEMO_SIZE ?? 20_000);
if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port must be 1-65535, got ${values.port}`);
if (!Number.isInteger(size) || size < 100) throw new Error(`--size must be a whole number >= 100, got ${values.size}`);
const demoDir = join(ROOT, 'tmp', 'demo');

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

/** A fresh, empty demo database (the manager creates its tables). */
async function resetDatabase(url: string): Promise<void> {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`database name "${name}" must be letters, digits and _`);
  u.pathname = '/';
  const conn = await createConnection(u.href);
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  } finally {
    await conn.end();
  }
}

console.log(`starting 7 test CT logs (2 tiled) of ${size.toLocaleString('en-US')} entries (the first run generates and caches the certificates)…`);
const tl = await startTestLogs({
  seed: 'demo',
  size,
  faults: { errorRate: 0.01, latencyMs: [5, 30] },
  logs: [
    'argon-test',
    'xenon-test',
    'nimbus-test',
    { category: 'digicert', name: 'wyvern-test', pageSize: 256, aligned: false, faults: { errorRate: 0.02, rateLimit: { perSecond: 4, burst: 2, retryAfter: false } } },
    'hetu-test',
    'parcelyard-test',
    'sycamore-test',
  ],
});
await resetDatabase(dbUrl);
rmSync(demoDir, { recursive: true, force: true });
mkdirSync(demoDir, { recursive: true });

const children: ChildProcess[] = [];
const manager = spawn(
  process.execPath,
  ['--import', 'tsx', join(ROOT, 'src', 'manager-api', 'main.ts'), '--log-list', tl.logListPath, '--db', dbUrl, '--port', String(port), '--open', '--target-fraction', '1/1', '--assignment-size', '2000', '--data-dir', join(demoDir, 'data'), '--log-level', 'warn'],
  // Own process group: Ctrl-C reaches only this script, which stops the others in order.
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
);
children.push(manager);
prefixed('manager', manager);
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  if (manager.exitCode !== null) throw new Error(`the manager exited with ${manager.exitCode} (is port ${port} free? use --port)`);
  const ok = await fetch(`${base}/api/v1/status`).then(
    (r) => r.ok,
    () => false,
  );
  if (ok) break;
  if (i > 600) throw new Error('the manager did not answer within 60 s');
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

console.log(`\n  🌐 dashboard: ${base}/   API docs: ${base}/docs   (Ctrl-C stops everything)\n`);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    process.exit(130);
  }
  stopping = true;
  console.log('\nstopping the workers (they hand their leases back), then the manager and the logs…');
  await Promise.all(workers.map((w) => stopProcess(w, 12_000)));
  await stopProcess(manager, 10_000);
  await tl.close();
  console.log('demo stopped.');
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
