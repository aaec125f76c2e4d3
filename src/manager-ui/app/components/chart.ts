// What the dashboard's uPlot bar charts share: their width, following the box they are drawn in,
// and stacking.
import type { RefObject } from 'preact';
import { useEffect } from 'preact/hooks';
import type uPlot from 'uplot';

/** The box's width, but never so narrow that the axes crowd out the bars. */
export function chartWidth(box: HTMLElement): number {
  return Math.max(200, box.clientWidth);
}

/** Keeps the chart in `plot` as wide as `box`, and destroys it when the component goes. */
export function useFollowWidth(box: RefObject<HTMLDivElement | null>, plot: RefObject<uPlot | null>, height: number): void {
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: chartWidth(el), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);
}

/**
 * Stacked bars: series i holds the sum of series 0..i (each `length` long, missing values 0) and is
 * drawn before the shorter ones, which then paint over its lower part. `order` lists the series in
 * drawing order; `sums` holds their sums in that order.
 */
export function stack(values: readonly (readonly number[])[], length: number): { order: number[]; sums: number[][] } {
  const cumulative: number[][] = [];
  values.forEach((v, i) => cumulative.push(Array.from({ length }, (_, k) => (v[k] ?? 0) + (i > 0 ? cumulative[i - 1]![k]! : 0))));
  const order = values.map((_, i) => values.length - 1 - i);
  return { order, sums: order.map((i) => cumulative[i]!) };
}
