/** Worker endpoints: register, instructions, ping, complete, terminate. */
import type { FastifyInstance } from 'fastify';
import {
  API_PATHS,
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
  type CompleteRequest,
  type InstructionsRequest,
  type PingRequest,
  type RegisterRequest,
  type TerminateRequest,
} from '../../share/api/index.js';
import { forbidden } from '../errors.js';
import { actingFriend } from '../plugins/auth.js';
import { complete, giveInstructions, ping, register, terminate } from '../services/work.js';

const SMALL_BODY = 64 * 1024;
const errors = { 400: { $ref: 'ctjp.Error#' }, 401: { $ref: 'ctjp.Error#' }, 403: { $ref: 'ctjp.Error#' }, 404: { $ref: 'ctjp.Error#' }, 422: { $ref: 'ctjp.Error#' } };

export default async function workerRoutes(app: FastifyInstance): Promise<void> {
  const checkFriend = (friendName: string, acting: string | null): void => {
    if (acting !== null && friendName !== acting) throw forbidden(`friend_name "${friendName}" is not the token's friend "${acting}"`);
  };

  app.post<{ Body: RegisterRequest }>(API_PATHS.register, {
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

  app.post<{ Body: InstructionsRequest }>(API_PATHS.instructions, {
    config: { auth: 'worker' },
    bodyLimit: SMALL_BODY,
    schema: {
      tags: ['workers'],
      summary: 'Get one assignment per category',
      body: instructionsRequestSchema,
      response: { 200: instructionsResponseSchema, 426: { $ref: 'ctjp.Error#' }, ...errors },
    },
    handler: async (request) => {
      checkFriend(request.body.friend_name, actingFriend(request));
      return giveInstructions(app.work, request.body);
    },
  });

  app.post<{ Body: PingRequest }>(API_PATHS.ping, {
    config: { auth: 'worker' },
    bodyLimit: SMALL_BODY,
    schema: { tags: ['workers'], summary: 'Report positions and counters; get directives', body: pingRequestSchema, response: { 200: pingResponseSchema, 409: staleLeaseErrorSchema, ...errors } },
    handler: async (request) => ping(app.work, request.body, actingFriend(request)),
  });

  app.post<{ Body: CompleteRequest }>(API_PATHS.complete, {
    config: { auth: 'worker' },
    bodyLimit: SMALL_BODY,
    schema: { tags: ['workers'], summary: 'Report a lease fully scanned and uploaded', body: completeRequestSchema, response: { 200: completeResponseSchema, 409: staleLeaseErrorSchema, ...errors } },
    handler: async (request) => complete(app.work, request.body, actingFriend(request)),
  });

  app.post<{ Body: TerminateRequest }>(API_PATHS.terminate, {
    config: { auth: 'worker' },
    bodyLimit: SMALL_BODY,
    schema: { tags: ['workers'], summary: 'The worker stops: its leases wait for resumption at once', body: terminateRequestSchema, response: { 200: terminateResponseSchema, 409: foreignLeaseErrorSchema, ...errors } },
    handler: async (request) => terminate(app.work, request.body, actingFriend(request)),
  });
}
