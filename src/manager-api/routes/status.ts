/** Status for the dashboard and operators: maintained counters only. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { API_ROUTES, STATUS_DAYS_DEFAULT, statusQuerySchema, statusResponseSchema, type StatusResponse } from '../../share/api/index.js';

export default async function statusRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // A report (about 1 kB per worker) is serialized once, by the route's own serializer, for every request that gets it.
  const bodies = new WeakMap<object, ReturnType<FastifyReply['serialize']>>();
  app.get(API_ROUTES.status, {
    schema: {
      tags: ['status'],
      summary: 'Totals, per log, per log and day, per worker',
      querystring: statusQuerySchema,
      response: { 200: statusResponseSchema },
    },
    handler: async (request, reply) => {
      const report = await app.statusReport(request.query.days ?? STATUS_DAYS_DEFAULT);
      let body = bodies.get(report);
      if (body === undefined) bodies.set(report, (body = reply.serialize(report)));
      // A string body with a JSON content type is sent as it is: the serialized report, not an object.
      return reply.type('application/json; charset=utf-8').send(body as unknown as StatusResponse);
    },
  });
}
