// Loads GET /api/v1/analysis/summary while the Analysis tab is open: again every minute (the manager
// caches it), after Retry-After while the first computation runs, with backoff while unreachable.
import { useEffect, useState } from 'preact/hooks';
import type { AnalysisSummaryResponse } from '../../share/api/index.js';

export const summaryPath = 'api/v1/analysis/summary';
const refreshMs = 60_000;
const maxBackoffMs = 60_000;
const requestTimeoutMs = 40_000;

export interface AnalysisState {
  summary: AnalysisSummaryResponse | null;
  /** Date.now() when the last good answer arrived. */
  fetchedAt: number;
  pending: boolean;
  error: string | null;
}

export function useAnalysis(): AnalysisState {
  const [state, setState] = useState<AnalysisState>({ summary: null, fetchedAt: 0, pending: false, error: null });
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let controller = new AbortController();
    const load = async () => {
      let next = refreshMs;
      controller = new AbortController();
      const timeout = setTimeout(() => controller.abort(), requestTimeoutMs);
      try {
        const res = await fetch(summaryPath, { signal: controller.signal, headers: { accept: 'application/json' }, cache: 'no-store' });
        if (res.status === 503) {
          const after = Number(res.headers.get('retry-after'));
          next = (Number.isFinite(after) && after > 0 ? after : 10) * 1000;
          const body = (await res.json().catch(() => ({}))) as { message?: string };
          if (!stopped) setState((s) => ({ ...s, pending: true, error: body.message ?? null }));
        } else if (!res.ok) {
          throw new Error(`HTTP ${res.status}`);
        } else {
          const summary = (await res.json()) as AnalysisSummaryResponse;
          failures = 0;
          if (!stopped) setState({ summary, fetchedAt: Date.now(), pending: false, error: null });
        }
      } catch (e) {
        if (stopped) return;
        failures += 1;
        next = Math.min(maxBackoffMs, 5000 * 2 ** (failures - 1));
        setState((s) => ({ ...s, pending: false, error: (e as Error).message }));
      } finally {
        clearTimeout(timeout);
      }
      if (!stopped) timer = setTimeout(() => void load(), next);
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller.abort();
    };
  }, []);
  return state;
}
