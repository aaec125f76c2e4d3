/**
 * Worker and admin authentication: `Authorization: Bearer <token>`, checked
 * against the SHA-256 hashes in `tokens` (cached for a short while). Routes
 * declare `config: { auth: 'worker' | 'admin' }`; routes without it are
 * public reads. With --open every request is accepted as admin.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiProblem, forbidden } from '../errors.js';
import { findToken, hashToken, touchToken } from '../repositories/tokens.js';

export interface Principal {
  /** The friend the token was issued to; null in open mode (any friend). */
  friendName: string | null;
  isAdmin: boolean;
}

export type AuthLevel = 'worker' | 'admin';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    auth?: AuthLevel;
  }
}

const CACHE_MS = 30_000;

export default fp(
  async function auth(app: FastifyInstance, opts: { open: boolean }) {
    const cache = new Map<string, { principal: Principal | null; until: number }>();
    app.decorateRequest('principal', null);

    async function principalFor(token: string): Promise<Principal | null> {
      const key = hashToken(token).toString('hex');
      const hit = cache.get(key);
      if (hit && hit.until > Date.now()) return hit.principal;
      const row = await findToken(app.db, token);
      const principal = row ? { friendName: row.friend_name, isAdmin: row.is_admin === 1 } : null;
      if (row) await touchToken(app.db, row.id, new Date());
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { principal, until: Date.now() + CACHE_MS });
      return principal;
    }

    app.addHook('onRequest', async (request: FastifyRequest) => {
      const level = request.routeOptions.config.auth;
      if (!level) return;
      if (opts.open) {
        request.principal = { friendName: null, isAdmin: true };
        return;
      }
      const header = request.headers.authorization ?? '';
      const m = /^Bearer\s+(\S{1,200})$/i.exec(header);
      if (!m) throw new ApiProblem(401, 'UNAUTHENTICATED', 'missing credential: send "Authorization: Bearer <token>" (tokens: npm run manager -- token issue --name <friend>)');
      const principal = await principalFor(m[1]);
      if (!principal) throw new ApiProblem(401, 'UNAUTHENTICATED', 'unknown or revoked token');
      if (level === 'admin' && !principal.isAdmin) throw forbidden('this endpoint needs an admin token');
      request.principal = principal;
    });
  },
  { name: 'ctjp-auth', dependencies: ['ctjp-database'] },
);

/** The friend a request may act for (null = anyone, in open mode). */
export function actingFriend(request: FastifyRequest): string | null {
  return request.principal?.friendName ?? null;
}
