/**
 * The manager's database, clock and config, hung on the fastify instance. The database is created
 * and migrated when the plugin loads and closed with the app; the services built on it are
 * plugins/services.ts.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Clock } from '../clock.js';
import type { ManagerConfig } from '../config.js';
import { openDatabase, type Db } from '../../db/connect.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    clock: Clock;
    config: ManagerConfig;
  }
}

export interface DatabasePluginOptions {
  config: ManagerConfig;
  clock: Clock;
}

export default fp(
  async function database(app: FastifyInstance, opts: DatabasePluginOptions) {
    const db = await openDatabase(opts.config.dbUrl, opts.config.dbConnections);
    app.decorate('db', db);
    app.decorate('clock', opts.clock);
    app.decorate('config', opts.config);
    // Registered first, so it runs after the services' own close hooks (fastify closes in reverse order).
    app.addHook('onClose', async () => {
      await db.destroy();
    });
  },
  { name: 'ctjp-database' },
);
