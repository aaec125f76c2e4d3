/** Operator endpoints: re-plan, directives. */
import type { FastifyInstance } from 'fastify';
import { API_PATHS, directivesSchema, directivesUpdateSchema, replanResponseSchema, type DirectivesUpdate } from '../../share/api/index.js';
import { unprocessable } from '../errors.js';
import { setMinInterval } from '../repositories/logs.js';
import { setSetting } from '../repositories/settings.js';

export default async function adminRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Body: { force?: boolean } | undefined }>(API_PATHS.adminReplan, {
    config: { auth: 'admin' },
    schema: {
      tags: ['admin'],
      summary: 'Re-read the catalogue, ask every log for its tree head and plan',
      description: 'Targets once planned stay fixed; force=true recomputes them from the current tree sizes (work handed out stays handed out).',
      body: { type: 'object', additionalProperties: false, properties: { force: { type: 'boolean' } } },
      response: { 200: replanResponseSchema },
    },
    handler: async (request) => ({ logs: await app.planner.planAll(request.body?.force ?? false) }),
  });

  app.post<{ Body: DirectivesUpdate }>(API_PATHS.adminDirectives, {
    config: { auth: 'admin' },
    schema: { tags: ['admin'], summary: 'Pause workers, require a version, slow down a log', body: directivesUpdateSchema, response: { 200: directivesSchema } },
    handler: async (request) => {
      const b = request.body;
      for (const s of b.slow_logs ?? []) {
        if (!(await setMinInterval(app.db, s.log_name, s.min_interval_ms))) throw unprocessable('UNKNOWN_LOG', `slow_logs: unknown log "${s.log_name}"`);
      }
      if (b.paused !== undefined) await setSetting(app.db, 'paused', b.paused ? '1' : null);
      if (b.min_worker_version !== undefined) await setSetting(app.db, 'min_worker_version', b.min_worker_version);
      app.invalidateDirectives();
      return app.directives();
    },
  });
}
