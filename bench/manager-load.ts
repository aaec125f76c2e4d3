/**
 * Manager under load: 1,000 simulated workers, each pinging every 30 s
 * (time compressed by --speedup: the ping rate per second is 1000/30 × speedup),
 * completing leases and asking for the next instruction, while uploads run
 * and the dashboard polls status. Prints p50 / p99 latency per endpoint,
 * with an idle-manager baseline measured first in the same run. Upload bodies
 * are serialized before a request's clock starts, and each phase also prints
 * how late this client's own event loop ran (a latency includes that much of
 * the client's own business).
 *
 *   npm run bench:manager-load [-- --workers 1000 --seconds 30 --speedup 1,10]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Agent, fetch } from 'undici';
import { dropDatabase } from '../src/db/connect.js';
import type { Assignment, UploadItem } from '../src/share/api/index.js';
import { startFakeLog } from './lib/fake-log.js';
import { distinctLeaves } from './lib/leaves.js';
import { startBenchManager, waitForPlanning } from './lib/bench-manager.js';
import { percentile } from './lib/percentile.js';

const { values } = parseArgs({ options: { workers: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '30' }, speedup: { type: 'string', default: '1,10' }, uploaders: { type: 'string', default: '2' } } });
const WORKERS = Number(values.workers);
const SECONDS = Number(values.seconds);
const SPEEDUPS = values.speedup.split(',').map(Number);
const PING_PERIOD_S = 30;
const COMPLETIONS_PER_S = 2;
const UPLOADERS = Number(values.uploaders);
const UPLOAD_BATCH = 200;

const dir = mkdtempSync(join(tmpdir(), 'ctjp-bench-load-'));
const dbUrl = `mysql://root@127.0.0.1:3306/ctjp_bench_${randomBytes(4).toString('hex')}`;
const categories = ['google', 'cloudflare', 'digicert', 'trustasia'];
const logs = await Promise.all(categories.map(() => startFakeLog(2_000_000_000)));
writeFileSync(join(dir, 'logs.json'), JSON.stringify({ logs: logs.map((l, i) => ({ category: categories[i], name: `${categories[i]}1`, url: l.url, key: l.key })) }));
const manager = await startBenchManager(['--db', dbUrl, '--logs', join(dir, 'logs.json'), '--data-dir', join(dir, 'data'), '--open', '--target-fraction', '1/1', '--db-connections', '30']);
const dispatcher = new Agent({ connections: 256, pipelining: 1 });
const latencies = new Map<string, number[]>();
let failures = 0;
// A ping sent while the same worker's completion of one of its leases is under way may arrive
// second, and is answered 409 STALE_LEASE as it should be (a real worker then drops that lease).
let crossedPings = 0;

// This process's own event-loop delay: a latency below is late by up to this much when the
// client itself was busy, which the manager cannot help.
const DELAY_RESOLUTION_MS = 5;
const clientDelay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
clientDelay.enable();

/** A request body given as a string is sent as it is (serialized before the clock starts). */
async function call(name: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const payload = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
  const t = performance.now();
  const r = await fetch(`${manager.url}${path}`, { method, dispatcher, headers: payload ? { 'content-type': 'application/json' } : {}, body: payload });
  const text = await r.text();
  const ms = performance.now() - t;
  if (!latencies.has(name)) latencies.set(name, []);
  latencies.get(name)!.push(ms);
  if (!r.ok) {
    if (name === 'ping' && r.status === 409 && text.includes('STALE_LEASE')) {
      crossedPings++;
      return null;
    }
    failures++;
    if (failures < 5) console.error(`${name}: HTTP ${r.status} ${text.slice(0, 200)}`);
    return null;
  }
  return JSON.parse(text);
}

function report(title: string): void {
  console.log(title);
  for (const [name, xs] of [...latencies].sort()) {
    const s = [...xs].sort((a, b) => a - b);
    console.log(`  ${name.padEnd(13)} n=${String(s.length).padStart(6)}  p50 ${percentile(s, 50).toFixed(1).padStart(7)} ms  p99 ${percentile(s, 99).toFixed(1).padStart(7)} ms  max ${s[s.length - 1].toFixed(1).padStart(7)} ms`);
  }
  // The histogram holds whole sampling intervals: what is beyond the interval is the delay.
  const late = (ns: number): string => Math.max(0, ns / 1e6 - DELAY_RESOLUTION_MS).toFixed(1);
  console.log(`  (this client's own event loop was late by p50 ${late(clientDelay.percentile(50))} ms, p99 ${late(clientDelay.percentile(99))} ms, max ${late(clientDelay.max)} ms)`);
  clientDelay.reset();
  latencies.clear();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

try {
  await waitForPlanning(manager.url, logs.length);
  // Baseline: the idle manager, one request at a time.
  await call('instructions', 'POST', '/api/v1/instructions', { worker_id: 'baseline', friend_name: 'b', version: '0.1.0' });
  for (let i = 0; i < 200; i++) await call('ping', 'POST', '/api/v1/ping', { worker_id: 'baseline', version: '0.1.0', leases: [] });
  for (let i = 0; i < 50; i++) await call('status', 'GET', '/api/v1/status');
  report('baseline (idle manager, sequential requests):');

  // Every worker registers and gets its four assignments (50 at a time).
  const held = new Map<string, Map<string, Assignment>>();
  const ids = Array.from({ length: WORKERS }, (_, i) => `w${i}`);
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map(async (id) => {
        const r = (await call('instructions', 'POST', '/api/v1/instructions', { worker_id: id, friend_name: `friend${Number(id.slice(1)) % 50}`, version: '0.1.0' })) as { assignments: Assignment[] } | null;
        held.set(id, new Map((r?.assignments ?? []).map((a) => [a.category, a])));
      }),
    );
  }
  report(`start-up: ${WORKERS} workers ask for their first instructions, 50 at a time:`);

  const leaves = distinctLeaves(200_000);
  let leafCursor = 0;
  for (const speedup of SPEEDUPS) {
    const pingRate = (WORKERS / PING_PERIOD_S) * speedup;
    const end = performance.now() + SECONDS * 1000;
    const pending: Promise<unknown>[] = [];
    const progress = new Map<number, number>();
    // Pings: open loop at the target rate, workers in turn.
    const pinger = (async () => {
      let k = 0;
      const t0 = performance.now();
      while (performance.now() < end) {
        const due = t0 + (k * 1000) / pingRate;
        if (due > performance.now()) await sleep(due - performance.now());
        const id = ids[k % WORKERS];
        const leases = [...(held.get(id)?.values() ?? [])].map((a) => {
          const c = Math.min(a.end, (progress.get(a.lease_id) ?? a.start - 1) + 1000);
          progress.set(a.lease_id, c);
          return { lease_id: a.lease_id, confirmed: c };
        });
        pending.push(call('ping', 'POST', '/api/v1/ping', { worker_id: id, version: '0.1.0', leases, spool_backlog: 0, rate_limited: 0, collected: k }).catch(() => null));
        k++;
      }
    })();
    // Lease completions and the next instruction (workers other than the uploaders).
    const completer = (async () => {
      let k = 0;
      const t0 = performance.now();
      const rate = COMPLETIONS_PER_S * speedup;
      while (performance.now() < end) {
        const due = t0 + (k * 1000) / rate;
        if (due > performance.now()) await sleep(due - performance.now());
        const id = ids[2 + Math.floor(Math.random() * (WORKERS - 2))];
        const category = categories[k % categories.length];
        k++;
        const lease = held.get(id)?.get(category);
        if (!lease) continue;
        held.get(id)!.delete(category);
        pending.push(
          (async () => {
            await call('complete', 'POST', '/api/v1/complete', { worker_id: id, lease_id: lease.lease_id });
            const r = (await call('instructions', 'POST', '/api/v1/instructions', { worker_id: id, friend_name: `friend${Number(id.slice(1)) % 50}`, version: '0.1.0', categories: [category] })) as { assignments: Assignment[] } | null;
            for (const a of r?.assignments ?? []) held.get(id)!.set(a.category, a);
          })().catch(() => null),
        );
      }
    })();
    // Uploads: each uploader sends batches of distinct leaves inside its google lease, back to back.
    const uploaders = ids.slice(0, UPLOADERS).map(async (id) => {
      const lease = held.get(id)!.get('google')!;
      let index = lease.start;
      while (performance.now() < end && index + UPLOAD_BATCH <= lease.end && leafCursor + UPLOAD_BATCH <= leaves.length) {
        const items: UploadItem[] = leaves.slice(leafCursor, leafCursor + UPLOAD_BATCH).map((l, i) => ({ leaf_input: l.toString('base64'), ct_log_url: logs[0].url, log_name: 'google1', friend_name: `friend${Number(id.slice(1)) % 50}`, index: index + i, lease_id: lease.lease_id }));
        leafCursor += UPLOAD_BATCH;
        index += UPLOAD_BATCH;
        await call('certificates', 'POST', '/api/v1/certificates', JSON.stringify(items));
      }
    });
    // The dashboard.
    const dashboard = (async () => {
      while (performance.now() < end) {
        await call('status', 'GET', '/api/v1/status');
        await sleep(1000);
      }
    })();
    await Promise.all([pinger, completer, dashboard, ...uploaders]);
    await Promise.all(pending);
    report(`load ×${speedup}: ${WORKERS} workers, ${pingRate.toFixed(1)} pings/s, ${COMPLETIONS_PER_S * speedup} completions + instructions/s, ${UPLOADERS} uploaders (batches of ${UPLOAD_BATCH}), status 1/s, ${SECONDS} s:`);
  }
  console.log(`failed requests: ${failures}; pings that crossed their lease's completion (409 STALE_LEASE, as they should be): ${crossedPings}`);
} finally {
  await dispatcher.close();
  await manager.stop();
  await Promise.all(logs.map((l) => l.close()));
  await dropDatabase(dbUrl);
  rmSync(dir, { recursive: true, force: true });
}
