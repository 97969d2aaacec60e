/**
 * Charts for the Analytics view and the Overview, drawn with uPlot: a time series from any answer's
 * `series` array of `{bucket_start, …numbers}` (nested records of numbers, such as `by_type`, become
 * one line per key), and bars per agent. Missing buckets of the range are drawn as zero.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from '../dom.js';

export type Bucket = 'minute' | 'hour' | 'day';
export type SeriesPoint = { bucket_start: string } & Record<string, unknown>;

/** Charts drawn by the last render; destroyed before the next one (uPlot listens on the window). */
const drawn: uPlot[] = [];

export function destroyCharts(): void {
  for (const u of drawn.splice(0)) u.destroy();
}

const COLORS = ['#2f5bd3', '#1f9d55', '#c27c0e', '#b42318', '#7a3fc4', '#0e8a9c', '#8a6d3b', '#d13f8a'];
const STEP_MS: Record<Bucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Every number in a point, by line name: `messages`, and `request` from `by_type.request`. */
function numbersOf(p: SeriesPoint, nestedOnly: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of Object.entries(p)) {
    if (key === 'bucket_start') continue;
    if (typeof value === 'number' && nestedOnly === undefined) out.set(key, value);
    else if (value && typeof value === 'object' && !Array.isArray(value) && (nestedOnly ?? key) === key) {
      for (const [k, v] of Object.entries(value))
        if (typeof v === 'number') out.set(nestedOnly ? k : `${key}.${k}`, v);
    }
  }
  return out;
}

/** The bucket starts from `since` to now, so a quiet minute shows as zero rather than a gap in the line. */
function buckets(sinceMs: number, bucket: Bucket, nowMs: number): number[] {
  const step = STEP_MS[bucket];
  const out: number[] = [];
  for (let t = Math.floor(sinceMs / step) * step; t <= nowMs && out.length < 2000; t += step) out.push(t);
  return out;
}

export interface SeriesChartOptions {
  title: string;
  testid: string;
  series: SeriesPoint[];
  bucket: Bucket;
  sinceMs: number;
  /** Draw only the numbers of this nested record (e.g. `by_type`), one line per key. */
  nested?: string;
  width: number;
}

/** A panel with a uPlot line chart of the series (or a note when it holds no numbers). */
export function seriesChart(o: SeriesChartOptions): HTMLElement {
  const panel = h('section', { class: 'panel chart', 'data-testid': o.testid }, h('h3', {}, o.title));
  const rows = o.series.map((p) => ({ at: Date.parse(p.bucket_start), values: numbersOf(p, o.nested) }));
  const names = [...new Set(rows.flatMap((r) => [...r.values.keys()]))].sort();
  if (names.length === 0) {
    panel.append(h('p', { class: 'muted' }, 'Nothing in this range.'));
    return panel;
  }
  const byAt = new Map(rows.map((r) => [r.at, r.values]));
  const xs = [...new Set([...buckets(o.sinceMs, o.bucket, Date.now()), ...byAt.keys()])].sort(
    (a, b) => a - b,
  );
  const data: uPlot.AlignedData = [
    xs.map((x) => x / 1000),
    ...names.map((n) => xs.map((x) => byAt.get(x)?.get(n) ?? 0)),
  ];
  const plot = h('div', { class: 'plot' });
  panel.append(plot);
  draw(
    {
      width: o.width,
      height: 220,
      scales: { x: { time: true } },
      series: [{}, ...names.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2 }))],
    },
    data,
    plot,
  );
  return panel;
}

/** A panel with side-by-side bars per agent (e.g. sent and received). */
export function barChart(o: {
  title: string;
  testid: string;
  labels: string[];
  bars: Array<{ label: string; values: number[] }>;
  width: number;
}): HTMLElement {
  const panel = h('section', { class: 'panel chart', 'data-testid': o.testid }, h('h3', {}, o.title));
  if (o.labels.length === 0) {
    panel.append(h('p', { class: 'muted' }, 'Nothing in this range.'));
    return panel;
  }
  const plot = h('div', { class: 'plot' });
  panel.append(plot);
  const n = o.labels.length;
  const bars = uPlot.paths.bars!;
  const align = (i: number): -1 | 0 | 1 => (o.bars.length === 1 ? 0 : i === 0 ? 1 : -1);
  new uPlot(
    {
      width: o.width,
      height: 220,
      scales: {
        x: { time: false, range: [-0.5, n - 0.5] },
        y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
      },
      axes: [
        {
          splits: () => o.labels.map((_, i) => i),
          values: (_u, ticks) => ticks.map((i) => o.labels[i] ?? ''),
        },
        {},
      ],
      series: [
        {},
        ...o.bars.map((b, i) => ({
          label: b.label,
          stroke: COLORS[i % COLORS.length],
          fill: `${COLORS[i % COLORS.length]}aa`,
          paths: bars({ size: [0.35, 60], align: align(i) }),
          points: { show: false },
        })),
      ],
    },
    [o.labels.map((_, i) => i), ...o.bars.map((b) => b.values)],
    plot,
  );
  return panel;
}

function draw(opts: uPlot.Options, data: uPlot.AlignedData, into: HTMLElement): void {
  drawn.push(new uPlot(opts, data, into));
}

/** Every `series` array of `{bucket_start, …}` points in an answer, with where it was found. */
export function findSeries(
  answer: unknown,
  path = '',
  depth = 0,
): Array<{ path: string; series: SeriesPoint[] }> {
  if (!answer || typeof answer !== 'object' || depth > 3) return [];
  const out: Array<{ path: string; series: SeriesPoint[] }> = [];
  for (const [key, value] of Object.entries(answer as Record<string, unknown>)) {
    const here = path ? `${path}.${key}` : key;
    if (
      key === 'series' &&
      Array.isArray(value) &&
      value.every((p) => p && typeof p === 'object' && typeof (p as SeriesPoint).bucket_start === 'string')
    )
      out.push({ path: path || 'series', series: value as SeriesPoint[] });
    else if (value && typeof value === 'object' && !Array.isArray(value))
      out.push(...findSeries(value, here, depth + 1));
  }
  return out;
}
