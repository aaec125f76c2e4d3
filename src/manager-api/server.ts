/** Listen: build the app from the config and serve until SIGINT/SIGTERM. */
import { buildApp } from './app.js';
import type { ManagerConfig } from './config.js';

export async function serve(config: ManagerConfig): Promise<void> {
  const app = await buildApp(config);
  await app.ready();
  // Before serving: cut the raw leaf lines of uploads that never committed (a crash, a failed commit).
  for (const r of await app.leafStore.recover(app.db)) {
    app.log.warn({ file: r.file, cutBytes: r.cut, missingBytes: r.missing }, r.missing > 0 ? 'leaf file is shorter than its committed length: lines were removed outside the manager' : 'leaf file: cut the lines of uploads that did not commit');
  }
  const close = async (signal: string): Promise<void> => {
    app.log.info({ signal }, 'shutting down');
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void close('SIGINT'));
  process.once('SIGTERM', () => void close('SIGTERM'));
  await app.listen({ host: config.host, port: config.port });
  app.log.info({ open: config.open, dataDir: config.dataDir, target: config.window ? `window ${config.window.text}` : `fraction ${config.targetFraction.text}` }, 'manager ready (docs at /docs)');
}
