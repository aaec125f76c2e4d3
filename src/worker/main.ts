/**
 * Entry point of `npm run worker` and of the bundled dist/ctjp-worker.mjs:
 * reads the settings, runs the worker, and turns SIGINT/SIGTERM into a clean
 * stop (a second Ctrl-C stops at once).
 */
import { ConfigError, helpText, parseWorkerConfig } from './config.js';
import { WORKER_VERSION } from './version.js';
import { Worker } from './worker.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseWorkerConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`ctjp-worker: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (parsed.kind === 'help') {
    console.log(helpText(WORKER_VERSION));
    return 0;
  }
  if (parsed.kind === 'version') {
    console.log(WORKER_VERSION);
    return 0;
  }
  const worker = new Worker(parsed.config);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      console.error('ctjp-worker: stopped at once (second signal); the manager will notice on its own');
      process.exit(130);
    }
    void worker.shutdown(signal === 'SIGINT' ? 'Ctrl-C' : signal, 0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return worker.run();
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`ctjp-worker: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
