// A target range as one bar: scanned, in progress, waiting to resume and never handed out.
import type { Coverage } from '../derive.js';
import { formatCount, formatPercent } from '../format.js';
import { useLang } from './context.js';

const parts = [
  ['done', 'legendDone'],
  ['running', 'legendRunning'],
  ['waiting', 'legendWaiting'],
  ['unassigned', 'legendUnassigned'],
] as const;

export function CoverageBar({ coverage, label }: { coverage: Coverage; label: string }) {
  const { lang, t } = useLang();
  const describe = parts
    .filter(([key]) => coverage[key] > 0)
    .map(([key, text]) => `${t(text)} ${formatCount(coverage[key], lang)}`)
    .join(', ');
  return (
    <div class="bar" role="img" aria-label={`${label}: ${describe}`} title={describe}>
      {coverage.total > 0 &&
        parts.map(([key]) =>
          coverage[key] > 0 ? (
            <span key={key} class={`seg seg-${key}`} style={{ width: `${(coverage[key] / coverage.total) * 100}%` }} />
          ) : null,
        )}
    </div>
  );
}

export function CoverageLegend() {
  const { t } = useLang();
  return (
    <ul class="legend">
      {parts.map(([key, text]) => (
        <li key={key}>
          <span class={`swatch seg-${key}`} />
          {t(text)}
        </li>
      ))}
    </ul>
  );
}

export function coveragePercent(c: Coverage): string {
  return c.total > 0 ? formatPercent(c.done / c.total) : '–';
}
