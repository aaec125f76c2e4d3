/** The manager as the benchmarks run it: its own process (as in production), warnings only, and planned before the clock starts. */
import { startManagerProcess, type ManagerProcess } from '../../tools/fixtures/manager-process.js';

export async function startBenchManager(args: string[]): Promise<ManagerProcess> {
  // CTJP_BENCH_NODE_FLAGS: extra node flags for the manager, e.g. --cpu-prof.
  const nodeFlags = (process.env.CTJP_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  return startManagerProcess(['--log-level', 'warn', ...args], {}, { nodeFlags, echoStderr: true });
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
