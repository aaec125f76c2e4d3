/**
 * What ctjp has looked at: per log the scanned stretches and the time they cover, and the observed
 * periods (repositories/coverage.ts, src/share/coverage.ts). Readable without a token, like status.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { API_ROUTES, coverageResponseSchema, type CoverageResponse } from '../../share/api/index.js';
import { coverageReport } from '../repositories/coverage.js';

/**
 * Requests within this window share one computation. The report reads every coverage row and
 * judges the observed periods over all logs; it changes only as pings arrive (every 30 s per
 * worker), and the dashboard polls it every 30 s.
 */
const CACHE_MS = 5000;

export default async function coverageRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  let cache: { at: number; value: Promise<CoverageResponse> } | null = null;
  app.get(API_ROUTES.coverage, {
    schema: {
      tags: ['status'],
      summary: 'Per log the scanned index stretches, their CT time spans and proof state, the time each log covers, and the observed periods',
      response: { 200: coverageResponseSchema },
    },
    handler: async () => {
      // The manager's clock, so that a test's manual clock decides when the answer is stale.
      const at = app.clock.now();
      const now = at.getTime();
      if (cache && now - cache.at >= 0 && now - cache.at < CACHE_MS) return cache.value;
      const value = coverageReport(app.db, at);
      const entry = { at: now, value };
      cache = entry;
      value.catch(() => {
        if (cache === entry) cache = null;
      });
      return value;
    },
  });
}
