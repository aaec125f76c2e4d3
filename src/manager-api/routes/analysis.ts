/**
 * The analysis endpoints: certificates covering a domain (with phishing-detector features) and the
 * cached renewal-analysis summary. Both read through a small mysql2 pool of their own.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  API_ROUTES,
  DOMAIN_CERTIFICATES_LIMIT_DEFAULT,
  SUMMARY_LINEAGES_LIMIT_DEFAULT,
  analysisSummaryQuerySchema,
  analysisSummaryResponseSchema,
  domainCertificatesParamsSchema,
  domainCertificatesQuerySchema,
  domainCertificatesResponseSchema,
  type AnalysisSummaryResponse,
} from '../../share/api/index.js';
import { ApiProblem, badRequest, errorReply } from '../errors.js';
import { InvalidDomainName, SummaryCache, SummaryPending, analysisPool, computeSummary, domainCertificates } from '../services/analysis.js';

/** How long a request waits for the very first summary before it is told to come back. */
const FIRST_SUMMARY_WAIT_MS = 25_000;
const RETRY_AFTER_S = 10;

const domainCertificatesRouteSchema = {
  tags: ['analysis'],
  summary: 'Certificates covering a domain (exact name, a wildcard over it, optionally names under it), newest first, with phishing-detector features',
  params: domainCertificatesParamsSchema,
  querystring: domainCertificatesQuerySchema,
  response: { 200: domainCertificatesResponseSchema, 400: errorReply },
};

const analysisSummaryRouteSchema = {
  tags: ['analysis'],
  summary: 'Renewal-analysis aggregates (docs/analysis.md), cached and recomputed in the background',
  querystring: analysisSummaryQuerySchema,
  response: { 200: analysisSummaryResponseSchema, 503: errorReply },
};

export default async function analysisRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const pool = analysisPool(app.config.dbUrl);
  const cache = new SummaryCache(() => computeSummary(pool), app.config.analysisCacheS * 1000, (err) => app.log.error({ err }, 'analysis summary failed'));
  app.addHook('onClose', async () => {
    const running = cache.close();
    await pool.end();
    await running;
  });

  app.get(API_ROUTES.domainCertificates, {
    schema: domainCertificatesRouteSchema,
    handler: async (request) => {
      const limit = request.query.limit ?? DOMAIN_CERTIFICATES_LIMIT_DEFAULT;
      try {
        return await domainCertificates(pool, request.params.name, limit, request.query.include_subdomains === '1');
      } catch (e) {
        if (e instanceof InvalidDomainName) throw badRequest('INVALID_DOMAIN', e.message);
        throw e;
      }
    },
  });

  app.get(API_ROUTES.analysisSummary, {
    schema: analysisSummaryRouteSchema,
    handler: async (request, reply) => {
      const withLineages = request.query.lineages === '1';
      if (!withLineages && request.query.limit !== undefined) throw badRequest('INVALID_REQUEST', 'querystring/limit applies only with lineages=1');
      const limit = request.query.limit ?? SUMMARY_LINEAGES_LIMIT_DEFAULT;
      let entry;
      try {
        entry = await cache.get(FIRST_SUMMARY_WAIT_MS);
      } catch (e) {
        if (!(e instanceof SummaryPending)) throw e;
        reply.header('retry-after', String(RETRY_AFTER_S));
        throw new ApiProblem(503, 'ANALYSIS_PENDING', e.message);
      }
      const { lineages, lineages_total, ...aggregates } = entry.summary;
      const body: AnalysisSummaryResponse = {
        ...aggregates,
        cache: {
          max_age_s: app.config.analysisCacheS,
          age_s: Math.max(0, (Date.now() - entry.computedAt) / 1000),
          duration_s: entry.durationMs / 1000,
          refreshing: cache.refreshing,
        },
      };
      if (withLineages) {
        body.lineages = lineages.slice(0, limit);
        body.lineages_total = lineages_total;
      }
      return body;
    },
  });
}
