/**
 * The manager's services, built on the database plugin and hung on the fastify instance: leaf
 * files, ingest threads, planner, reaper, the work protocol context, the directives and the status
 * reports. Background passes start when the app is ready (when asked to) and stop with it.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Directives, StatusResponse } from '../../share/api/index.js';
import type { LogHttpOptions } from '../../share/ct/index.js';
import { IngestPool } from '../ingest/ingest-pool.js';
import { LeafStore } from '../ingest/leaf-store.js';
import { Planner } from '../planner.js';
import { Reaper } from '../reaper.js';
import { loadDirectives } from '../repositories/settings.js';
import { buildStatus } from '../repositories/status.js';
import { StatusReports } from '../services/status.js';
import type { WorkContext } from '../services/work.js';

declare module 'fastify' {
  interface FastifyInstance {
    leafStore: LeafStore;
    ingest: IngestPool;
    planner: Planner;
    reaper: Reaper;
    work: WorkContext;
    directives: () => Promise<Directives>;
    /** Forget cached directives (after an admin change). */
    invalidateDirectives: () => void;
    /** The status report with the daily counts of the last `days` days (services/status.ts). */
    statusReport: (days: number) => Promise<StatusResponse>;
  }
}

/** Connections of each ingest thread's own pool: a few uploads at a time per thread. */
const INGEST_THREAD_CONNECTIONS = 4;
/** Directives are read on every ping: they are cached this long. */
const DIRECTIVES_CACHE_MS = 1000;

export interface ServicesPluginOptions {
  /** Start planning, the reaper and the status refresh when the app is ready (off in most tests, which drive them directly). */
  background: boolean;
  clientOptions?: LogHttpOptions;
}

export default fp(
  async function services(app: FastifyInstance, opts: ServicesPluginOptions) {
    const { db, config, clock } = app;
    // The planner reads the catalogue (or log list) now: a bad one stops the start, and must not leave the pool open.
    let planner: Planner;
    try {
      planner = new Planner({ db, config, clock, log: app.log, clientOptions: opts.clientOptions });
    } catch (err) {
      await db.destroy();
      throw err;
    }
    app.decorate('leafStore', new LeafStore(config.dataDir));
    app.decorate('ingest', new IngestPool({ dbUrl: config.dbUrl, dataDir: config.dataDir, threads: config.ingestThreads, connectionsPerThread: INGEST_THREAD_CONNECTIONS }));
    app.decorate('planner', planner);
    app.decorate('reaper', new Reaper({ db, clock, deadAfterS: config.deadAfterS, intervalS: config.reaperIntervalS, log: app.log }));
    let cached: { at: number; value: Promise<Directives> } | null = null;
    const directives = (): Promise<Directives> => {
      const now = Date.now();
      if (!cached || now - cached.at > DIRECTIVES_CACHE_MS) {
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
    const statusReports = new StatusReports((days) => buildStatus(db, config, clock.now(), days), app.log);
    app.decorate('statusReport', (days: number) => statusReports.get(days));
    app.addHook('onReady', async () => {
      // The catalogue's logs are in the database before the first worker asks, so that a log not
      // planned yet already counts as work to come (and its category is known).
      await app.planner.syncCatalogue().catch((err: unknown) => app.log.warn({ err }, 'catalogue sync failed; planning syncs it again'));
      await app.reaper.init();
      if (opts.background) {
        app.ingest.start();
        app.planner.start();
        app.reaper.start();
        statusReports.start();
      }
    });
    app.addHook('onClose', async () => {
      await statusReports.stop();
      await app.planner.stop();
      await app.reaper.stop();
      await app.ingest.close();
      await app.leafStore.close();
    });
  },
  { name: 'ctjp-services', dependencies: ['ctjp-database'] },
);
