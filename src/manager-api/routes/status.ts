/** Status for the dashboard and operators: maintained counters only. */
import type { FastifyInstance } from 'fastify';
import { API_PATHS, statusResponseSchema } from '../../share/api/index.js';
import { buildStatus } from '../repositories/status.js';
import type { StatusResponse } from '../../share/api/index.js';

/** Identical requests within this window share one database round. */
const CACHE_MS = 1000;

export default async function statusRoutes(app: FastifyInstance): Promise<void> {
  const cache = new Map<number, { at: number; value: Promise<StatusResponse> }>();
  app.get<{ Querystring: { days?: string } }>(API_PATHS.status, {
    schema: {
      tags: ['status'],
      summary: 'Totals, per log, per log and day, per worker',
      querystring: { type: 'object', additionalProperties: false, properties: { days: { type: 'string', pattern: '^[0-9]{1,4}$', description: 'Most recent days of daily counts (default 62).' } } },
      response: { 200: statusResponseSchema },
    },
    handler: async (request) => {
      const days = Math.max(1, Math.min(3660, Number(request.query.days ?? 62)));
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
