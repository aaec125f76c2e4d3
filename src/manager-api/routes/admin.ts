/** Operator endpoints: re-plan, directives, clearing a worker an audit flagged. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  API_ROUTES,
  clearWorkerParamsSchema,
  clearWorkerRequestSchema,
  clearWorkerResponseSchema,
  directivesSchema,
  directivesUpdateSchema,
  replanRequestSchema,
  replanResponseSchema,
} from '../../share/api/index.js';
import { errorReply, unprocessable } from '../errors.js';
import { setMinInterval } from '../repositories/logs.js';
import { setSetting } from '../repositories/settings.js';
import { clearWorker } from '../services/audit.js';
import { versionProblem } from '../../share/version.js';

export default async function adminRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(API_ROUTES.adminReplan, {
    config: { auth: 'admin' },
    schema: {
      tags: ['admin'],
      summary: 'Re-read the catalogue, ask every log for its tree head and plan',
      description: 'Targets once planned stay fixed; force=true recomputes them from the current tree sizes (work handed out stays handed out).',
      body: replanRequestSchema,
      response: { 200: replanResponseSchema },
    },
    handler: async (request) => ({ logs: await app.planner.planAll(request.body?.force ?? false) }),
  });

  app.post(API_ROUTES.adminDirectives, {
    config: { auth: 'admin' },
    schema: { tags: ['admin'], summary: 'Pause workers, require a version, slow down a log', body: directivesUpdateSchema, response: { 200: directivesSchema } },
    handler: async (request) => {
      const b = request.body;
      if (b.min_worker_version && versionProblem(b.min_worker_version)) throw unprocessable('INVALID_VERSION', `min_worker_version "${b.min_worker_version}" ${versionProblem(b.min_worker_version)}`);
      for (const s of b.slow_logs ?? []) {
        if (!(await setMinInterval(app.db, s.log_name, s.min_interval_ms))) throw unprocessable('UNKNOWN_LOG', `slow_logs: unknown log "${s.log_name}"`);
      }
      if (b.paused !== undefined) await setSetting(app.db, 'paused', b.paused ? '1' : null);
      if (b.min_worker_version !== undefined) await setSetting(app.db, 'min_worker_version', b.min_worker_version);
      app.invalidateDirectives();
      return app.directives();
    },
  });

  app.post(API_ROUTES.adminClearWorker, {
    config: { auth: 'admin' },
    schema: {
      tags: ['admin'],
      summary: 'Clear a worker an audit flagged',
      description:
        'Lifts the flag: the worker gets work again, and its quarantined sightings and certificates count again in the status, the export and the analysis; with delete=true they are deleted instead (and their ranges rescanned). A worker that is not flagged is left as it is (was_flagged: false).',
      params: clearWorkerParamsSchema,
      body: clearWorkerRequestSchema,
      response: { 200: clearWorkerResponseSchema, 404: errorReply },
    },
    handler: async (request) => clearWorker(app.db, request.params.worker_id, request.body?.delete ?? false, app.clock.now()),
  });
}
