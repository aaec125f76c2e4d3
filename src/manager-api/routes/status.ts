/** Status for the dashboard and operators: maintained counters only. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { API_PATHS, statusResponseSchema } from '../../share/api/index.js';

export default async function statusRoutes(app: FastifyInstance): Promise<void> {
  // A report (about 1 kB per worker) is serialized once, by the route's own serializer, for every request that gets it.
  const bodies = new WeakMap<object, ReturnType<FastifyReply['serialize']>>();
  app.get<{ Querystring: { days?: string } }>(API_PATHS.status, {
    schema: {
      tags: ['status'],
      summary: 'Totals, per log, per log and day, per worker',
      querystring: { type: 'object', additionalProperties: false, properties: { days: { type: 'string', pattern: '^[0-9]{1,4}$', description: 'Most recent days of daily counts (default 62).' } } },
      response: { 200: statusResponseSchema },
    },
    handler: async (request, reply) => {
      const days = Math.max(1, Math.min(3660, Number(request.query.days ?? 62)));
      const report = await app.statusReport(days);
      let body = bodies.get(report);
      if (body === undefined) bodies.set(report, (body = reply.serialize(report)));
      return reply.type('application/json; charset=utf-8').send(body);
    },
  });
}
