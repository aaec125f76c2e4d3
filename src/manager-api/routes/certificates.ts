/** The upload endpoint. */
import type { FastifyInstance } from 'fastify';
import { API_PATHS, UPLOAD_MAX_BODY_BYTES, uploadRequestSchema, uploadResponseSchema, type UploadRequest } from '../../share/api/index.js';
import { actingFriend } from '../plugins/auth.js';

export default async function certificateRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Body: UploadRequest }>(API_PATHS.certificates, {
    config: { auth: 'worker' },
    bodyLimit: UPLOAD_MAX_BODY_BYTES,
    schema: {
      tags: ['certificates'],
      summary: 'Upload .jp leaves',
      description: 'Each leaf_input is stored verbatim and parsed; one row per distinct certificate, one sighting per (log, index). All or nothing: a bad item refuses the whole request.',
      body: uploadRequestSchema,
      response: {
        200: uploadResponseSchema,
        400: { $ref: 'ctjp.Error#' },
        401: { $ref: 'ctjp.Error#' },
        403: { $ref: 'ctjp.Error#' },
        413: { $ref: 'ctjp.Error#' },
        422: { $ref: 'ctjp.Error#' },
      },
    },
    // Checked against the schema here, ingested in an ingest thread (ingest/ingest-pool.ts).
    handler: async (request) => app.ingest.run(request.body, actingFriend(request)),
  });
}
