// Charts of the Analysis tab: the renewal-interval histogram (uPlot, stacked by the earlier
// certificate's lifetime) and the weekday × hour heatmap in JST (a CSS grid: 168 cells fit a phone).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { AnalysisSummaryResponse } from '../../../share/api/index.js';
import { formatCount } from '../format.js';
import type { Lang } from '../i18n.js';
import { chartWidth, stack, useFollowWidth } from './chart.js';

const bucketHues = [140, 200, 35, 280, 0];

export function IntervalHistogram({ histograms, daysLabel }: { histograms: AnalysisSummaryResponse['histograms']; daysLabel: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const buckets = Object.keys(histograms.interval_days);
  const colours = buckets.map((_, i) => `hsl(${bucketHues[i % bucketHues.length]} 60% 45%)`);
  const total = buckets.reduce((s, b) => s + histograms.interval_days[b]!.reduce((x, y) => x + y, 0), 0);

  useEffect(() => {
    const el = box.current;
    if (!el || buckets.length === 0) return;
    const width = histograms.interval_bin_days;
    const bins = Math.max(...buckets.map((b) => histograms.interval_days[b]!.length));
    const xs = Array.from({ length: bins }, (_, i) => i * width + width / 2);
    const { order, sums } = stack(buckets.map((b) => histograms.interval_days[b]!), bins);
    plot.current?.destroy();
    const bars = uPlot.paths.bars!({ size: [0.9, 40], gap: 0 });
    plot.current = new uPlot(
      {
        width: chartWidth(el),
        height: 220,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false, range: [0, bins * width] }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.05)] } },
        axes: [
          { stroke: 'currentColor', grid: { show: false }, label: daysLabel, labelSize: 18, incrs: [30, 60, 90, 180] },
          { stroke: 'currentColor', size: 48 },
        ],
        series: [{}, ...order.map((i) => ({ label: buckets[i], fill: colours[i], stroke: colours[i], width: 0, paths: bars, points: { show: false } }))],
      },
      [xs, ...sums],
      el,
    );
  }, [histograms, daysLabel]);
  useFollowWidth(box, plot, 220);

  return (
    <div class="histogram" data-total={total}>
      <ul class="legend">
        {buckets.map((b, i) => (
          <li key={b} data-bucket={b}>
            <span class="swatch" style={{ background: colours[i] }} />
            {b} ({histograms.interval_days[b]!.reduce((x, y) => x + y, 0)})
          </li>
        ))}
      </ul>
      {buckets.length === 0 && <p class="muted">–</p>}
      <div class="chart" ref={box} />
    </div>
  );
}

export function Heatmap({ counts, weekdays, lang }: { counts: number[][]; weekdays: string[]; lang: Lang }) {
  const max = Math.max(1, ...counts.flat());
  return (
    <div class="heatmap" role="table" data-total={counts.flat().reduce((a, b) => a + b, 0)}>
      <div class="hm-row hm-hours" role="row">
        <span class="hm-label" />
        {Array.from({ length: 24 }, (_, h) => (
          <span key={h} class="hm-hour" role="columnheader">
            {h % 6 === 0 ? h : ''}
          </span>
        ))}
      </div>
      {counts.map((row, d) => (
        <div key={d} class="hm-row" role="row">
          <span class="hm-label" role="rowheader">
            {weekdays[d]}
          </span>
          {row.map((n, h) => (
            <span
              key={h}
              class="hm-cell"
              role="cell"
              data-cell={`${d}-${h}`}
              data-count={n}
              title={`${weekdays[d]} ${String(h).padStart(2, '0')}:00–${String(h).padStart(2, '0')}:59 JST: ${formatCount(n, lang)}`}
              style={{ background: n > 0 ? `color-mix(in srgb, var(--running) ${Math.round(15 + (85 * n) / max)}%, transparent)` : undefined }}
            />
          ))}
        </div>
      ))}
    </div>
  );
}
