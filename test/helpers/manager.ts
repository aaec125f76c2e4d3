/** Build the manager app against a fresh database and a catalogue of test logs. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../../src/manager-api/app.js';
import { managerConfig, type ManagerConfig } from '../../src/manager-api/config.js';
import { dropTestDatabase, testDatabaseUrl } from '../../tools/fixtures/database.js';

export interface CatalogueEntry {
  name: string;
  category: string;
  url: string;
  key?: string | null;
  shut_down?: boolean;
  api?: 'rfc6962' | 'static-ct-api';
  submission_url?: string;
  data_tiles?: boolean;
  temporal_interval?: { start_inclusive: string; end_exclusive: string };
  mirrors?: string[];
  archives?: string[];
  final_tree_head?: { tree_size: number; sha256_root_hash: string };
}

export interface TestManagerEnv {
  dbUrl: string;
  dir: string;
  config: ManagerConfig;
  /** Build (or rebuild, e.g. to test a restart) an app on the same database. */
  build(options?: BuildOptions, overrides?: Partial<ManagerConfig>): Promise<FastifyInstance>;
  cleanup(): Promise<void>;
}

/** A test log's catalogue entry. */
/** A catalogue entry for a log (a served test log included): its read API and submission URL kept for tiled logs. */
export function catalogueEntry(log: CatalogueEntry & { submissionUrl?: string }): CatalogueEntry {
  const submission = log.submission_url ?? log.submissionUrl;
  return {
    name: log.name,
    category: log.category,
    url: log.url,
    key: log.key,
    ...(log.api === 'static-ct-api' ? { api: log.api, ...(submission ? { submission_url: submission } : {}) } : {}),
    ...(log.data_tiles ? { data_tiles: true } : {}),
  };
}

/** Runs `fn` with a fresh manager environment and cleans it up afterwards, whether `fn` passed or failed. */
export async function withTestManager<T>(logs: CatalogueEntry[], overrides: Partial<ManagerConfig>, fn: (env: TestManagerEnv) => Promise<T>): Promise<T> {
  const env = await testManagerEnv(logs, overrides);
  try {
    return await fn(env);
  } finally {
    await env.cleanup();
  }
}

export async function testManagerEnv(logs: CatalogueEntry[], overrides: Partial<ManagerConfig> = {}): Promise<TestManagerEnv> {
  const dbUrl = testDatabaseUrl();
  const dir = mkdtempSync(join(tmpdir(), 'ctjp-manager-'));
  const catalogueFile = join(dir, 'logs.json');
  writeFileSync(catalogueFile, JSON.stringify({ logs }));
  const config = managerConfig({ dbUrl, logsFile: catalogueFile, dataDir: join(dir, 'data'), open: true, logLevel: 'silent', sthTimeoutMs: 2000, dbConnections: 10, ...overrides });
  const apps: FastifyInstance[] = [];
  return {
    dbUrl,
    dir,
    config,
    async build(options: BuildOptions = {}, more: Partial<ManagerConfig> = {}) {
      const app = await buildApp({ ...config, ...more }, { background: false, logger: false, clientOptions: { maxTries: 1 }, ...options });
      await app.ready();
      apps.push(app);
      return app;
    },
    async cleanup() {
      for (const app of apps) await app.close();
      await dropTestDatabase(dbUrl);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
