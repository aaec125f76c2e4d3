/**
 * The self-contained HTML report: tables and inline SVG charts drawn here, no scripts, no network.
 */
import { LIFETIME_BUCKETS, type SummaryAggregates } from './aggregate.js';
import type { CompletenessReport } from './completeness.js';

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);
const COLORS = { automated: '#2b7bb9', manual: '#d9822b', undetermined: '#b0b0b0', gap: '#c23b22' };

function histogramSvg(title: string, counts: number[], binWidth: number, unit: string): string {
  const w = 560;
  const h = 160;
  const pad = 30;
  const max = Math.max(1, ...counts);
  const bw = (w - pad * 2) / counts.length;
  const bars = counts
    .map((c, i) => {
      const bh = ((h - pad * 2) * c) / max;
      const label = i === counts.length - 1 ? `≥ ${i * binWidth}` : `${(i * binWidth).toFixed(2).replace(/\.00$/, '')}–${((i + 1) * binWidth).toFixed(2).replace(/\.00$/, '')}`;
      return `<rect x="${(pad + i * bw).toFixed(1)}" y="${(h - pad - bh).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="${COLORS.automated}"><title>${esc(label)} ${unit}: ${c}</title></rect>`;
    })
    .join('');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const i = Math.round(f * (counts.length - 1));
      return `<text x="${(pad + i * bw).toFixed(1)}" y="${h - pad + 14}" font-size="10">${(i * binWidth).toFixed(binWidth < 1 ? 2 : 0)}</text>`;
    })
    .join('');
  return `<figure><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}">${bars}${ticks}<text x="${pad}" y="14" font-size="12">${esc(title)} (max bin ${max})</text><line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#333"/></svg></figure>`;
}

function heatmapSvg(counts: number[][]): string {
  const cell = 22;
  const left = 40;
  const top = 20;
  const max = Math.max(1, ...counts.flat());
  const days = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  let out = '';
  counts.forEach((row, d) => {
    out += `<text x="2" y="${top + d * cell + 15}" font-size="11">${days[d]}</text>`;
    row.forEach((c, hr) => {
      const a = c / max;
      out += `<rect x="${left + hr * cell}" y="${top + d * cell}" width="${cell - 1}" height="${cell - 1}" fill="rgba(43,123,185,${(0.05 + 0.95 * a).toFixed(3)})"><title>${days[d]} ${hr}:00 JST: ${c}</title></rect>`;
    });
  });
  for (let hr = 0; hr < 24; hr += 3) out += `<text x="${left + hr * cell}" y="${top - 5}" font-size="10">${hr}h</text>`;
  const w = left + 24 * cell + 10;
  const h = top + 7 * cell + 10;
  return `<figure><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="issuance by weekday and hour, JST">${out}</svg><figcaption>Issuances by weekday × hour (JST), darkest = ${max}</figcaption></figure>`;
}

function barsSvg(rows: { label: string; value: number; note: string }[], title: string, color: string): string {
  const w = 640;
  const rowH = 18;
  const left = 200;
  const h = rows.length * rowH + 30;
  const max = Math.max(1e-9, ...rows.map((r) => r.value));
  const body = rows
    .map((r, i) => {
      const bw = ((w - left - 120) * r.value) / max;
      const y = 24 + i * rowH;
      return `<text x="0" y="${y + 12}" font-size="11">${esc(r.label)}</text><rect x="${left}" y="${y}" width="${bw.toFixed(1)}" height="${rowH - 4}" fill="${color}"/><text x="${left + bw + 4}" y="${y + 12}" font-size="11">${esc(r.note)}</text>`;
    })
    .join('');
  return `<figure><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><text x="0" y="12" font-size="12">${esc(title)}</text>${body}</svg></figure>`;
}

function stackedSvg(rows: { label: string; automated: number; manual: number; undetermined: number; n: number }[], title: string): string {
  const w = 640;
  const rowH = 18;
  const left = 220;
  const bar = w - left - 70;
  const h = rows.length * rowH + 40;
  const body = rows
    .map((r, i) => {
      const y = 24 + i * rowH;
      let x = left;
      let s = `<text x="0" y="${y + 12}" font-size="11">${esc(r.label.slice(0, 34))}</text>`;
      for (const k of ['automated', 'manual', 'undetermined'] as const) {
        const bw = r.n ? (bar * r[k]) / r.n : 0;
        s += `<rect x="${x.toFixed(1)}" y="${y}" width="${bw.toFixed(1)}" height="${rowH - 4}" fill="${COLORS[k]}"><title>${k}: ${r[k]} of ${r.n}</title></rect>`;
        x += bw;
      }
      return s + `<text x="${left + bar + 4}" y="${y + 12}" font-size="11">n=${r.n}</text>`;
    })
    .join('');
  const legend = (['automated', 'manual', 'undetermined'] as const)
    .map((k, i) => `<rect x="${left + i * 110}" y="${h - 12}" width="10" height="10" fill="${COLORS[k]}"/><text x="${left + i * 110 + 14}" y="${h - 3}" font-size="11">${k}</text>`)
    .join('');
  return `<figure><svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><text x="0" y="12" font-size="12">${esc(title)}</text>${body}${legend}</svg></figure>`;
}

type Group = SummaryAggregates['overall'];

const day = (iso: string): string => iso.slice(0, 10);

/**
 * The one sentence saying which time the renewal figures rest on. With the periods listed when they
 * are few; a reader needs to know that a renewal outside them was not seen, not that none happened.
 */
export function coverageSentence(s: Pick<SummaryAggregates, 'coverage' | 'observed_periods' | 'totals'>): string {
  const t = s.totals;
  const n = s.observed_periods.length;
  const list = s.observed_periods.slice(0, 6).map((p) => `${day(p.start)} – ${day(p.end)}`).join(', ') + (n > 6 ? `, … (${n} in all)` : '');
  if (s.coverage.mode === 'assumed-complete') {
    return `No record of what ctjp read was found (${s.coverage.source}), so the whole span of the data${n ? ` (${list})` : ''} is assumed observed: a renewal or a gap in time ctjp did not read would be missed, not counted as censored.`;
  }
  if (n === 0) return `No period was wholly observed (${s.coverage.source}), so every one of the ${t.renewals_censored} renewals and every lineage end is censored: no interval, gap or end is claimed.`;
  return `Renewal intervals, expiry gaps and ended lineages rest only on the ${n} observed period${n === 1 ? '' : 's'} (${list}; ${s.coverage.observed_days.toFixed(0)} days): ${t.renewals_censored} renewals and ${t.lineages_end_censored} lineage ends that reach outside ${n === 1 ? 'it' : 'them'} are censored — counted as such, never as an interval, a gap or an end.`;
}

function groupTable(title: string, groups: Record<string, Group>, limit = 40): string {
  const rows = Object.entries(groups).slice(0, limit);
  const head = '<tr><th>group</th><th>lineages</th><th>automated</th><th>manual</th><th>undetermined</th><th>renewals</th><th>censored</th><th>expiry gaps</th><th>ended (censored)</th><th>weekend (exp.)</th><th>holiday (exp.)</th><th>ready 200 d</th><th>ready 100 d</th><th>ready 47 d</th></tr>';
  const ready = (g: Group, k: string) => {
    const r = g.readiness[k];
    return `${pct(r.share.ready)} <small>+${pct(r.share.likely)} likely (n=${r.lineages})</small>`;
  };
  const body = rows
    .map(([k, g]) => {
      const c = g.classes;
      return `<tr><td>${esc(k)}</td><td>${c.lineages}</td><td>${c.automated} (${pct(c.share.automated)})</td><td>${c.manual} (${pct(c.share.manual)})</td><td>${c.undetermined}</td><td>${g.expiry_gaps.renewals}</td><td>${g.expiry_gaps.censored}</td><td>${g.expiry_gaps.gaps} (${pct(g.expiry_gaps.rate)})</td><td>${g.lineage_ends.ended} (${g.lineage_ends.censored})</td><td>${g.time.weekend.count} = ${pct(g.time.weekend.share)} (${pct(g.time.weekend.expected_share)})</td><td>${g.time.holiday.count} = ${pct(g.time.holiday.share)} (${pct(g.time.holiday.expected_share)})</td><td>${ready(g, '200')}</td><td>${ready(g, '100')}</td><td>${ready(g, '47')}</td></tr>`;
    })
    .join('');
  return `<h2>${esc(title)}</h2><table>${head}${body}</table>`;
}

/** "How complete is the data?": each catalogue log's recall on the SCTs of final certificates, and the estimated share no read log holds. */
function completenessHtml(c: CompletenessReport | null | undefined): string {
  if (!c) return '<h2>How complete is the data?</h2><p>Not measured: no coverage was recorded, so no log is known to have been read at the times the certificates name.</p>';
  const share = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : pct(x));
  const range = (r: [number, number] | null | undefined): string => (r ? `${pct(r[0])}–${pct(r[1])}` : '–');
  const p = c.pooled;
  const headline = p
    ? `An estimated ${share(p.missed_share)} (95 % interval ${range(p.missed_share_interval)}) of the .jp certificates issued while ctjp was reading were logged only in logs it did not read (capture–recapture over the SCTs of ${p.certificates} final certificates, by CA; docs/analysis.md).`
    : 'Too few final certificates with SCTs of two operators to estimate what no read log holds.';
  const logRows = c.logs
    .filter((l) => l.in_catalogue && l.expected > 0)
    .map((l) => `<tr><td>${esc(l.name ?? l.log_id)}</td><td>${l.expected}</td><td>${l.held}</td><td>${share(l.recall)}</td><td>${range(l.recall_interval)}</td><td>${l.miss_count}</td></tr>`)
    .join('');
  const caRows = c.by_ca
    .filter((x) => x.estimate)
    .map((x) => `<tr><td>${esc(x.ca)}</td><td>${x.estimate!.certificates}</td><td>${Math.round(x.estimate!.estimate)}</td><td>${Math.round(x.estimate!.missed)}</td><td>${share(x.estimate!.missed_share)}</td><td>${range(x.estimate!.missed_share_interval)}</td></tr>`)
    .join('');
  return `<h2>How complete is the data?</h2><p class="completeness">${esc(headline)}</p>
<table><tr><th>log (read at the SCT's time)</th><th>SCTs expected</th><th>held</th><th>recall</th><th>95 % interval</th><th>misses</th></tr>${logRows}</table>
<table><tr><th>CA</th><th>certificates in the estimate</th><th>estimated total</th><th>estimated missed</th><th>missed share</th><th>95 % interval</th></tr>${caRows}</table>
${c.notes.length ? `<p><small>${c.notes.map(esc).join(' ')}</small></p>` : ''}`;
}

export function renderHtml(s: SummaryAggregates & { generated_at: string; completeness?: CompletenessReport | null }): string {
  const t = s.overall.time;
  const timeRows = (['weekday', 'weekend', 'holiday', 'non_business', 'closure', 'government_non_working'] as const)
    .map((k) => `<tr><td>${k.replace(/_/g, ' ')}</td><td>${t[k].count}</td><td>${pct(t[k].share)}</td><td>${pct(t[k].expected_share)}</td><td>${t[k].ratio_to_expected ?? '–'}</td></tr>`)
    .join('');
  const hist = LIFETIME_BUCKETS.filter((b) => s.histograms.interval_days[b])
    .map((b) => histogramSvg(`Renewal interval (days), previous lifetime ${b}`, s.histograms.interval_days[b], s.histograms.interval_bin_days, 'days'))
    .join('');
  const ratioHist = LIFETIME_BUCKETS.filter((b) => s.histograms.ratio[b])
    .map((b) => histogramSvg(`Renewal point (fraction of lifetime), previous lifetime ${b}`, s.histograms.ratio[b], s.histograms.ratio_bin, ''))
    .join('');
  const gapRows = Object.entries(s.by_org_type)
    .filter(([, g]) => g.expiry_gaps.renewals > 0)
    .map(([k, g]) => ({ label: k, value: g.expiry_gaps.rate ?? 0, note: `${pct(g.expiry_gaps.rate)} (${g.expiry_gaps.gaps}/${g.expiry_gaps.renewals})` }));
  const caRows = Object.entries(s.by_ca)
    .slice(0, 20)
    .map(([k, g]) => ({ label: k, automated: g.classes.automated, manual: g.classes.manual, undetermined: g.classes.undetermined, n: g.classes.lineages }));
  const orgRows = Object.entries(s.by_org_type).map(([k, g]) => ({ label: k, automated: g.classes.automated, manual: g.classes.manual, undetermined: g.classes.undetermined, n: g.classes.lineages }));
  const defs = s.lineage_definitions;
  const defRow = (name: string, d: { lineages: number; renewals: number; renewals_censored: number; expiry_gaps?: number; gaps?: number; automated: number; manual: number; undetermined: number } | null) =>
    d ? `<tr><td>${name}</td><td>${d.lineages}</td><td>${d.renewals}</td><td>${d.renewals_censored}</td><td>${d.expiry_gaps ?? d.gaps}</td><td>${d.automated} (${pct(d.automated / d.lineages)})</td><td>${d.manual} (${pct(d.manual / d.lineages)})</td><td>${d.undetermined}</td></tr>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ctjp renewal analysis</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}small{color:#666}figure{margin:1em 0}</style></head><body>
<h1>How .jp certificates are renewed</h1>
<p>Generated ${esc(s.generated_at)}. Period of observed issuance: ${s.period ? `${esc(s.period.start)} – ${esc(s.period.end)} (${s.period.days} days)` : 'none'}.
${s.totals.certificates} certificates, ${s.totals.issuances} issuances, ${s.totals.lineages} lineages (exact SAN set), ${s.totals.renewals} renewals.
Definitions and thresholds: docs/analysis.md. Every share is given with its count; small groups deserve little weight.</p>
<p class="coverage" data-coverage-mode="${esc(s.coverage.mode)}"><strong>${esc(coverageSentence(s))}</strong></p>
${completenessHtml(s.completeness)}
<h2>Automation classes</h2>
<table><tr><th>lineage definition</th><th>lineages</th><th>renewals</th><th>censored renewals</th><th>expiry gaps</th><th>automated</th><th>manual</th><th>undetermined</th></tr>${defRow('exact SAN set', defs.exact_san_set)}${defRow('per name', defs.per_name)}</table>
${stackedSvg(orgRows, 'Automation class by organisation type')}
${stackedSvg(caRows, 'Automation class by CA (top 20 by lineages)')}
<h2>Expiry gaps</h2>
<p>${s.expiry_gaps.count} of ${s.totals.renewals} uncensored renewals started after the previous certificate had expired (resumed within 5 days: ${s.expiry_gaps.resumed.within_5_days}, 6–30 days: ${s.expiry_gaps.resumed.within_30_days}, later: ${s.expiry_gaps.resumed.later}).
${s.totals.renewals_censored} renewals are censored (they span unobserved time) and are in no gap or interval figure.
${s.expiry_gaps.automated_lineages_with_lapses} automated lineages run a fixed schedule longer than their certificates last.
${s.totals.lineages_ended_before_observation_end} lineages ended: their last certificate expired with no renewal within ${s.coverage.end_margin_days} days, all in observed time (decommissioned, moved to other names, or lapsed); for ${s.totals.lineages_end_censored} more that time was not wholly observed (censored).</p>
${barsSvg(gapRows, 'Expiry-gap rate per renewal, by organisation type', COLORS.gap)}
<h2>When certificates are issued (JST)</h2>
<table><tr><th>day class</th><th>issuances</th><th>observed share</th><th>expected if uniform</th><th>observed / expected</th></tr>${timeRows}</table>
<p>Business hours (Mon–Fri 09–18 JST, working days): ${t.business_hours.count} = ${pct(t.business_hours.share)}. ${s.totals.issuances_time_unknown} issuances had no CT timestamp and a not_before truncated to midnight UTC, so they are left out of the time figures.</p>
${heatmapSvg(s.heatmap_jst.counts)}
<h2>Renewal intervals</h2><p>${s.totals.renewals} uncensored renewals; ${s.histograms.censored_renewals} censored renewals are not in these histograms.</p>${hist}${ratioHist}
${groupTable('By organisation type', s.by_org_type)}
${groupTable('By CA (issuer organisation)', s.by_ca)}
${groupTable('By automation class', s.by_class)}
<p><small>Readiness: "ready" = every observed renewal interval is shorter than the maximum validity; "likely" = automated and renewing at a fixed fraction of the lifetime, so expected to follow shorter lifetimes.</small></p>
</body></html>
`;
}
