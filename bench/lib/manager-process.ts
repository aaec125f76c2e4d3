/** Run the manager as its own process (as in production) for benchmarks. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface ManagerProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startManagerProcess(args: string[]): Promise<ManagerProcess> {
  const port = await freePort();
  const root = join(import.meta.dirname, '..', '..');
  // CTJP_BENCH_NODE_FLAGS: extra node flags for the manager, e.g. --cpu-prof.
  const flags = (process.env.CTJP_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', join(root, 'src/manager-api/main.ts'), '--port', String(port), '--log-level', 'warn', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`manager exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/api/v1/status`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Wait until the manager has planned this many available logs. */
export async function waitForPlanning(url: string, logs: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const s = (await (await fetch(`${url}/api/v1/status`)).json()) as { logs: { available: boolean; target_end: number | null }[] };
    if (s.logs.filter((l) => l.available && l.target_end !== null).length >= logs) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('planning did not finish');
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
