/** Worker endpoints: register, instructions, ping, complete, terminate. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  API_ROUTES,
  completeRequestSchema,
  completeResponseSchema,
  instructionsRequestSchema,
  instructionsResponseSchema,
  pingRequestSchema,
  pingResponseSchema,
  registerRequestSchema,
  registerResponseSchema,
  foreignLeaseErrorSchema,
  staleLeaseErrorSchema,
  terminateRequestSchema,
  terminateResponseSchema,
} from '../../share/api/index.js';
import { errorReply, forbidden } from '../errors.js';
import { actingFriend } from '../plugins/auth.js';
import { complete, giveInstructions, ping, register, terminate } from '../services/work.js';

const SMALL_BODY = 64 * 1024;
const errors = { 400: errorReply, 401: errorReply, 403: errorReply, 404: errorReply, 422: errorReply };

export default async function workerRoutes(fastify: FastifyInstance): Promise<void> {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const checkFriend = (friendName: string, acting: string | null): void => {
    if (acting !== null && friendName !== acting) throw forbidden(`friend_name "${friendName}" is not the token's friend "${acting}"`);
  };

  app.post(API_ROUTES.register, {
    config: { auth: 'worker' },
    bodyLimit: SMALL_BODY,
    schema: { tags: ['workers'], summary: 'Register a worker (or revive it)', body: registerRequestSchema, response: { 200: registerResponseSchema, ...errors } },
    handler: async (request) => {
      const b = request.body;
      checkFriend(b.friend_name, actingFriend(request));
      const w = await register(app.work, { workerUid: b.worker_id, friendName: b.friend_name, version: b.version });
      return { worker_id: w.worker_uid, friend_name: w.friend_name, state: w.state, directives: await app.directives() };
    },
  });

  app.post(API_ROUTES.instructions, {
    config: { auth: 'worker' },
    bodyLimit: SMALL_BODY,
    schema: {
      tags: ['workers'],
      summary: 'Get one assignment per category',
      body: instructionsRequestSchema,
      response: { 200: instructionsResponseSchema, 426: errorReply, ...errors },
    },
    handler: async (request) => {
      checkFriend(request.body.friend_name, actingFriend(request));
      return giveInstructions(app.work, request.body);
    },
  });

  app.post(API_ROUTES.ping, {
    config: { auth: 'worker' },
    bodyLimit: SMALL_BODY,
    schema: { tags: ['workers'], summary: 'Report positions and counters; get directives', body: pingRequestSchema, response: { 200: pingResponseSchema, 409: staleLeaseErrorSchema, ...errors } },
    handler: async (request) => ping(app.work, request.body, actingFriend(request)),
  });

  app.post(API_ROUTES.complete, {
    config: { auth: 'worker' },
    bodyLimit: SMALL_BODY,
    schema: { tags: ['workers'], summary: 'Report a lease fully scanned and uploaded', body: completeRequestSchema, response: { 200: completeResponseSchema, 409: staleLeaseErrorSchema, ...errors } },
    handler: async (request) => complete(app.work, request.body, actingFriend(request)),
  });

  app.post(API_ROUTES.terminate, {
    config: { auth: 'worker' },
    bodyLimit: SMALL_BODY,
    schema: { tags: ['workers'], summary: 'The worker stops: its leases wait for resumption at once', body: terminateRequestSchema, response: { 200: terminateResponseSchema, 409: foreignLeaseErrorSchema, ...errors } },
    handler: async (request) => terminate(app.work, request.body, actingFriend(request)),
  });
}
