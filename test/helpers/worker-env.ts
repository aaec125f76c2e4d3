/**
 * A manager (real app over a fresh MariaDB database, listening on loopback)
 * in front of real-leaf test logs, for the worker's tests, and the checks
 * they share: lease coverage and the stored `.jp` set.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { parseFraction, type ManagerConfig } from '../../src/manager-api/config.js';
import { leafHash, originOf } from '../../src/share/ct/index.js';
import { CtLogCollector } from '../../src/worker/collector.js';
import type { WorkerConfig } from '../../src/worker/config.js';
import { testManagerEnv, type TestManagerEnv } from './manager.js';
import type { ServedLog } from '../../tools/testlog/index.js';
import type { RealLeafLog } from './real-leaf-log.js';

export interface NamedLog {
  name: string;
  category: string;
  /** A real-leaf RFC 6962 log, or a tiled one (its url is the monitoring prefix). */
  log: Pick<RealLeafLog, 'url' | 'publicKey'>;
  api?: 'rfc6962' | 'static-ct-api';
}

export interface ManagerUnderTest {
  env: TestManagerEnv;
  app: FastifyInstance;
  url: string;
  port: number;
  /** Stop listening (the database stays): the manager is unreachable. */
  goAway(): Promise<void>;
  /** Listen again on the same port with a fresh app over the same database. */
  comeBack(): Promise<void>;
  close(): Promise<void>;
}

export async function startManager(logs: NamedLog[], overrides: Partial<ManagerConfig> = {}): Promise<ManagerUnderTest> {
  const env = await testManagerEnv(
    logs.map((l) => ({ name: l.name, category: l.category, url: l.log.url, key: l.log.publicKey.toString('base64'), ...(l.api === 'static-ct-api' ? { api: l.api, submission_url: l.log.url } : {}) })),
    { targetFraction: parseFraction('1/1'), assignmentSize: 200, pingIntervalS: 5, ...overrides },
  );
  let app = await env.build();
  await app.planner.planAll();
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  const m: ManagerUnderTest = {
    env,
    app,
    port,
    url: `http://127.0.0.1:${port}`,
    async goAway() {
      await app.close();
    },
    async comeBack() {
      app = await env.build();
      await app.listen({ port, host: '127.0.0.1' });
      m.app = app;
    },
    async close() {
      await env.cleanup();
    },
  };
  return m;
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function workerConfig(name: string, managerUrl: string, spoolDir: string, more: Partial<WorkerConfig> = {}): WorkerConfig {
  return {
    name,
    contact: null,
    managerUrl,
    token: null,
    proxies: [],
    spoolDir,
    spoolMaxBytes: 64 * 2 ** 20,
    spoolRetryMs: 1_000,
    minRequestIntervalMs: 0,
    inFlight: 4,
    batchSize: 256,
    exitWhenIdle: true,
    statusIntervalMs: 60_000,
    ...more,
  };
}

/** Indexes of each log's stored sightings, by log name. */
export async function storedIndexes(app: FastifyInstance): Promise<Map<string, number[]>> {
  const rows = await app.db
    .selectFrom('sightings')
    .innerJoin('logs', 'logs.id', 'sightings.log_id')
    .select(['logs.name as name', 'sightings.leaf_index as idx'])
    .orderBy('logs.name')
    .orderBy('sightings.leaf_index')
    .execute();
  const out = new Map<string, number[]>();
  for (const r of rows) out.set(r.name, [...(out.get(r.name) ?? []), Number(r.idx)]);
  return out;
}

/**
 * How many times the lease records say each index of each log was scanned:
 * a completed lease covers [start, end], any other lease [start, confirmed].
 */
export async function leaseCoverage(app: FastifyInstance): Promise<Map<string, Map<number, number>>> {
  const rows = await app.db
    .selectFrom('leases')
    .innerJoin('logs', 'logs.id', 'leases.log_id')
    .select(['logs.name as name', 'leases.start_index as start', 'leases.end_index as end', 'leases.confirmed as confirmed', 'leases.state as state'])
    // A range's own scans; audits and rescans read ranges a second time on purpose.
    .where('leases.kind', '=', 'scan')
    .execute();
  const out = new Map<string, Map<number, number>>();
  for (const r of rows) {
    const counts = out.get(r.name) ?? new Map<number, number>();
    out.set(r.name, counts);
    const last = r.state === 'completed' ? Number(r.end) : Number(r.confirmed);
    for (let i = Number(r.start); i <= last; i++) counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  return out;
}

/** Hex leaf hash of every entry of a served log, read through the worker's collector (every leaf kept). */
export async function servedLeafHashes(log: ServedLog, size: number): Promise<Map<number, string>> {
  const collector = new CtLogCollector({
    logUrl: log.url,
    api: log.api,
    origin: log.api === 'static-ct-api' ? originOf(log.submissionUrl) : null,
    logKey: Buffer.from(log.key, 'base64'),
    start: 0,
    end: size - 1,
    keep: () => true,
  });
  const out = new Map<number, string>();
  for await (const chunk of collector.chunks()) for (const f of chunk.found) out.set(f.index, leafHash(Buffer.from(f.leafInput, 'base64')).toString('hex'));
  return out;
}
