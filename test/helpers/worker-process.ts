/**
 * Real worker processes (src/worker/main.ts under tsx) for end-to-end tests,
 * with their output kept for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'worker', 'main.ts');
const VERBOSE = process.env.CTJP_TEST_VERBOSE === '1';

export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  /** Every line the worker printed (stdout and stderr). */
  out: string[];
  exited: Promise<number | null>;
}

/** Starts a worker for friend `name` with its own spool folder; `args` are further worker flags. */
export function startWorkerProcess(name: string, managerUrl: string, spoolDir: string, args: string[] = []): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--name', name, '--manager', managerUrl, '--spool-dir', spoolDir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CTJP_PROXIES: '' },
  });
  const out: string[] = [];
  const collect = (d: Buffer): void => {
    for (const l of d.toString().split('\n')) {
      if (l === '') continue;
      out.push(l);
      if (VERBOSE) console.log(`[${name}] ${l}`);
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, child, out, exited };
}

export function isRunning(p: WorkerProcess): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

/** The exit code, or 'late' when the process has not exited within `ms`. */
export async function exitWithin(p: WorkerProcess, ms: number): Promise<number | null | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const r = await Promise.race([p.exited, late]);
  clearTimeout(timer);
  return r;
}
