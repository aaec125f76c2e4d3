// Polls GET /api/v1/coverage, far less often than the status: the ledger moves with pings (every 30 s
// per worker) and the answer reads every stretch. The last good answer stays on screen while the
// manager is unreachable.
import { useEffect, useState } from 'preact/hooks';
import type { CoverageResponse } from '../../share/api/index.js';

// Relative, like the status path, so that the dashboard also works under a reverse proxy's sub-path.
export const coveragePath = 'api/v1/coverage';
const intervalMs = 30_000;
const requestTimeoutMs = 20_000;

export interface CoverageState {
  coverage: CoverageResponse | null;
  error: string | null;
}

export function useCoverage(): CoverageState {
  const [state, setState] = useState<CoverageState>({ coverage: null, error: null });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | null = null;
    const poll = async () => {
      controller = new AbortController();
      const timeout = setTimeout(() => controller?.abort(), requestTimeoutMs);
      try {
        const res = await fetch(coveragePath, { signal: controller.signal, headers: { accept: 'application/json' }, cache: 'no-store' });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const coverage = (await res.json()) as CoverageResponse;
        if (!stopped) setState({ coverage, error: null });
      } catch (err) {
        if (!stopped) setState((s) => ({ ...s, error: err instanceof Error ? err.message : String(err) }));
      } finally {
        clearTimeout(timeout);
      }
      if (!stopped) timer = setTimeout(() => void poll(), intervalMs);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
    };
  }, []);
  return state;
}
