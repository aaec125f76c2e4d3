/** The upload endpoint. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { API_ROUTES, UPLOAD_MAX_BODY_BYTES, uploadRequestSchema, uploadResponseSchema } from '../../share/api/index.js';
import { errorReply } from '../errors.js';
import { actingFriend } from '../plugins/auth.js';

/** The upload route's published schema. */
const uploadRouteSchema = {
  tags: ['certificates'],
  summary: 'Upload .jp leaves',
  description: 'Each leaf_input is stored verbatim and parsed; one row per distinct certificate, one sighting per (log, index). All or nothing: a bad item refuses the whole request.',
  body: uploadRequestSchema,
  response: { 200: uploadResponseSchema, 400: errorReply, 401: errorReply, 403: errorReply, 413: errorReply, 422: errorReply },
};

export default async function certificateRoutes(fastify: FastifyInstance): Promise<void> {
  // In this plugin only: a JSON body reaches the handler as bytes, parsed and checked in the ingest thread (ingest/upload-body.ts).
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: UPLOAD_MAX_BODY_BYTES }, (_request, body, done) => done(null, body));
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.post(API_ROUTES.certificates, {
    config: { auth: 'worker' },
    bodyLimit: UPLOAD_MAX_BODY_BYTES,
    schema: uploadRouteSchema,
    // The body schema is published here and checked by the ingest thread, against the same schema, with the same validator options.
    validatorCompiler: () => () => true,
    handler: async (request) => app.ingest.run(request.body as unknown as Buffer, actingFriend(request)),
  });
}
