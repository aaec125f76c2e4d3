/** Status for the dashboard and operators: maintained counters only. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { API_ROUTES, STATUS_DAYS_DEFAULT, statusQuerySchema, statusResponseSchema, type StatusResponse } from '../../share/api/index.js';
import { buildStatus } from '../repositories/status.js';

/** Identical requests within this window share one database round. */
const CACHE_MS = 1000;

export default async function statusRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const cache = new Map<number, { at: number; value: Promise<StatusResponse> }>();
  app.get(API_ROUTES.status, {
    schema: {
      tags: ['status'],
      summary: 'Totals, per log, per log and day, per worker',
      querystring: statusQuerySchema,
      response: { 200: statusResponseSchema },
    },
    handler: async (request) => {
      const days = request.query.days ?? STATUS_DAYS_DEFAULT;
      const now = Date.now();
      const hit = cache.get(days);
      if (hit && now - hit.at < CACHE_MS) return hit.value;
      const value = buildStatus(app.db, app.config, app.clock.now(), days);
      cache.set(days, { at: now, value });
      value.catch(() => cache.delete(days));
      return value;
    },
  });
}
