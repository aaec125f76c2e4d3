// The Analysis tab (#/analysis): the figures of the analysis report (docs/analysis.md) from
// GET /api/v1/analysis/summary. Every string that comes from data (CA names, organisation types)
// is rendered as text.
import type { ComponentChildren } from 'preact';
import { useMemo } from 'preact/hooks';
import type { AnalysisGroup, AnalysisSummaryResponse } from '../../../share/api/index.js';
import { analysisTranslator, orgTypeLabel, type AnalysisTranslate } from '../analysis-i18n.js';
import { formatCount, formatDuration, formatPercent } from '../format.js';
import type { Lang } from '../i18n.js';
import { useAnalysis } from '../useAnalysis.js';
import { useLang } from './context.js';
import { Heatmap, IntervalHistogram } from './AnalysisCharts.js';
import { ScrollTable } from './ScrollTable.js';
import './analysis.css';

const CLASSES = ['automated', 'manual', 'undetermined'] as const;
const DAY_CLASSES = ['weekday', 'weekend', 'holiday', 'non_business', 'closure', 'government_non_working'] as const;
/** The day classes of the time table per organisation type. */
const ORG_TIME_CLASSES = ['weekend', 'holiday', 'closure'] as const;
const READINESS = ['ready', 'likely', 'not_ready', 'unknown'] as const;
const LIMITS = ['200', '100', '47'] as const;

interface Row {
  key: string;
  label: string;
  group: AnalysisGroup;
}

const share = (x: number | null): string => (x === null ? '–' : formatPercent(x));

/** "Automated 40% (12)": a label, its share, and the count behind it. */
const figure = (label: string, x: number | null, n: number, lang: Lang): string => `${label} ${share(x)} (${formatCount(n, lang)})`;

function groupRows(s: AnalysisSummaryResponse, lang: Lang, a: AnalysisTranslate): { overall: Row[]; org: Row[]; ca: Row[] } {
  return {
    overall: [{ key: 'overall', label: a('overall'), group: s.overall }],
    org: Object.entries(s.by_org_type).map(([k, group]) => ({ key: `org:${k}`, label: orgTypeLabel(k, lang), group })),
    ca: Object.entries(s.by_ca).map(([k, group]) => ({ key: `ca:${k}`, label: k, group })),
  };
}

function ClassBar({ group, a, lang }: { group: AnalysisGroup; a: AnalysisTranslate; lang: Lang }) {
  const c = group.classes;
  const text = CLASSES.map((k) => figure(a(k), c.share[k], c[k], lang)).join(', ');
  return (
    <div class="bar class-bar" role="img" aria-label={text} title={text}>
      {c.lineages > 0 && CLASSES.map((k) => (c[k] > 0 ? <span key={k} class={`seg cls-${k}`} style={{ width: `${(c[k] / c.lineages) * 100}%` }} /> : null))}
    </div>
  );
}

function ClassTable({ title, rows, a, lang }: { title: string; rows: Row[]; a: AnalysisTranslate; lang: Lang }) {
  if (rows.length === 0) return null;
  return (
    <>
      <h3>{title}</h3>
      <ul class="class-rows">
        {rows.map((r) => (
          <li key={r.key} class="class-row" data-group={r.key} data-lineages={r.group.classes.lineages} data-automated={r.group.classes.automated} data-manual={r.group.classes.manual} data-undetermined={r.group.classes.undetermined}>
            <div class="class-head">
              <span class="class-label">{r.label}</span>
              <span class="muted">
                {formatCount(r.group.classes.lineages, lang)} {a('lineages')}
              </span>
            </div>
            <ClassBar group={r.group} a={a} lang={lang} />
            <div class="class-figures">
              {CLASSES.map((k) => (
                <span key={k} class={`class-figure fig-${k}`}>
                  <span class={`swatch cls-${k}`} />
                  {figure(a(k), r.group.classes.share[k], r.group.classes[k], lang)}
                </span>
              ))}
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}

/** The one sentence saying which periods the renewal figures rest on (report-html.ts says the same). */
function CoverageNote({ s, a, lang }: { s: AnalysisSummaryResponse; a: AnalysisTranslate; lang: Lang }) {
  const periods = s.observed_periods;
  const list = periods
    .slice(0, 6)
    .map((p) => `${p.start.slice(0, 10)} – ${p.end.slice(0, 10)}`)
    .join(', ') + (periods.length > 6 ? ', …' : '');
  const key = s.coverage.mode === 'assumed-complete' ? 'coverageAssumed' : periods.length === 0 ? 'coverageNone' : 'coverageObserved';
  const text = a(key)
    .replace('{n}', formatCount(periods.length, lang))
    .replace('{list}', list)
    .replace('{days}', formatCount(Math.round(s.coverage.observed_days), lang))
    .replace('{censored}', formatCount(s.totals.renewals_censored, lang))
    .replace('{ends}', formatCount(s.totals.lineages_end_censored, lang));
  return (
    <p class={`coverage-note coverage-${s.coverage.mode}`} data-coverage-mode={s.coverage.mode} data-observed-periods={periods.length} data-renewals-censored={s.totals.renewals_censored}>
      {text}
    </p>
  );
}

/** How complete the data is: the estimated share of issuance no read log holds, and the lowest recall of a read log. */
function CompletenessNote({ s, a, lang }: { s: AnalysisSummaryResponse; a: AnalysisTranslate; lang: Lang }) {
  const c = s.completeness;
  const pct = (x: number): string => `${(x * 100).toLocaleString(lang === 'ja' ? 'ja-JP' : 'en-US', { maximumFractionDigits: 1 })} %`;
  if (!c) return <p class="completeness-note muted">{a('completenessUnknown')}</p>;
  const p = c.pooled;
  const read = c.logs.filter((l) => l.in_catalogue && l.recall !== null);
  const worst = read.reduce<(typeof read)[number] | null>((w, l) => (w === null || l.recall! < w.recall! ? l : w), null);
  const text = (p ? a('completenessEstimate').replace('{share}', pct(p.missed_share)).replace('{low}', pct(p.missed_share_interval[0])).replace('{high}', pct(p.missed_share_interval[1])).replace('{n}', formatCount(p.certificates, lang)) : a('completenessTooFew')) +
    (worst ? ` ${a('completenessRecall').replace('{log}', worst.name ?? worst.log_id).replace('{recall}', pct(worst.recall!)).replace('{misses}', formatCount(worst.miss_count, lang))}` : '');
  return (
    <p class="completeness-note" data-missed-share={p?.missed_share ?? ''} data-logs-measured={read.length}>
      {text}
    </p>
  );
}

/** One part of the tab: a heading (its id labels the section) and a hint under it. */
function Part({ id, title, hint, children }: { id: string; title: string; hint: string; children: ComponentChildren }) {
  return (
    <section class="analysis-part" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <p class="muted">{hint}</p>
      {children}
    </section>
  );
}

export function Analysis() {
  const { lang, t } = useLang();
  const a = useMemo(() => analysisTranslator(lang), [lang]);
  const state = useAnalysis();
  const s = state.summary;
  const rows = useMemo(() => (s ? groupRows(s, lang, a) : null), [s, lang, a]);

  return (
    <section class="card analysis" id="analysis" data-page="analysis" aria-labelledby="analysis-h" data-generated-at={s?.generated_at}>
      <h2 id="analysis-h">{a('title')}</h2>
      <p class="muted">{a('intro')}</p>
      {state.error && !state.pending && (
        <p class="conn-bad" role="status">
          {a('failed')} ({state.error}) · {t('retrying')}
        </p>
      )}
      {!s && state.pending && <p class="muted" role="status">{a('pending')}</p>}
      {!s && !state.pending && !state.error && <p class="muted">{a('loading')}</p>}
      {s && rows && (
        <>
          <p class="muted analysis-meta">
            {a('computed')} {formatDuration(s.cache.age_s + (Date.now() - state.fetchedAt) / 1000, t)} {a('ago')}
            {s.cache.refreshing ? ` · ${a('refreshing')}` : ''}
            {s.period ? ` · ${a('period')}: ${s.period.start.slice(0, 10)} – ${s.period.end.slice(0, 10)}` : ''}
          </p>
          <CoverageNote s={s} a={a} lang={lang} />
      <CompletenessNote s={s} a={a} lang={lang} />
          <div class="stats">
            {(['certificates', 'lineages', 'renewals', 'renewals_censored', 'issuances'] as const).map((k) => (
              <div class="stat" key={k} data-analysis-total={k}>
                <div class="stat-label">{a(k)}</div>
                <div class="stat-value">{formatCount(s.totals[k], lang)}</div>
              </div>
            ))}
          </div>
          {s.totals.lineages === 0 ? (
            <p class="muted">{a('empty')}</p>
          ) : (
            <>
              <Part id="classes-h" title={a('classes')} hint={a('classesHint')}>
                <ClassTable title={a('overall')} rows={rows.overall} a={a} lang={lang} />
                <ClassTable title={a('byOrgType')} rows={rows.org} a={a} lang={lang} />
                <ClassTable title={a('byCa')} rows={rows.ca} a={a} lang={lang} />
              </Part>

              <Part id="gaps-h" title={a('gaps')} hint={a('gapsHint')}>
                <ScrollTable
                  name="gaps-table"
                  head={
                    <>
                      <th>{a('group')}</th>
                      <th class="num">{a('renewals')}</th>
                      <th class="num">{a('gapCount')}</th>
                      <th class="num">{a('gapRate')}</th>
                      <th class="num">{a('censored')}</th>
                    </>
                  }
                >
                  {[...rows.overall, ...rows.org].map((r) => (
                    <tr key={r.key} data-group={r.key} data-renewals={r.group.expiry_gaps.renewals} data-gaps={r.group.expiry_gaps.gaps} data-censored={r.group.expiry_gaps.censored}>
                      <td>{r.label}</td>
                      <td class="num">{formatCount(r.group.expiry_gaps.renewals, lang)}</td>
                      <td class="num">{formatCount(r.group.expiry_gaps.gaps, lang)}</td>
                      <td class="num">{share(r.group.expiry_gaps.rate)}</td>
                      <td class="num">{formatCount(r.group.expiry_gaps.censored, lang)}</td>
                    </tr>
                  ))}
                </ScrollTable>
              </Part>

              <Part id="time-h" title={a('time')} hint={a('timeHint')}>
                <ScrollTable
                  name="time-table"
                  head={
                    <>
                      <th>{a('dayClass')}</th>
                      <th class="num">{a('issuances')}</th>
                      <th class="num">{a('observed')}</th>
                      <th class="num">{a('expected')}</th>
                      <th class="num">{a('ratio')}</th>
                    </>
                  }
                >
                  {DAY_CLASSES.map((k) => {
                    const row = s.overall.time[k];
                    return (
                      <tr key={k} data-day-class={k} data-count={row.count} data-share={row.share ?? ''} data-expected={row.expected_share ?? ''}>
                        <td>{a(k)}</td>
                        <td class="num">{formatCount(row.count, lang)}</td>
                        <td class="num">{share(row.share)}</td>
                        <td class="num">{share(row.expected_share)}</td>
                        <td class="num">{row.ratio_to_expected === null ? '–' : row.ratio_to_expected.toFixed(2)}</td>
                      </tr>
                    );
                  })}
                </ScrollTable>
                <h3>{a('timeByOrg')}</h3>
                <ScrollTable
                  name="time-org-table"
                  head={
                    <>
                      <th>{a('group')}</th>
                      <th class="num">{a('issuances')}</th>
                      {ORG_TIME_CLASSES.map((k) => (
                        <th key={k} class="num">
                          {a(k)}
                          <br />
                          <span class="muted">
                            {a('expected')} {share(s.expected_shares_uniform_time?.[k] ?? null)}
                          </span>
                        </th>
                      ))}
                    </>
                  }
                >
                  {[...rows.overall, ...rows.org].map((r) => (
                    <tr key={r.key} data-group={r.key}>
                      <td>{r.label}</td>
                      <td class="num">{formatCount(r.group.time.issuances, lang)}</td>
                      {ORG_TIME_CLASSES.map((k) => (
                        <td key={k} class="num" title={`${formatCount(r.group.time[k].count, lang)} / ${formatCount(r.group.time.issuances, lang)}`}>
                          {share(r.group.time[k].share)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </ScrollTable>
              </Part>

              <Part id="hist-h" title={a('histogram')} hint={a('histogramHint')}>
                <IntervalHistogram histograms={s.histograms} daysLabel={a('days')} />
              </Part>

              <Part id="heat-h" title={a('heatmap')} hint={a('heatmapHint')}>
                <Heatmap counts={s.heatmap_jst.counts} weekdays={a('weekdays').split(',')} lang={lang} />
              </Part>

              <Part id="ready-h" title={a('readiness')} hint={a('readinessHint')}>
                <ScrollTable
                  name="readiness-table"
                  head={
                    <>
                      <th>{a('group')}</th>
                      {LIMITS.map((l) => (
                        <th key={l}>
                          {a('maxDays')} {l} {a('days')}
                        </th>
                      ))}
                    </>
                  }
                >
                  {[...rows.overall, ...rows.org, ...rows.ca].map((r) => (
                    <tr key={r.key} data-group={r.key}>
                      <td>{r.label}</td>
                      {LIMITS.map((l) => {
                        const c = r.group.readiness[l];
                        if (!c) return <td key={l}>–</td>;
                        return (
                          <td key={l} class="readiness-cell" data-limit={l} data-ready={c.ready} data-likely={c.likely} data-not-ready={c.not_ready} data-unknown={c.unknown}>
                            {READINESS.filter((k) => c[k] > 0).map((k) => (
                              <span key={k} class={`ready-fig ready-${k}`}>
                                {figure(a(k), c.share[k], c[k], lang)}
                              </span>
                            ))}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </ScrollTable>
              </Part>
            </>
          )}
        </>
      )}
    </section>
  );
}
