/**
 * The manager's shared services, hung on the fastify instance: database,
 * clock, config, leaf files, ingest threads, planner, reaper and the work
 * protocol context.
 * The database is created and migrated when the plugin loads and closed with
 * the app.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Directives } from '../../share/api/index.js';
import type { Clock } from '../clock.js';
import type { ManagerConfig } from '../config.js';
import { openDatabase, type Db } from '../../db/connect.js';
import { IngestPool } from '../ingest/ingest-pool.js';
import { LeafStore } from '../ingest/leaf-store.js';
import { Planner } from '../planner.js';
import { Reaper } from '../reaper.js';
import { loadDirectives } from '../repositories/settings.js';
import type { WorkContext } from '../services/work.js';
import type { LogHttpOptions } from '../../share/ct/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    clock: Clock;
    config: ManagerConfig;
    leafStore: LeafStore;
    ingest: IngestPool;
    planner: Planner;
    reaper: Reaper;
    work: WorkContext;
    directives: () => Promise<Directives>;
    /** Forget cached directives (after an admin change). */
    invalidateDirectives: () => void;
  }
}

/** Connections of each ingest thread's own pool: a few uploads at a time per thread. */
const INGEST_THREAD_CONNECTIONS = 4;

export interface DatabasePluginOptions {
  config: ManagerConfig;
  clock: Clock;
  /** Start planning and the reaper when the app is ready (off in most tests, which drive them directly). */
  background: boolean;
  clientOptions?: LogHttpOptions;
}

export default fp(
  async function database(app: FastifyInstance, opts: DatabasePluginOptions) {
    const { config, clock } = opts;
    const db = await openDatabase(config.dbUrl, config.dbConnections);
    // The planner reads the catalogue (or log list) now: a bad one stops the start, and must not leave the pool open.
    let planner: Planner;
    try {
      planner = new Planner({ db, config, clock, log: app.log, clientOptions: opts.clientOptions });
    } catch (err) {
      await db.destroy();
      throw err;
    }
    app.decorate('db', db);
    app.decorate('clock', clock);
    app.decorate('config', config);
    app.decorate('leafStore', new LeafStore(config.dataDir));
    app.decorate('ingest', new IngestPool({ dbUrl: config.dbUrl, dataDir: config.dataDir, threads: config.ingestThreads, connectionsPerThread: INGEST_THREAD_CONNECTIONS }));
    app.decorate('planner', planner);
    app.decorate('reaper', new Reaper({ db, clock, deadAfterS: config.deadAfterS, intervalS: config.reaperIntervalS, log: app.log }));
    // Directives are read on every ping: cache them for a second.
    let cached: { at: number; value: Promise<Directives> } | null = null;
    const directives = (): Promise<Directives> => {
      const now = Date.now();
      if (!cached || now - cached.at > 1000) {
        const value = loadDirectives(db, config.pingIntervalS, config.contact);
        cached = { at: now, value };
        value.catch(() => (cached = null));
      }
      return cached.value;
    };
    app.decorate('directives', directives);
    app.decorate('invalidateDirectives', () => {
      cached = null;
    });
    app.decorate('work', {
      db,
      now: () => clock.now(),
      assignmentSize: config.assignmentSize,
      directives: async () => directives(),
      // --audit-share; the random source is replaced by tests that force (or forbid) a selection.
      auditShare: config.auditShare,
      random: Math.random,
    });
    app.addHook('onReady', async () => {
      // The catalogue's logs are in the database before the first worker asks, so that a log not
      // planned yet already counts as work to come (and its category is known).
      await app.planner.syncCatalogue().catch((err: unknown) => app.log.warn({ err }, 'catalogue sync failed; planning syncs it again'));
      await app.reaper.init();
      if (opts.background) {
        app.ingest.start();
        app.planner.start();
        app.reaper.start();
      }
    });
    app.addHook('onClose', async () => {
      await app.planner.stop();
      await app.reaper.stop();
      await app.ingest.close();
      await app.leafStore.close();
      await db.destroy();
    });
  },
  { name: 'ctjp-database' },
);
