// What has been looked at, on one time axis: per log (grouped by category, as in Logs) the times its
// scanned stretches cover, and above them the observed periods, the times every log that could hold
// a certificate issued then has covered (docs/manager-api.md, "Coverage").
import type { CoverageResponse, LogCoverage } from '../../../share/api/index.js';
import { categoryOrder } from '../derive.js';
import { axisTicks, formatSpan, place, timelineDomain, type Domain } from '../timeline.js';
import { useCoverage } from '../useCoverage.js';
import { useLang } from './context.js';

function Spans({ spans, domain, kind, label }: { spans: { start: string; end: string }[]; domain: Domain; kind: 'covered' | 'observed'; label: string }) {
  const { t } = useLang();
  const described = spans.length > 0 ? spans.map(formatSpan).join('; ') : t(kind === 'observed' ? 'noObserved' : 'notScanned');
  return (
    <div class={`tl-track tl-${kind}`} role="img" aria-label={`${label}: ${described}`}>
      {spans.map((s) => {
        const p = place(s, domain);
        return <span key={s.start} class="tl-span" data-start={s.start} data-end={s.end} title={`${label}: ${formatSpan(s)}`} style={{ left: `${p.left}%`, width: `${p.width}%` }} />;
      })}
    </div>
  );
}

function LogLane({ log, domain }: { log: LogCoverage; domain: Domain }) {
  const { t } = useLang();
  const scanned = log.stretches.length > 0;
  return (
    <li class="tl-row" data-coverage-log={log.name}>
      <span class="tl-label">
        <span class="log-name">{log.name}</span>
        {!scanned && <span class="pill">{log.shut_down ? t('shutDownUnread') : t('notScanned')}</span>}
        {log.in_catalogue === false && <span class="pill">{t('notInCatalogue')}</span>}
      </span>
      <Spans spans={log.covered} domain={domain} kind="covered" label={`${log.name} · ${t('coveredTime')}`} />
    </li>
  );
}

function Timeline({ coverage }: { coverage: CoverageResponse }) {
  const { t } = useLang();
  const domain = timelineDomain(coverage);
  if (!domain) return <p class="muted">{t('noCoverage')}</p>;
  // Logs out of the catalogue appear only when they were scanned: they do not count for the observed periods.
  const logs = coverage.logs.filter((l) => l.in_catalogue !== false || l.stretches.length > 0);
  return (
    <div class="timeline">
      <div class="tl-row tl-axis" aria-hidden="true">
        <span />
        <div class="tl-ticks">
          {axisTicks(domain).map((tick, i, all) => (
            <span key={tick.at} class={`tl-tick ${i === 0 ? 'tl-tick-first' : i === all.length - 1 ? 'tl-tick-last' : ''}`} style={{ left: `${tick.at}%` }}>
              {tick.label}
            </span>
          ))}
        </div>
      </div>
      <div class="tl-row tl-band" data-observed>
        <span class="tl-label" title={t('observedHint')}>
          <strong>{t('observedPeriods')}</strong>
        </span>
        <Spans spans={coverage.observed_periods} domain={domain} kind="observed" label={t('observedPeriods')} />
      </div>
      {categoryOrder(logs.map((l) => l.category)).map((category) => (
        <div key={category} class="tl-category" data-coverage-category={category}>
          <div class="tl-category-name">{category}</div>
          <ul class="tl-logs">
            {logs
              .filter((l) => l.category === category)
              .map((l) => (
                <LogLane key={l.name} log={l} domain={domain} />
              ))}
          </ul>
        </div>
      ))}
    </div>
  );
}

export function CoverageTimeline() {
  const { t } = useLang();
  const { coverage, error } = useCoverage();
  return (
    <section class="card" aria-labelledby="coverage-h" data-coverage-generated-at={coverage?.generated_at}>
      <h2 id="coverage-h">{t('coverageTitle')}</h2>
      <p class="muted tl-hint">{t('coverageHint')}</p>
      {error && (
        <p class="conn-bad" role="status">
          {t('fetchFailed')} ({error})
        </p>
      )}
      {coverage ? <Timeline coverage={coverage} /> : !error && <p class="muted">{t('loading')}</p>}
    </section>
  );
}
