/**
 * The real manager as a child process (src/manager-api/main.ts under tsx), for tests that must
 * kill it or restart it on the same database and data directory; its output is kept for failure
 * messages and for the lines a test looks for.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './wait.js';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'manager-api', 'main.ts');
const VERBOSE = process.env.CTJP_TEST_VERBOSE === '1';

export interface ManagerProcess {
  url: string;
  child: ChildProcess;
  /** Every line the manager printed (stdout and stderr). */
  out: string[];
  /** Resolves with the exit code, or the signal that ended the process. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts a manager with these flags (and `env` added to the environment), and waits until it answers. */
export async function startManagerProcess(args: string[], env: Record<string, string> = {}): Promise<ManagerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--host', '127.0.0.1', '--port', String(port), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const out: string[] = [];
  const collect = (d: Buffer): void => {
    for (const l of d.toString().split('\n')) {
      if (l === '') continue;
      out.push(l);
      if (VERBOSE) console.log(`[manager] ${l}`);
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const url = `http://127.0.0.1:${port}`;
  const m: ManagerProcess = {
    url,
    child,
    out,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await waitFor(
      'the manager to answer',
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the manager exited (${child.exitCode ?? child.signalCode}):\n${out.join('\n')}`);
        return fetch(`${url}/api/v1/status`).then(
          (r) => r.ok,
          () => false,
        );
      },
      120_000,
    );
  } catch (err) {
    await m.stop();
    throw err;
  }
  return m;
}
