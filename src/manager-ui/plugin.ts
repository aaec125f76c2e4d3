// Serves the built dashboard at `/` on the manager's port.
import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import { buildUi, defaultDistDir, isComplete, isStale } from './build.js';

export interface ManagerUiOptions {
  /** Folder holding the built assets; built on start when missing or older than the source. */
  distDir?: string;
}

// The dashboard only talks to its own origin and never needs inline script; a strict policy means
// that even a rendering mistake with a worker-supplied string could not run code.
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Builds the dashboard when it is missing, or older than its source. */
export async function ensureUiBuilt(distDir: string = defaultDistDir): Promise<void> {
  if (!(await isComplete(distDir))) await buildUi({ outDir: distDir, replace: false });
  else if (await isStale(distDir)) await buildUi({ outDir: distDir, replace: true });
}

const plugin: FastifyPluginAsync<ManagerUiOptions> = async (app, options) => {
  const distDir = options.distDir ?? defaultDistDir;
  await ensureUiBuilt(distDir);
  // wildcard: false registers one route per built file, so the UI never shadows /api/ or /docs.
  await app.register(fastifyStatic, {
    root: distDir,
    prefix: '/',
    wildcard: false,
    decorateReply: false,
    cacheControl: false,
    setHeaders(res) {
      res.setHeader('cache-control', 'no-cache');
      res.setHeader('content-security-policy', contentSecurityPolicy);
      res.setHeader('x-content-type-options', 'nosniff');
      res.setHeader('referrer-policy', 'no-referrer');
    },
  });
};

/** Register on the manager's app: `await app.register(managerUiPlugin)`. */
export const managerUiPlugin = plugin;
