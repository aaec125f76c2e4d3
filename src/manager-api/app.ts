/**
 * The manager as a fastify app: buildApp(config) returns it ready to listen
 * or to be inject()ed in tests. server.ts only listens.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { API_PREFIX, errorSchema } from '../share/api/index.js';
import type { LogHttpOptions } from '../share/ct/index.js';
import { systemClock, type Clock } from './clock.js';
import type { ManagerConfig } from './config.js';
import { ApiProblem } from './errors.js';
import auth from './plugins/auth.js';
import database from './plugins/database.js';
import services from './plugins/services.js';
import adminRoutes from './routes/admin.js';
import analysisRoutes from './routes/analysis.js';
import certificateRoutes from './routes/certificates.js';
import coverageRoutes from './routes/coverage.js';
import statusRoutes from './routes/status.js';
import workerRoutes from './routes/workers.js';
import { formatSchemaError, requestValidatorCompiler } from './validation.js';
import { managerUiPlugin } from '../manager-ui/plugin.js';

export interface BuildOptions {
  clock?: Clock;
  background?: boolean;
  logger?: FastifyServerOptions['logger'];
  clientOptions?: LogHttpOptions;
}

export const VERSION = '0.1.0';

export async function buildApp(config: ManagerConfig, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    bodyLimit: 1024 * 1024,
    // Path parameters carry DNS names (up to 253 characters) in /domains/{name}/certificates.
    routerOptions: { maxParamLength: 300 },
    schemaErrorFormatter: formatSchemaError,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(requestValidatorCompiler());
  app.addSchema(errorSchema);
  await app.register(swagger, {
    openapi: {
      info: { title: 'ctjp manager API', version: VERSION, description: 'Coordinates ctjp workers collecting .jp certificates from CT logs. See docs/manager-api.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(database, { config, clock: options.clock ?? systemClock });
  await app.register(services, { background: options.background ?? true, clientOptions: options.clientOptions });
  await app.register(auth, { open: config.open });

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof ApiProblem) {
      return reply.status(err.statusCode).send({ statusCode: err.statusCode, error: errorName(err.statusCode), message: err.message, code: err.code, ...err.extra });
    }
    const e = err as { statusCode?: number; code?: string; message: string; validation?: unknown };
    const status = e.statusCode && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 500;
    if (status === 500) request.log.error({ err }, 'request failed');
    return reply.status(status).send({ statusCode: status, error: errorName(status), message: status === 500 ? 'internal error' : e.message, code: e.validation ? 'INVALID_REQUEST' : (e.code ?? 'ERROR') });
  });

  for (const routes of [workerRoutes, certificateRoutes, statusRoutes, coverageRoutes, adminRoutes, analysisRoutes]) await app.register(routes, { prefix: API_PREFIX });
  await app.register(managerUiPlugin);
  return app;
}

function errorName(status: number): string {
  const names: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 426: 'Upgrade Required', 500: 'Internal Server Error', 503: 'Service Unavailable' };
  return names[status] ?? 'Error';
}
