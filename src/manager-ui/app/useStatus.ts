// Polls GET /api/v1/status; keeps the last good answer on screen while the manager is unreachable.
import { useEffect, useState } from 'preact/hooks';
import type { StatusResponse } from '../../share/api/index.js';

// Relative, so the dashboard also works behind a reverse proxy that mounts the manager under a path.
export const statusPath = 'api/v1/status';
// The daily counts are keyed by CT entry timestamp, which for the target ranges lies months or years
// back, while the endpoint's default only covers recent days. The full history is asked for once a
// minute; the polls in between keep the last full daily table. While that table is still empty but
// sightings exist, it is asked for at the next poll, so the page never says "nothing collected yet"
// for a minute after the first certificates arrive.
const fullDailyQuery = '?days=3660';
const fullEveryPolls = 12;
const intervalMs = 5000;
const maxBackoffMs = 60000;
const requestTimeoutMs = 10000;

export interface StatusState {
  status: StatusResponse | null;
  /** performance.now() when the last good answer arrived. */
  fetchedAt: number;
  error: string | null;
}

async function fetchStatus(signal: AbortSignal, full: boolean): Promise<StatusResponse> {
  const res = await fetch(full ? statusPath + fullDailyQuery : statusPath, { signal, headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as StatusResponse;
}

export function useStatus(): StatusState {
  const [state, setState] = useState<StatusState>({ status: null, fetchedAt: 0, error: null });
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let failures = 0;
    let controller: AbortController | null = null;
    let inFlight = false;
    let daily: StatusResponse['daily'] | null = null;
    let pollsSinceFull = 0;
    let sightingsSeen = 0;
    const poll = async () => {
      inFlight = true;
      controller = new AbortController();
      const timeout = setTimeout(() => controller?.abort(), requestTimeoutMs);
      try {
        const full = daily === null || pollsSinceFull >= fullEveryPolls - 1 || (daily.length === 0 && sightingsSeen > 0);
        const answer = await fetchStatus(controller.signal, full);
        sightingsSeen = answer.totals.sightings;
        if (full) {
          daily = answer.daily;
          pollsSinceFull = 0;
        } else {
          pollsSinceFull += 1;
        }
        const status = { ...answer, daily: daily ?? answer.daily };
        failures = 0;
        const at = performance.now();
        if (!stopped) setState({ status, fetchedAt: at, error: null });
      } catch (err) {
        failures += 1;
        if (!stopped) setState((s) => ({ ...s, error: err instanceof Error ? err.message : String(err) }));
      } finally {
        clearTimeout(timeout);
        inFlight = false;
      }
      if (stopped) return;
      const delay = failures === 0 ? intervalMs : Math.min(maxBackoffMs, intervalMs * 2 ** failures);
      // A hidden tab polls at most once a minute; it catches up as soon as it is shown again.
      timer = setTimeout(() => void poll(), document.hidden ? Math.max(delay, maxBackoffMs) : delay);
    };
    const onVisible = () => {
      if (!document.hidden && !inFlight && !stopped) {
        clearTimeout(timer);
        void poll();
      }
    };
    document.addEventListener('visibilitychange', onVisible);
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, []);
  return state;
}

/** Re-renders every `ms` so ages ("12 s ago") keep counting between polls. */
export function useTick(ms: number): number {
  const [now, setNow] = useState(() => performance.now());
  useEffect(() => {
    const id = setInterval(() => setNow(performance.now()), ms);
    return () => clearInterval(id);
  }, [ms]);
  return now;
}
