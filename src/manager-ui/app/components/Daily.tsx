// Daily counts per log: a stacked bar chart (uPlot) and the table behind it.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { StatusResponse } from '../../../share/api/index.js';
import { categoryOrder, dailyPivot, type DailyMetric, type DailyPivot } from '../derive.js';
import { formatCount } from '../format.js';
import { chartWidth, stack, useFollowWidth } from './chart.js';
import { useLang } from './context.js';
import { ScrollTable } from './ScrollTable.js';

const categoryHues: Record<string, number> = { google: 215, cloudflare: 28, digicert: 170, trustasia: 350 };
const spareHues = [275, 95, 50, 310, 195];

/** One colour per log: the category picks the hue, the log's place within it the lightness. */
export function logColours(status: StatusResponse, logs: string[]): string[] {
  const categoryOf = new Map(status.logs.map((l) => [l.name, l.category]));
  const categories = categoryOrder(status.logs.map((l) => l.category));
  const unknown = categories.filter((c) => !(c in categoryHues));
  return logs.map((name) => {
    const category = categoryOf.get(name) ?? '';
    const hue = categoryHues[category] ?? spareHues[unknown.indexOf(category) % spareHues.length] ?? 0;
    const siblings = logs.filter((l) => categoryOf.get(l) === category);
    const i = siblings.indexOf(name);
    const lightness = siblings.length <= 1 ? 48 : 32 + (i * 40) / (siblings.length - 1);
    return `hsl(${hue} 65% ${lightness.toFixed(0)}%)`;
  });
}

function dayToSeconds(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

function Chart({ pivot, colours }: { pivot: DailyPivot; colours: string[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${pivot.logs.join('\n')}|${colours.join(',')}`;
  const lastShape = useRef('');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = pivot.days.map(dayToSeconds);
    const { order, sums } = stack(pivot.values, xs.length);
    const data: uPlot.AlignedData = [xs, ...sums];
    if (plot.current && lastShape.current === shape) {
      plot.current.setData(data);
      return;
    }
    plot.current?.destroy();
    lastShape.current = shape;
    const bars = uPlot.paths.bars!({ size: [0.8, 40], gap: 1 });
    plot.current = new uPlot(
      {
        width: chartWidth(el),
        height: 240,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: {
          // From the data itself (uPlot widens a single point to years), with half a day of margin on
          // each side so that the first and last bars stay whole.
          x: {
            time: true,
            range: (u, min, max) => {
              const days = u.data[0];
              return days.length > 0 ? [days[0]! - 43200, days[days.length - 1]! + 43200] : [min, max];
            },
          },
          y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.05)] },
        },
        axes: [
          // Ticks on whole days at least: the counts are per day.
          { stroke: 'currentColor', grid: { show: false }, incrs: [1, 2, 7, 14, 30, 91, 182, 365].map((d) => d * 86400) },
          { stroke: 'currentColor', size: 56 },
        ],
        series: [
          {},
          ...order.map((i) => ({ label: pivot.logs[i], fill: colours[i], stroke: colours[i], width: 0, paths: bars, points: { show: false } })),
        ],
      },
      data,
      el,
    );
  }, [pivot, shape, colours]);
  useFollowWidth(box, plot, 240);

  return <div class="chart" ref={box} />;
}

export function Daily({ status }: { status: StatusResponse }) {
  const { lang, t } = useLang();
  const [metric, setMetric] = useState<DailyMetric>('certificates');
  // Memoised on the answer itself, so the chart is redrawn when new data arrives, not on every clock tick.
  const pivot = useMemo(() => dailyPivot(status, metric), [status, metric]);
  const colours = useMemo(() => logColours(status, pivot.logs), [status, pivot]);
  return (
    <section class="card" aria-labelledby="daily-h">
      <h2 id="daily-h">{t('daily')}</h2>
      <p class="muted">{t('dailyHint')}</p>
      <label class="metric">
        {t('metric')}{' '}
        <select value={metric} onChange={(e) => setMetric((e.currentTarget as HTMLSelectElement).value as DailyMetric)}>
          <option value="certificates">{t('metricCertificates')}</option>
          <option value="sightings">{t('metricSightings')}</option>
        </select>
      </label>
      {pivot.days.length === 0 || pivot.logs.length === 0 ? (
        <p class="muted">{t('noDaily')}</p>
      ) : (
        <>
          <ul class="legend">
            {pivot.logs.map((name, i) => (
              <li key={name}>
                <span class="swatch" style={{ background: colours[i] }} />
                {name}
              </li>
            ))}
          </ul>
          <Chart pivot={pivot} colours={colours} />
          <ScrollTable
            name="daily-table"
            head={
              <>
                <th>{t('day')}</th>
                <th class="num">{t('total')}</th>
                {pivot.logs.map((name) => (
                  <th key={name} class="num">
                    {name}
                  </th>
                ))}
              </>
            }
          >
            {pivot.days
              .map((day, d) => ({ day, d }))
              .reverse()
              .map(({ day, d }) => (
                <tr key={day} data-day={day}>
                  <td class="mono">{day}</td>
                  <td class="num" data-total={pivot.dayTotals[d]}>
                    {formatCount(pivot.dayTotals[d]!, lang)}
                  </td>
                  {pivot.values.map((v, li) => (
                    <td key={pivot.logs[li]} class="num">
                      {v[d] ? formatCount(v[d]!, lang) : ''}
                    </td>
                  ))}
                </tr>
              ))}
          </ScrollTable>
        </>
      )}
    </section>
  );
}
