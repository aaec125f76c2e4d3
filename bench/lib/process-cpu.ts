/**
 * CPU seconds used by processes of this machine (Linux /proc), for benchmarks that share the
 * machine's cores between the program measured, the database and the load: wall time says how
 * fast, CPU time says who paid, and it does not move with whatever else the machine runs.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** User plus system CPU seconds of a process so far, or null where /proc cannot tell. */
export function processCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // Fields 14 and 15 (utime, stime), in clock ticks of 1/100 s, counted after the command name's closing parenthesis.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** The local database server's process id (mariadbd or mysqld), if one runs on this machine. */
export function localDatabasePid(): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
        if (comm === 'mariadbd' || comm === 'mysqld') return Number(entry);
      } catch {
        // The process ended while the list was read.
      }
    }
  } catch {
    // No /proc: not Linux.
  }
  return undefined;
}

/** CPU seconds used by each named process between start() and the returned function's call. */
export function cpuMeter(pids: Record<string, number | undefined>): () => Record<string, number | null> {
  const start = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, processCpuSeconds(pid)]));
  return () =>
    Object.fromEntries(
      Object.entries(pids).map(([k, pid]) => {
        const now = processCpuSeconds(pid);
        return [k, now === null || start[k] === null ? null : now - start[k]];
      }),
    );
}
